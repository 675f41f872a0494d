package switching

import (
	"log/slog"
	"testing"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/interconnect/number"
)

// TestPresented: a subscriber's P-Preferred-Identity is presented only
// when its policy lists the number; every other wish — another number,
// a neighbour's, garbage, a scheme that is no URI — presents the account
// and is counted (RFC 3325 §9.2).
func TestPresented(t *testing.T) {
	z, err := number.NewNormalizer("86")
	if err != nil {
		t.Fatal(err)
	}
	policies := map[string]domain.CallingPolicy{
		"dialer": {Identities: []string{"862112345678", "862112345679"}},
		"6001":   {Identities: []string{"861088880000"}},
	}
	b := &B2BUA{m: &Metrics{}, log: slog.New(slog.DiscardHandler),
		x: &Interconnect{Normalizer: z, Policy: func(u string) domain.CallingPolicy { return policies[u] }}}
	tests := []struct {
		name, user string
		ppi        []string
		want       string
		refused    bool
	}{
		{"no header: the account", "dialer", nil, "dialer", false},
		{"a listed number, E.164 in a sip URI", "dialer", []string{"<sip:+862112345678@switch>"}, "862112345678", false},
		{"a listed number in national form", "dialer", []string{`"Sales" <sip:02112345679@switch;user=phone>`}, "862112345679", false},
		{"a listed number as a tel URI", "dialer", []string{"<tel:+86-21-1234-5678>"}, "862112345678", false},
		{"sip and tel in one header, the tel listed", "dialer", []string{"<sip:6001@switch>, <tel:+862112345679>"}, "862112345679", false},
		{"another subscriber's number", "dialer", []string{"<sip:+861088880000@switch>"}, "dialer", true},
		{"a number nobody has", "6001", []string{"<sip:+8613800000000@switch>"}, "6001", true},
		{"a subscriber with no identities", "6002", []string{"<sip:+862112345678@switch>"}, "6002", true},
		{"unclosed angle bracket", "dialer", []string{"<sip:+862112345678@switch"}, "dialer", true},
		{"not a URI scheme it reads", "dialer", []string{"<http://+862112345678>"}, "dialer", true},
		{"empty user", "dialer", []string{"<sip:@switch>"}, "dialer", true},
		{"letters", "dialer", []string{"<sip:alice@switch>"}, "dialer", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "13800000000", Host: "switch"})
			for _, v := range tt.ppi {
				req.AppendHeader(sip.NewHeader("P-Preferred-Identity", v))
			}
			before := b.m.identitiesRefused.Load()
			if got := b.presented(tt.user, req); got != tt.want {
				t.Errorf("presented %q, want %q", got, tt.want)
			}
			if refused := b.m.identitiesRefused.Load() != before; refused != tt.refused {
				t.Errorf("counted refused %v, want %v", refused, tt.refused)
			}
		})
	}
}
