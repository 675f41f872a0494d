package switching

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/media"
)

// fakeRelay stands for a media session: the test sets when each leg last
// sent RTP and reads what the call pointed it at.
type fakeRelay struct {
	mu     sync.Mutex
	last   [2]time.Time
	remote [2]media.Remote
	sets   int
	closed int
}

func (f *fakeRelay) Local(leg media.Leg) (netip.AddrPort, netip.AddrPort) {
	p := uint16(30000 + 2*int(leg))
	return netip.AddrPortFrom(netip.MustParseAddr("192.0.2.10"), p), netip.AddrPortFrom(netip.MustParseAddr("192.0.2.10"), p+1)
}

func (f *fakeRelay) SetRemote(leg media.Leg, r media.Remote) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.remote[leg], f.sets = r, f.sets+1
	return nil
}

func (f *fakeRelay) LastReceived(leg media.Leg) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[leg]
}

func (f *fakeRelay) setLast(t time.Time) {
	f.mu.Lock()
	f.last = [2]time.Time{t, t}
	f.mu.Unlock()
}

func (f *fakeRelay) Stats() media.Stats {
	var s media.Stats
	s.A.Received.Packets, s.B.Received.Packets = 100, 90
	return s
}

func (f *fakeRelay) Close() (media.Final, error) {
	f.mu.Lock()
	f.closed++
	f.mu.Unlock()
	return media.Final{Stats: f.Stats()}, nil
}

func sdpBody(port int, dir string) []byte {
	return []byte("v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio " +
		itoa(port) + " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=" + dir + "\r\n")
}

var mediaTimers = MediaConfig{Advertise: netip.MustParseAddr("192.0.2.10"), Timeout: 60 * time.Second, HoldTimeout: 300 * time.Second,
	StatsInterval: 30 * time.Second}

func newFakeMedia() (*callMedia, *fakeRelay) {
	f := &fakeRelay{}
	return &callMedia{s: f, sessID: 7, dtmf: make(chan media.DTMF, 4)}, f
}

// eventsOf lists the types of the call's recorded events.
func (l *loop) eventsOf(typ string) []domain.Envelope {
	var out []domain.Envelope
	_ = l.store.Read(context.Background(), 1, func(e domain.Envelope) error {
		if e.Type == typ {
			out = append(out, e)
		}
		return nil
	})
	return out
}

// TestTalkDeadMediaEndsCall: no RTP either way for media.timeout ends an
// answered call with BYE on both legs, billed to the last packet, with the
// final media stats recorded before call.ended and the relay closed.
func TestTalkDeadMediaEndsCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, f := newFakeMedia()
		start := time.Now()
		f.setLast(start.Add(10 * time.Second))
		l := startLoop(t, loopOptions{media: m, mcfg: mediaTimers})
		r := l.ended()
		if got := time.Since(start); got != 70*time.Second {
			t.Errorf("ended after %s, want 70 s (last packet at 10 s + 60 s)", got)
		}
		if r.Reason != "Media Timeout" || r.EndedBy != domain.BySwitch || r.BillableS != 10 {
			t.Errorf("CDR %q by %s billing %d s, want Media Timeout by switch, 10 s", r.Reason, r.EndedBy, r.BillableS)
		}
		for name, d := range map[string]*fakeDialog{"A": l.a, "B": l.bp} {
			if got := d.methods(); len(got) != 1 || got[0] != "BYE" {
				t.Errorf("%s got %v, want [BYE]", name, got)
			}
		}
		if f.closed != 1 {
			t.Errorf("relay closed %d times, want 1", f.closed)
		}
		if len(r.Media) != 2 || r.Media[0].Packets != 100 || r.Media[1].Packets != 90 {
			t.Errorf("CDR media %+v, want the final stats of both legs", r.Media)
		}
		// Two periodic snapshots (30 s, 60 s), then the final one.
		st := l.eventsOf(domain.TypeMediaStats)
		if len(st) != 3 {
			t.Fatalf("%d media_stats events, want 3", len(st))
		}
		if ev, _ := domain.Decode(st[2]); !ev.(domain.MediaStats).Final {
			t.Error("the last media_stats is not final")
		}
	})
}

// TestTalkMediaKeepsLiveCall: RTP that keeps coming keeps the call up
// past the timeout; a BYE ends it normally.
func TestTalkMediaKeepsLiveCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, f := newFakeMedia()
		l := startLoop(t, loopOptions{media: m, mcfg: mediaTimers})
		for range 10 {
			time.Sleep(20 * time.Second)
			f.setLast(time.Now())
		}
		synctest.Wait()
		l.request(evBye, false, sip.BYE)
		if r := l.ended(); r.Reason != "Normal Clearing" || r.BillableS != 200 {
			t.Errorf("CDR %q %d s, want Normal Clearing after 200 s", r.Reason, r.BillableS)
		}
	})
}

// TestTalkHoldUsesHoldTimeout: a re-INVITE with a=sendonly (RFC 3264
// §8.4) re-points the relay, reaches the other side rewritten to the
// switch's address, and puts the call on media.hold_timeout; the hold
// restarts the clock.
func TestTalkHoldUsesHoldTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, f := newFakeMedia()
		l := startLoop(t, loopOptions{media: m, mcfg: mediaTimers})
		l.bp.setAnswer(func(_ context.Context, req *sip.Request) (*sip.Response, error) {
			if req.Method == sip.INVITE {
				return sip.NewResponseFromRequest(req, 200, "OK", sdpBody(5000, "recvonly")), nil
			}
			return sip.NewResponseFromRequest(req, 200, "OK", nil), nil
		})
		time.Sleep(30 * time.Second)
		hold := time.Now()
		req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "switch"})
		req.AppendHeader(&sip.CSeqHeader{SeqNo: 2, MethodName: sip.INVITE})
		req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
		req.SetBody(sdpBody(4000, "sendonly"))
		tx := &fakeTx{}
		l.c.events <- callEvent{kind: evReinvite, req: req, tx: tx, fromA: true}
		r := l.ended()
		if got := tx.codes(); len(got) != 1 || got[0] != 200 {
			t.Fatalf("re-INVITE answered %v, want [200]", got)
		}
		if got := time.Since(hold); got != 300*time.Second {
			t.Errorf("ended %s after the hold, want the hold timeout (300 s)", got)
		}
		if r.Reason != "Media Timeout" {
			t.Errorf("reason %q, want Media Timeout", r.Reason)
		}
		if f.remote[media.A].Direction != media.SendOnly || f.remote[media.A].RTP.Port() != 4000 || f.remote[media.B].RTP.Port() != 5000 {
			t.Errorf("relay pointed at A %+v B %+v", f.remote[media.A], f.remote[media.B])
		}
		sent := l.bp.sent[0]
		if body := string(sent.Body()); !strings.Contains(body, "c=IN IP4 192.0.2.10") || !strings.Contains(body, "m=audio 30002 ") ||
			!strings.Contains(body, "a=sendonly") {
			t.Errorf("B got an offer not rewritten to the switch's B-leg port:\n%s", body)
		}
		answer := string(tx.res[0].Body())
		if !strings.Contains(answer, "m=audio 30000 ") || strings.Contains(answer, "198.51.100.7") {
			t.Errorf("A got an answer not rewritten to the switch's A-leg port:\n%s", answer)
		}
		if got := len(l.eventsOf(domain.TypeMediaAnchored)); got != 2 {
			t.Errorf("%d media_anchored events, want 2 (the offer and the answer)", got)
		}
	})
}

// TestTalkRefusesBadReinviteSDP: an SDP the switch cannot anchor is
// answered 488 or 400 with a Warning, and nothing reaches the other side.
func TestTalkRefusesBadReinviteSDP(t *testing.T) {
	tests := []struct {
		name string
		body string
		code int
	}{
		{"not SDP", "hello", 400},
		{"video only", "v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n", 488},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m, f := newFakeMedia()
				f.setLast(time.Now().Add(time.Hour))
				l := startLoop(t, loopOptions{media: m, mcfg: mediaTimers})
				req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", Host: "switch"})
				req.AppendHeader(&sip.CSeqHeader{SeqNo: 2, MethodName: sip.INVITE})
				req.SetBody([]byte(tt.body))
				tx := &fakeTx{}
				l.c.events <- callEvent{kind: evReinvite, req: req, tx: tx, fromA: true}
				synctest.Wait()
				if got := tx.codes(); len(got) != 1 || got[0] != tt.code {
					t.Fatalf("answered %v, want [%d]", got, tt.code)
				}
				if w := tx.res[0].GetHeader("Warning"); w == nil || !strings.HasPrefix(w.Value(), "399 ") {
					t.Errorf("no Warning 399 in the answer: %v", w)
				}
				if got := l.bp.methods(); len(got) != 0 {
					t.Errorf("B got %v, want nothing", got)
				}
				l.request(evBye, true, sip.BYE)
				l.ended()
			})
		})
	}
}

// TestTalkRecordsDTMF: digits the relay reports become call.dtmf events.
func TestTalkRecordsDTMF(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, f := newFakeMedia()
		f.setLast(time.Now().Add(time.Hour))
		l := startLoop(t, loopOptions{media: m, mcfg: mediaTimers})
		for _, d := range []string{"1", "#"} {
			m.dtmf <- media.DTMF{Leg: media.A, Digit: d, Duration: 160 * time.Millisecond, Start: time.Now(), Ended: true}
		}
		synctest.Wait()
		l.request(evBye, true, sip.BYE)
		l.ended()
		var got []string
		for _, e := range l.eventsOf(domain.TypeDTMF) {
			ev, _ := domain.Decode(e)
			d := ev.(domain.DTMF)
			got = append(got, d.Leg+":"+d.Digit)
		}
		if strings.Join(got, ",") != "a:1,a:#" {
			t.Errorf("dtmf events %v, want a:1, a:#", got)
		}
	})
}

// TestRewriteVersion: the o= version towards a leg grows only when what
// the switch sends it changes (RFC 3264 §8).
func TestRewriteVersion(t *testing.T) {
	m, _ := newFakeMedia()
	c := &call{b: &B2BUA{cfg: B2BUAConfig{Media: mediaTimers}}, media: m}
	version := func(body string) string {
		desc, err := media.ParseSDP([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.rewriteFor(media.B, desc)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(out), "\r\n") {
			if strings.HasPrefix(line, "o=") {
				return strings.Fields(line)[2]
			}
		}
		return ""
	}
	steps := []struct {
		body string
		want string
	}{
		{string(sdpBody(4000, "sendrecv")), "1"},
		{string(sdpBody(4000, "sendrecv")), "1"},
		{string(sdpBody(4000, "sendonly")), "2"},
		// A moved endpoint changes nothing the other leg sees.
		{string(sdpBody(4002, "sendonly")), "2"},
		{string(sdpBody(4002, "inactive")), "3"},
	}
	for i, s := range steps {
		if got := version(s.body); got != s.want {
			t.Errorf("step %d: o= version %s, want %s", i, got, s.want)
		}
	}
}

// TestAsksRecording: media.record_header lets the caller ask for one call
// to be recorded with "on"; nothing else, and no header when unset.
func TestAsksRecording(t *testing.T) {
	tests := []struct {
		name, configured, header, value string
		want                            bool
	}{
		{"asked", "X-Record", "X-Record", "on", true},
		{"any case and spaces", "X-Record", "x-record", " ON ", true},
		{"off", "X-Record", "X-Record", "off", false},
		{"absent", "X-Record", "", "", false},
		{"not configured", "", "X-Record", "on", false},
		{"another header", "X-Record", "X-Rec", "on", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "6001", Host: "switch"})
			if tt.header != "" {
				req.AppendHeader(sip.NewHeader(tt.header, tt.value))
			}
			c := &call{b: &B2BUA{cfg: B2BUAConfig{Media: MediaConfig{RecordHeader: tt.configured}}},
				a: &sipgo.DialogServerSession{Dialog: sipgo.Dialog{InviteRequest: req}}}
			if got := c.asksRecording(); got != tt.want {
				t.Errorf("asksRecording = %v, want %v", got, tt.want)
			}
		})
	}
}
