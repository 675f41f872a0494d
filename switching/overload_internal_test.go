package switching

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// TestOverloadHysteresis: shedding starts when the average wait over
// the last 100 ms passes the threshold (the 50 ms default) and stops only
// below half of it; a short stall (a GC pause, a burst) does not start it.
func TestOverloadHysteresis(t *testing.T) {
	o := &Overload{Threshold: 50 * time.Millisecond, RetryAfter: 2 * time.Second}
	now := time.Unix(1000, 0)
	// feed: one datagram per millisecond for d, each having waited wait.
	feed := func(wait, d time.Duration) {
		for range int(d / time.Millisecond) {
			now = now.Add(time.Millisecond)
			o.observe(wait, now)
		}
	}
	steps := []struct {
		name       string
		wait, span time.Duration
		want       bool
	}{
		{"idle", 50 * time.Microsecond, time.Second, false},
		{"a 20 ms stall", 100 * time.Millisecond, 20 * time.Millisecond, false},
		{"recovered", 50 * time.Microsecond, time.Second, false},
		{"a backlog", 150 * time.Millisecond, 200 * time.Millisecond, true},
		{"draining, still above half", 30 * time.Millisecond, 2 * time.Second, true},
		{"drained", 10 * time.Microsecond, 2 * time.Second, false},
	}
	for _, s := range steps {
		feed(s.wait, s.span)
		if got := o.shedding.Load(); got != s.want {
			t.Errorf("%s: shedding %v (average %s), want %v", s.name, got, o.Delay(), s.want)
		}
	}
}

// TestOverloadShedAnswers503: while shedding, a new INVITE gets 503 with
// Retry-After and is counted; otherwise it passes.
func TestOverloadShedAnswers503(t *testing.T) {
	o := &Overload{Threshold: time.Millisecond, RetryAfter: 2 * time.Second}
	m := &Metrics{}
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "6001", Host: "switch"})
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	tx := &fakeTx{}
	if o.Shed(req, tx, m) || len(tx.res) != 0 {
		t.Fatal("shed while idle")
	}
	at := time.Now()
	for i := range 100 {
		o.observe(time.Second, at.Add(time.Duration(i)*10*time.Millisecond))
	}
	if !o.Shed(req, tx, m) {
		t.Fatal("not shed while overloaded")
	}
	if got := tx.codes(); len(got) != 1 || got[0] != 503 {
		t.Fatalf("answered %v, want [503]", got)
	}
	if ra := tx.res[0].GetHeader("Retry-After"); ra == nil || ra.Value() != "2" {
		t.Errorf("Retry-After %v, want 2", ra)
	}
	if o.ShedCount() != 1 {
		t.Errorf("shed count %d, want 1", o.ShedCount())
	}
	var nilO *Overload
	if nilO.Shed(req, tx, m) {
		t.Error("a nil Overload shed")
	}
}

// TestEdgeMeasuresQueueWait: datagrams left waiting in a stamped socket
// show up as the overload's queue wait when the edge reads them.
func TestEdgeMeasuresQueueWait(t *testing.T) {
	pcs, err := listenUDP(context.Background(), "127.0.0.1:0", 1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer pcs[0].Close()
	o := &Overload{Threshold: 20 * time.Millisecond}
	o.last.Store(time.Now().Add(-time.Second).UnixNano()) // as if the socket had been idle
	e := newEdge(EdgeConfig{}, nil, &Metrics{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.overload = o
	c := e.packetConn(pcs[0])
	cl, err := net.DialUDP("udp", nil, pcs[0].LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	opts := "OPTIONS sip:switch SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-%d\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:switch>\r\nCall-ID: q%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	buf := make([]byte, 1<<16)
	// The kernel turns receive stamping on for the whole system a moment
	// after the first socket asks (a deferred static key); until then a
	// datagram is stamped when it is read. Wait for real stamps.
	for i := 0; ; i++ {
		if _, err := cl.Write([]byte(fmt.Sprintf(opts, 1000+i, 1000+i))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		n, oobn, _, _, err := pcs[0].(*net.UDPConn).ReadMsgUDPAddrPort(buf, c.oob)
		if err != nil || n == 0 {
			t.Fatal(err)
		}
		if at := rxTimestamp(c.oob[:oobn]); !at.IsZero() && time.Since(at) >= 15*time.Millisecond {
			break
		}
		if i == 50 {
			t.Fatal("datagrams are not stamped on arrival (SO_TIMESTAMPNS)")
		}
	}
	for i := range 40 {
		if _, err := cl.Write([]byte(fmt.Sprintf(opts, i, i))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(600 * time.Millisecond) // the backlog waits
	for range 40 {
		_ = pcs[0].SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := c.ReadFrom(buf); err != nil {
			t.Fatal(err)
		}
	}
	if d := o.Delay(); d < 20*time.Millisecond {
		t.Errorf("measured queue wait %s, want most of the 600 ms the datagrams waited", d)
	}
	if !o.shedding.Load() {
		t.Error("not shedding after a backlog over the threshold")
	}
}

// TestEdgeShedsNewInvites: while the switch sheds, the edge answers a new
// INVITE 503 with Retry-After itself, statelessly, and passes everything
// else (a re-INVITE, other methods) on; while it does not, every INVITE
// passes.
func TestEdgeShedsNewInvites(t *testing.T) {
	invite := func(to string) []byte {
		return crlf("INVITE sip:6001@127.0.0.1 SIP/2.0\n" +
			"Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKshed1;rport\n" +
			"Max-Forwards: 70\n" +
			"From: <sip:6000@example.com>;tag=1\n" +
			"To: " + to + "\n" +
			"Call-ID: shed1\n" +
			"CSeq: 1 INVITE\n" +
			"Content-Length: 0\n\n")
	}
	options := crlf(optionsHead + "Content-Length: 0\n\n")
	tests := []struct {
		name     string
		shedding bool
		msg      []byte
		shed     bool
	}{
		{"new INVITE, overloaded", true, invite("<sip:6001@127.0.0.1>"), true},
		{"re-INVITE, overloaded", true, invite("<sip:6001@127.0.0.1>;tag=abc"), false},
		{"OPTIONS, overloaded", true, options, false},
		{"new INVITE, not overloaded", false, invite("<sip:6001@127.0.0.1>"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEdge(t, EdgeConfig{})
			e.overload = &Overload{Threshold: time.Millisecond, RetryAfter: 3 * time.Second}
			e.overload.shedding.Store(tt.shedding)
			r := runDatagram(t, e, tt.msg, testSrc)
			if !tt.shed {
				if r.out == nil || r.answer != nil {
					t.Fatalf("not passed on (answered %q)", r.answer)
				}
				return
			}
			if r.out != nil {
				t.Fatal("a shed INVITE was passed on to sipgo")
			}
			a := string(r.answer)
			if !strings.HasPrefix(a, "SIP/2.0 503 ") || !strings.Contains(a, "\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n") ||
				!strings.Contains(a, "Call-ID: shed1\r\n") || !strings.Contains(a, ";tag=") {
				t.Errorf("answer:\n%s", a)
			}
			if r.to != testSrc {
				t.Errorf("answered to %s, want the source %s (rport)", r.to, testSrc)
			}
			if e.overload.ShedCount() != 1 {
				t.Errorf("shed count %d, want 1", e.overload.ShedCount())
			}
		})
	}
}

// TestEdgeAbsorbsAcksOfItsAnswers: the ACK of a shed INVITE's 503 (its To
// tag is the edge's) is dropped at the edge and counted; an ACK of
// anything else, a 2xx's in a dialog sipgo made, passes on.
func TestEdgeAbsorbsAcksOfItsAnswers(t *testing.T) {
	e := testEdge(t, EdgeConfig{})
	e.overload = &Overload{Threshold: time.Millisecond, RetryAfter: time.Second}
	e.overload.shedding.Store(true)
	msg := func(method, to string) []byte {
		return crlf(method + " sip:6001@127.0.0.1 SIP/2.0\n" +
			"Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bKshed2;rport\n" +
			"Max-Forwards: 70\n" +
			"From: <sip:6000@example.com>;tag=1\n" +
			"To: " + to + "\n" +
			"Call-ID: shed2\n" +
			"CSeq: 1 " + method + "\n" +
			"Content-Length: 0\n\n")
	}
	r := runDatagram(t, e, msg("INVITE", "<sip:6001@127.0.0.1>"), testSrc)
	_, tag, ok := strings.Cut(string(r.answer), "To: <sip:6001@127.0.0.1>;tag=")
	if !ok {
		t.Fatalf("503 without a To tag:\n%s", r.answer)
	}
	tag, _, _ = strings.Cut(tag, "\r\n")
	if !strings.HasPrefix(tag, e.tagPrefix) {
		t.Fatalf("503's To tag %q lacks the edge's prefix %q", tag, e.tagPrefix)
	}
	tests := []struct {
		name   string
		msg    []byte
		passed bool
	}{
		{"ACK of the 503", msg("ACK", "<sip:6001@127.0.0.1>;tag="+tag), false},
		{"ACK of a dialog", msg("ACK", "<sip:6001@127.0.0.1>;tag=abc"), true},
		{"BYE with the edge's tag", msg("BYE", "<sip:6001@127.0.0.1>;tag="+tag), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.m.edge.acksAbsorbed.Load()
			r := runDatagram(t, e, tt.msg, testSrc)
			if got := r.out != nil; got != tt.passed {
				t.Fatalf("passed on = %v, want %v", got, tt.passed)
			}
			if r.answer != nil {
				t.Fatalf("answered %q", r.answer)
			}
			if n := e.m.edge.acksAbsorbed.Load() - before; n != map[bool]uint64{true: 0, false: 1}[tt.passed] {
				t.Fatalf("absorbed %d", n)
			}
		})
	}
}
