package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// quick is a short run: 0.3 s warm-up, 0.6 s measured = 30 rounds.
func quick(calls int) options {
	return options{calls: calls, warmup: 300 * time.Millisecond, duration: 600 * time.Millisecond,
		drain: 200 * time.Millisecond, ip: "127.0.0.1", readers: 1, poll: time.Millisecond,
		tick: 200 * time.Microsecond, ngParallel: 4, ngTimeout: 100 * time.Millisecond, switchWait: 2 * time.Second}
}

func TestRunLoad(t *testing.T) {
	t.Parallel()
	const calls = 8
	const perDir = calls * 30 // 0.6 s / 20 ms rounds, one packet per call per round

	var dropped atomic.Int64
	lossy := startRelay(t, calls, dropEveryMeasuredAtoB(10, &dropped))
	lossyFile := filepath.Join(t.TempDir(), "pairs")
	var lines strings.Builder
	lines.WriteString("# A-side B-side\n")
	for _, p := range lossy.pairs() {
		lines.WriteString(p.A.String() + " " + p.B.String() + "\n")
	}
	if err := os.WriteFile(lossyFile, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	// Call 0's A→B packets go to call 1's B endpoint.
	misrouting := startRelay(t, calls, func(call int, fromA bool, _ []byte) (bool, int) {
		if call == 0 && fromA {
			return false, 1
		}
		return false, call
	})
	misFile := filepath.Join(t.TempDir(), "pairs")
	lines.Reset()
	for _, p := range misrouting.pairs() {
		lines.WriteString(p.A.String() + " " + p.B.String() + "\n")
	}
	if err := os.WriteFile(misFile, []byte(lines.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ng := startFakeNG(t, calls)

	tests := []struct {
		name      string
		set       func(*options)
		wantAtoB  func() uint64 // received A→B
		misrouted bool
		dead      int
	}{
		{"direct", func(o *options) { o.direct = true }, func() uint64 { return perDir }, false, 0},
		{"pairs, relay drops every 10th A→B", func(o *options) { o.pairs = lossyFile },
			func() uint64 { return perDir - uint64(dropped.Load()) }, false, 0},
		{"pairs, relay crosses calls", func(o *options) { o.pairs = misFile }, func() uint64 { return perDir - calls*30/calls }, true, 1},
		{"ng with retransmits", func(o *options) { o.ng = ng.addr().String(); o.pid = os.Getpid() }, func() uint64 { return perDir }, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := quick(calls)
			tt.set(&o)
			rep, err := runLoad(context.Background(), testLog(t), o)
			if err != nil {
				t.Fatal(err)
			}
			if rep.AtoB.Sent != perDir || rep.BtoA.Sent != perDir {
				t.Fatalf("sent %d/%d, want %d each way", rep.AtoB.Sent, rep.BtoA.Sent, perDir)
			}
			if want := tt.wantAtoB(); rep.AtoB.Received != want || rep.BtoA.Received != perDir {
				t.Errorf("received A→B %d (want %d), B→A %d (want %d)", rep.AtoB.Received, want, rep.BtoA.Received, perDir)
			}
			if wantLoss := pct(perDir-tt.wantAtoB(), perDir); rep.AtoB.LossPct != wantLoss || rep.BtoA.LossPct != 0 {
				t.Errorf("loss A→B %.3f%% (want %.3f%%), B→A %.3f%%", rep.AtoB.LossPct, wantLoss, rep.BtoA.LossPct)
			}
			if (rep.Misrouted > 0) != tt.misrouted || rep.DeadCallDirs != tt.dead {
				t.Errorf("misrouted %d dead %d, want misrouted=%v dead %d", rep.Misrouted, rep.DeadCallDirs, tt.misrouted, tt.dead)
			}
			if rep.Latency.P50us <= 0 || rep.Latency.P99us > 100_000 || rep.Latency.Over != 0 {
				t.Errorf("latency %+v", rep.Latency)
			}
			if rep.OfferedPPS < 0.8*2*calls*50 || rep.OfferedPPS > 1.2*2*calls*50 || rep.WindowSec < 0.5 {
				t.Errorf("offered %.0f pps over %.2f s, want about %d", rep.OfferedPPS, rep.WindowSec, 2*calls*50)
			}
			if rep.SelfCPUSec <= 0 {
				t.Errorf("own CPU %v", rep.SelfCPUSec)
			}
			if o.pid != 0 && rep.TargetCPUSec <= 0 {
				t.Errorf("target pid %d CPU %v", o.pid, rep.TargetCPUSec)
			}
		})
	}
	if ng.deletes.Load() != calls || ng.badReq.Load() != 0 {
		t.Errorf("fake rtpengine: %d deletes (want %d), %d bad requests", ng.deletes.Load(), calls, ng.badReq.Load())
	}
}

func TestSwitchSource(t *testing.T) {
	t.Parallel()
	const calls = 4
	relay := startRelay(t, calls, nil)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/calls" || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		// The first poll sees the calls still being set up (no media yet).
		if hits.Add(1) == 1 {
			w.Write([]byte(`[{"id":"c0","media":[]}]`))
			return
		}
		var b strings.Builder
		b.WriteString(`[{"id":"ringing","state":"early"}`)
		for i, p := range relay.pairs() {
			b.WriteString(`,{"id":"c` + string(rune('0'+i)) + `","media":[{"leg":"b","local":"` + p.B.String() + `"},{"leg":"a","local":"` + p.A.String() + `"}]}`)
		}
		b.WriteString("]")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name  string
		token string
		calls int
		err   error
	}{
		{"anchored calls", "s3cret", calls, nil},
		{"wrong token", "nope", calls, ErrSessions},
		{"more calls than the switch has", "s3cret", calls + 1, ErrSessions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := quick(tt.calls)
			o.switchURL, o.token = srv.URL+"/", tt.token
			o.switchWait = 1200 * time.Millisecond
			rep, err := runLoad(context.Background(), testLog(t), o)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			// The relay latches on both endpoints during the warm-up.
			if rep.LossPct != 0 || rep.AtoB.Received != calls*30 || rep.DeadCallDirs != 0 {
				t.Errorf("through the switch's relay: %+v", rep)
			}
		})
	}
}

func TestReadPairs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		n    int
		err  error
	}{
		{"two", "127.0.0.1:30000 127.0.0.1:30002\n\n# note\n127.0.0.1:30004\t127.0.0.1:30006\n", 2, nil},
		{"empty", "", 0, nil},
		{"one field", "127.0.0.1:30000\n", 0, ErrSessions},
		{"no port", "127.0.0.1 127.0.0.1:30002\n", 0, ErrSessions},
	}
	for _, tt := range tests {
		got, err := readPairs(strings.NewReader(tt.in))
		if !errors.Is(err, tt.err) || len(got) != tt.n {
			t.Errorf("%s: %d pairs, err %v; want %d, %v", tt.name, len(got), err, tt.n, tt.err)
		}
	}
	src := fixedSource{name: "pairs", pairs: make([]relayPair, 1)}
	if _, err := src.Sessions(context.Background(), make([]endpointPair, 2)); !errors.Is(err, ErrSessions) {
		t.Errorf("2 calls from 1 pair: %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		err  bool
		dur  time.Duration
	}{
		{[]string{"--direct", "--duration", "20"}, false, 20 * time.Second},
		{[]string{"--ng", "127.0.0.1:2223", "--duration", "1500ms"}, false, 1500 * time.Millisecond},
		{[]string{}, true, 0},
		{[]string{"--direct", "--ng", "127.0.0.1:2223"}, true, 0},
		{[]string{"--direct", "--calls", "0"}, true, 0},
		{[]string{"--direct", "--duration", "soon"}, true, 0},
		{[]string{"--direct", "--poll", "0s"}, true, 0},
		{[]string{"--direct", "--pt", "200"}, true, 0},
	}
	for _, tt := range tests {
		o, err := parseFlags(tt.args, &strings.Builder{})
		if (err != nil) != tt.err || (err == nil && o.duration != tt.dur) {
			t.Errorf("%v: duration %v err %v", tt.args, o.duration, err)
		}
	}
}

func TestProcCPU(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ { // burn a little CPU
		_ = x * x
	}
	if d, err := procCPU(os.Getpid()); err != nil || d <= 0 {
		t.Errorf("procCPU(self) = %v, %v", d, err)
	}
	if _, err := procCPU(1 << 30); !errors.Is(err, ErrProcStat) {
		t.Errorf("procCPU(no such pid): %v", err)
	}
	if selfCPU() <= 0 {
		t.Error("selfCPU is zero")
	}
	if _, ok := udpRcvbufErrors(); !ok {
		t.Error("no RcvbufErrors in /proc/net/snmp")
	}
}
