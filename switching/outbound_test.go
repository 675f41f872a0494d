package switching

import (
	"context"
	"errors"
	"testing"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

func TestCallerID(t *testing.T) {
	tests := []struct {
		name          string
		policy        domain.CallerIDPolicy
		wantFrom, pai string
	}{
		{"as is", domain.CallerIDPolicy{}, "6000", ""},
		{"presentation", domain.CallerIDPolicy{Presentation: "861012345678"}, "861012345678", ""},
		{"pool with PAI", domain.CallerIDPolicy{Pool: []string{"861011111111"}, PAI: true}, "861011111111", "861011111111"},
		{"a caller in the pool keeps its number", domain.CallerIDPolicy{Pool: []string{"861011111111", "6000"}}, "6000", ""},
		{"presentation wins over pool", domain.CallerIDPolicy{Presentation: "8610", Pool: []string{"8620"}, PAI: true}, "8610", "8610"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, pai := callerID(tt.policy, "6000", "call-1")
			if from != tt.wantFrom || pai != tt.pai {
				t.Errorf("callerID = %q, %q; want %q, %q", from, pai, tt.wantFrom, tt.pai)
			}
		})
	}
	// A pool pick is stable per call, so a retry presents the same number.
	p := domain.CallerIDPolicy{Pool: []string{"a", "b", "c", "d"}}
	first, _ := callerID(p, "6000", "call-x")
	if again, _ := callerID(p, "6000", "call-x"); again != first {
		t.Errorf("pool pick changed for the same call: %q then %q", first, again)
	}
}

func TestLooksLikeNumber(t *testing.T) {
	tests := map[string]bool{
		"13800138000": true, "+8613800138000": true, "1234567": true,
		"123456": false, "alice": false, "6000": false, "+86abc4567": false, "": false,
	}
	for in, want := range tests {
		if got := looksLikeNumber(in); got != want {
			t.Errorf("looksLikeNumber(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestFailoverCode(t *testing.T) {
	resp := func(code int) callEvent {
		return callEvent{leg: &bLeg{}, err: &sipgo.ErrDialogResponse{Res: &sip.Response{StatusCode: code}}}
	}
	timedOut := &bLeg{}
	timedOut.timedOut.Store(true)
	tests := []struct {
		name string
		ev   callEvent
		want bool
	}{
		{"503 fails over", resp(503), true},
		{"500 fails over", resp(500), true},
		{"502 fails over", resp(502), true},
		{"504 fails over", resp(504), true},
		{"408 fails over", resp(408), true},
		{"486 is about the callee", resp(486), false},
		{"404 is about the callee", resp(404), false},
		{"603 is about the callee", resp(603), false},
		{"no response in time", callEvent{leg: timedOut, err: context.Canceled}, true},
		{"no common codec", callEvent{leg: &bLeg{}, err: ErrNoCommonCodec}, false},
		{"transport error", callEvent{leg: &bLeg{}, err: errors.Join(sip.ErrTransactionTransport)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failoverCode(tt.ev); got != tt.want {
				t.Errorf("failoverCode = %v, want %v", got, tt.want)
			}
		})
	}
}
