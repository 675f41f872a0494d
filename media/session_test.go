package media

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

const wait = 2 * time.Second

func TestRelayBothWays(t *testing.T) {
	pool := newTestPool(t, 61300, 61399)
	s := newTestSession(t, pool, SessionConfig{})
	a, b := newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	s.SetRemote(B, b.remote())
	aLocal, _ := s.Local(A)
	bLocal, _ := s.Local(B)

	for i := range 10 {
		pkt := rtpPacket(t, 0, uint16(100+i), uint32(160*i), 0xA, pcmu(160, 0xff))
		a.send(aLocal, pkt)
		got, from, ok := b.recv(wait)
		if !ok || !bytes.Equal(got, pkt) || from != bLocal {
			t.Fatalf("A→B packet %d: ok %v from %v (want %v), equal %v", i, ok, from, bLocal, bytes.Equal(got, pkt))
		}
		back := rtpPacket(t, 8, uint16(7000+i), uint32(160*i), 0xB, pcmu(160, 0xd5))
		b.send(bLocal, back)
		got, from, ok = a.recv(wait)
		if !ok || !bytes.Equal(got, back) || from != aLocal {
			t.Fatalf("B→A packet %d: ok %v from %v, equal %v", i, ok, from, bytes.Equal(got, back))
		}
	}
	// The relay counts a packet just after sending it.
	waitFor(t, "relay counters", func() bool { st := s.Stats(); return st.A.SentPackets == 10 && st.B.SentPackets == 10 })
	st := s.Stats()
	for _, l := range []LegStats{st.A, st.B} {
		if l.Received.Packets != 10 || l.Received.Relayed != 10 || l.SentPackets != 10 || !l.Locked || l.Received.Lost != 0 {
			t.Fatalf("leg stats %+v", l)
		}
		if l.Received.MOS < 4.3 {
			t.Fatalf("MOS %.2f for a clean stream", l.Received.MOS)
		}
	}
	if st.A.Source != a.addr() || st.B.Source != b.addr() {
		t.Fatalf("sources %v %v", st.A.Source, st.B.Source)
	}
}

// TestEarlyMediaAndSymmetric: before B's SDP is known, B's early media
// reaches A, and B's source is then where A's media goes (symmetric RTP).
func TestEarlyMediaAndSymmetric(t *testing.T) {
	pool := newTestPool(t, 61400, 61499)
	s := newTestSession(t, pool, SessionConfig{LearnWindow: -1})
	a, b := newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	aLocal, _ := s.Local(A)
	bLocal, _ := s.Local(B)

	a.send(aLocal, rtpPacket(t, 0, 1, 0, 1, pcmu(160, 0xff)))
	waitFor(t, "no destination drop", func() bool { return s.Stats().A.Received.Dropped.NoDestination == 1 })

	ring := rtpPacket(t, 0, 1, 0, 2, pcmu(160, 0x7f))
	b.send(bLocal, ring)
	if got, _, ok := a.recv(wait); !ok || !bytes.Equal(got, ring) {
		t.Fatal("early media from B did not reach A")
	}
	a.send(aLocal, rtpPacket(t, 0, 2, 160, 1, pcmu(160, 0xff)))
	if _, _, ok := b.recv(wait); !ok {
		t.Fatal("A's media did not go to B's learnt source")
	}
}

// TestLatchingBehindNAT: the SDP says a private address nobody sends from;
// the real source is learnt, answered symmetrically, and then nobody else
// is accepted.
func TestLatchingBehindNAT(t *testing.T) {
	pool := newTestPool(t, 61500, 61599)
	s := newTestSession(t, pool, SessionConfig{LearnWindow: -1})
	a, b, stranger := newPhone(t), newPhone(t), newPhone(t)
	ra := a.remote()
	ra.RTP = netip.MustParseAddrPort("10.1.2.3:4000") // what a phone behind NAT writes
	ra.RTCP = netip.AddrPort{}
	s.SetRemote(A, ra)
	s.SetRemote(B, b.remote())
	aLocal, _ := s.Local(A)
	bLocal, _ := s.Local(B)

	a.send(aLocal, rtpPacket(t, 0, 1, 0, 1, pcmu(160, 1)))
	if _, _, ok := b.recv(wait); !ok {
		t.Fatal("A's media not relayed")
	}
	b.send(bLocal, rtpPacket(t, 0, 1, 0, 2, pcmu(160, 2)))
	if _, from, ok := a.recv(wait); !ok || from != aLocal {
		t.Fatal("B's media did not go back to A's real source")
	}
	for i := range 5 {
		stranger.send(aLocal, rtpPacket(t, 0, uint16(500+i), 0, 0xbad, pcmu(160, 3)))
	}
	b.expectNothing("stranger's media after lock")
	waitFor(t, "foreign drops", func() bool { return s.Stats().A.Received.Dropped.Foreign == 5 })
	b.send(bLocal, rtpPacket(t, 0, 2, 160, 2, pcmu(160, 2)))
	if _, _, ok := a.recv(wait); !ok {
		t.Fatal("B's media no longer reaches A after the stranger tried")
	}
	if _, _, ok := stranger.recv(100 * time.Millisecond); ok {
		t.Fatal("the stranger received media")
	}
	if st := s.Stats().A; st.Source != a.addr() || !st.Locked {
		t.Fatalf("A source %v locked %v", st.Source, st.Locked)
	}
}

// TestRTPBleedDuringWindow: with a learning window open, a stranger's
// packets (worse rank than the SDP address) are never relayed, and the
// real endpoint, matching its SDP exactly, locks at once.
func TestRTPBleedDuringWindow(t *testing.T) {
	pool := newTestPool(t, 61600, 61699)
	s := newTestSession(t, pool, SessionConfig{LearnWindow: time.Hour})
	a, b, stranger := newPhone(t), newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	s.SetRemote(B, b.remote())
	aLocal, _ := s.Local(A)

	a.send(aLocal, rtpPacket(t, 0, 1, 0, 1, pcmu(160, 1)))
	if _, _, ok := b.recv(wait); !ok {
		t.Fatal("A's media not relayed")
	}
	stranger.send(aLocal, rtpPacket(t, 0, 9, 0, 9, pcmu(160, 9)))
	b.expectNothing("stranger during the window")
	if st := s.Stats().A; !st.Locked || st.Source != a.addr() {
		t.Fatalf("exact SDP match did not lock: %+v", st)
	}
}

func TestSetRemoteRepointsAndRelearns(t *testing.T) {
	pool := newTestPool(t, 61700, 61799)
	s := newTestSession(t, pool, SessionConfig{LearnWindow: -1})
	a1, a2, b := newPhone(t), newPhone(t), newPhone(t)
	s.SetRemote(A, a1.remote())
	s.SetRemote(B, b.remote())
	aLocal, _ := s.Local(A)
	bLocal, _ := s.Local(B)
	a1.send(aLocal, rtpPacket(t, 0, 1, 0, 1, pcmu(160, 1)))
	if _, _, ok := b.recv(wait); !ok {
		t.Fatal("A1 not relayed")
	}

	// re-INVITE: A moved to a2.
	if err := s.SetRemote(A, a2.remote()); err != nil {
		t.Fatal(err)
	}
	b.send(bLocal, rtpPacket(t, 0, 1, 0, 2, pcmu(160, 2)))
	if _, _, ok := a2.recv(wait); !ok {
		t.Fatal("B's media not re-pointed to A's new address")
	}
	if _, _, ok := a1.recv(100 * time.Millisecond); ok {
		t.Fatal("A's old address still receives")
	}
	a2.send(aLocal, rtpPacket(t, 0, 2, 160, 3, pcmu(160, 3)))
	if _, _, ok := b.recv(wait); !ok {
		t.Fatal("A's new address not learnt")
	}
	a1.send(aLocal, rtpPacket(t, 0, 3, 320, 1, pcmu(160, 1)))
	b.expectNothing("A's old address after the re-INVITE")

	// A change of direction only (hold) keeps the learnt source.
	hold := a2.remote()
	hold.Direction = SendOnly
	s.SetRemote(A, hold)
	if st := s.Stats().A; !st.Locked || st.Source != a2.addr() {
		t.Fatalf("hold reopened learning: %+v", st)
	}
}

func TestHoldDirections(t *testing.T) {
	tests := []struct {
		name       string
		dirA, dirB Direction
		aToB, bToA bool
	}{
		{"sendrecv", SendRecv, SendRecv, true, true},
		{"A holds B (sendonly/recvonly)", SendOnly, RecvOnly, true, false},
		{"B holds A", RecvOnly, SendOnly, false, true},
		{"inactive", Inactive, Inactive, false, false},
		{"A sendonly, B answered sendrecv", SendOnly, SendRecv, true, false},
	}
	pool := newTestPool(t, 61800, 61899)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSession(t, pool, SessionConfig{})
			a, b := newPhone(t), newPhone(t)
			ra, rb := a.remote(), b.remote()
			ra.Direction, rb.Direction = tt.dirA, tt.dirB
			s.SetRemote(A, ra)
			s.SetRemote(B, rb)
			aLocal, aRTCP := s.Local(A)
			bLocal, _ := s.Local(B)
			a.send(aLocal, rtpPacket(t, 0, 1, 0, 1, pcmu(160, 1)))
			b.send(bLocal, rtpPacket(t, 0, 1, 0, 2, pcmu(160, 2)))
			_, _, gotB := b.recv(150 * time.Millisecond)
			_, _, gotA := a.recv(150 * time.Millisecond)
			if gotB != tt.aToB || gotA != tt.bToA {
				t.Fatalf("A→B %v B→A %v, want %v %v", gotB, gotA, tt.aToB, tt.bToA)
			}
			drops := s.Stats().A.Received.Dropped.Direction + s.Stats().B.Received.Dropped.Direction
			want := uint64(0)
			if !tt.aToB {
				want++
			}
			if !tt.bToA {
				want++
			}
			if drops != want {
				t.Fatalf("direction drops %d, want %d", drops, want)
			}
			// RTCP flows whatever the direction (RFC 3264 §5.1).
			a.sendRTCP(aRTCP, marshalRTCP(t, &rtcp.ReceiverReport{SSRC: 1}))
			if _, _, ok := b.recvRTCP(wait); !ok {
				t.Fatal("RTCP not relayed on hold")
			}
		})
	}
}

func TestMalformedDropped(t *testing.T) {
	pool := newTestPool(t, 61900, 61999)
	s := newTestSession(t, pool, SessionConfig{})
	a, b := newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	s.SetRemote(B, b.remote())
	aLocal, aRTCP := s.Local(A)

	valid := rtpPacket(t, 0, 1, 0, 1, pcmu(160, 1))
	with := func(f func([]byte)) []byte { c := append([]byte{}, valid...); f(c); return c }
	junk := [][]byte{
		{},
		{0x80},
		valid[:11],
		with(func(c []byte) { c[0] = 0x40 }), // version 1
		with(func(c []byte) { c[0] = 0x00 }), // version 0
		with(func(c []byte) { c[1] = 200 }),  // an SR on the RTP port
		with(func(c []byte) { c[0] |= 0x0f })[:40],          // 15 CSRCs announced, 7 present
		with(func(c []byte) { c[0] |= 0x10 })[:13],          // extension announced, no room
		with(func(c []byte) { c[0] |= 0x20; c[171] = 0 }),   // padding count 0
		with(func(c []byte) { c[0] |= 0x20; c[171] = 200 }), // padding longer than the payload
	}
	for _, j := range junk {
		a.send(aLocal, j)
	}
	rtcpJunk := [][]byte{{0x80, 0xc9}, {0x80, 0xc9, 0, 5, 0, 0, 0, 1}, valid}
	for _, j := range rtcpJunk {
		a.sendRTCP(aRTCP, j)
	}
	b.expectNothing("malformed RTP")
	if _, _, ok := b.recvRTCP(100 * time.Millisecond); ok {
		t.Fatal("malformed RTCP relayed")
	}
	waitFor(t, "malformed count", func() bool {
		return s.Stats().A.Received.Dropped.Malformed == uint64(len(junk)+len(rtcpJunk))
	})
	if st := s.Stats().A; st.Received.Packets != 0 || st.Source.IsValid() {
		t.Fatalf("junk was counted or learnt from: %+v", st)
	}
	a.send(aLocal, valid)
	if got, _, ok := b.recv(wait); !ok || !bytes.Equal(got, valid) {
		t.Fatal("a valid packet after the junk was not relayed")
	}
}

func TestDTMFThroughSession(t *testing.T) {
	pool := newTestPool(t, 62000, 62099)
	var log digitLog
	s := newTestSession(t, pool, SessionConfig{OnDTMF: log.add})
	a, b := newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	s.SetRemote(B, b.remote())
	aLocal, _ := s.Local(A)

	var sent [][]byte
	seq := uint16(10)
	for _, dur := range []uint16{160, 320, 480, 640} {
		sent = append(sent, rtpPacket(t, 101, seq, 8000, 0xA, eventPayload(9, false, dur)))
		seq++
	}
	for range 3 { // the end packet, three times (RFC 4733 §2.5.1.4)
		sent = append(sent, rtpPacket(t, 101, seq, 8000, 0xA, eventPayload(9, true, 800)))
		seq++
	}
	for _, p := range sent {
		a.send(aLocal, p)
		got, _, ok := b.recv(wait)
		if !ok || !bytes.Equal(got, p) {
			t.Fatal("event packet not relayed unchanged")
		}
	}
	waitFor(t, "digit", func() bool { return len(log.get()) == 1 })
	time.Sleep(50 * time.Millisecond) // a second report would come now
	d := log.get()
	if len(d) != 1 || d[0].Digit != "9" || d[0].Leg != A || d[0].Duration != 100*time.Millisecond || !d[0].Ended {
		t.Fatalf("digits %+v", d)
	}
}

func TestStatsThroughSession(t *testing.T) {
	pool := newTestPool(t, 62100, 62199)
	s := newTestSession(t, pool, SessionConfig{})
	a, b := newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	s.SetRemote(B, b.remote())
	aLocal, _ := s.Local(A)
	// 1..20 with 5 and 6 lost, 8 duplicated, 11 and 12 swapped.
	order := []uint16{1, 2, 3, 4, 7, 8, 8, 9, 10, 12, 11, 13, 14, 15, 16, 17, 18, 19, 20}
	for _, q := range order {
		a.send(aLocal, rtpPacket(t, 0, q, uint32(q)*160, 0xA, pcmu(160, 0xff)))
		if _, _, ok := b.recv(wait); !ok {
			t.Fatal("not relayed")
		}
	}
	r := s.Stats().A.Received
	if r.Packets != 19 || r.Expected != 20 || r.Lost != 2 || r.Duplicates != 1 || r.OutOfOrder != 1 {
		t.Fatalf("stats %+v", r)
	}
	if r.LossPercent() != 10 || r.MOS >= 4 || r.MOS < 2 {
		t.Fatalf("loss %.1f%% MOS %.2f", r.LossPercent(), r.MOS)
	}
	if before := time.Now(); s.LastReceived(A).After(before) || s.LastReceived(A).IsZero() || !s.LastReceived(B).IsZero() {
		t.Fatalf("last received A %v B %v", s.LastReceived(A), s.LastReceived(B))
	}
}

// TestRTT: A's SR goes through the switch to B; B answers with an RR
// echoing it 30 ms later, saying it held it 10 ms: B's RTT to the switch
// is the remaining ~20 ms.
func TestRTT(t *testing.T) {
	pool := newTestPool(t, 62200, 62299)
	s := newTestSession(t, pool, SessionConfig{})
	a, b := newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	s.SetRemote(B, b.remote())
	_, aRTCP := s.Local(A)
	_, bRTCP := s.Local(B)

	ntp := uint64(0x0000_1234_5678_0000)
	a.sendRTCP(aRTCP, marshalRTCP(t, &rtcp.SenderReport{SSRC: 0xA, NTPTime: ntp}))
	if _, _, ok := b.recvRTCP(wait); !ok {
		t.Fatal("SR not relayed")
	}
	time.Sleep(30 * time.Millisecond)
	b.sendRTCP(bRTCP, marshalRTCP(t, &rtcp.ReceiverReport{SSRC: 0xB, Reports: []rtcp.ReceptionReport{
		{SSRC: 0xA, LastSenderReport: uint32(ntp >> 16), Delay: 65536 / 100}}}))
	if _, _, ok := a.recvRTCP(wait); !ok {
		t.Fatal("RR not relayed")
	}
	waitFor(t, "RTT", func() bool { return s.Stats().B.RTT > 0 })
	if rtt := s.Stats().B.RTT; rtt < 19*time.Millisecond || rtt > 60*time.Millisecond {
		t.Fatalf("RTT %v, want about 20ms", rtt)
	}
	if s.Stats().A.RTT != 0 {
		t.Fatal("A has an RTT without any report")
	}
}

func TestCloseIdempotent(t *testing.T) {
	pool := newTestPool(t, 62300, 62399)
	s := newTestSession(t, pool, SessionConfig{})
	a, b := newPhone(t), newPhone(t)
	s.SetRemote(A, a.remote())
	s.SetRemote(B, b.remote())
	aLocal, _ := s.Local(A)
	a.send(aLocal, rtpPacket(t, 0, 1, 0, 1, pcmu(160, 1)))
	if _, _, ok := b.recv(wait); !ok {
		t.Fatal("not relayed")
	}
	f1, err1 := s.Close()
	f2, err2 := s.Close()
	if err1 != nil || err2 != nil || f1.Stats.A.Received.Packets != 1 || f2.Stats != f1.Stats {
		t.Fatalf("Close: %+v %v / %+v %v", f1.Stats.A.Received, err1, f2.Stats.A.Received, err2)
	}
	if pool.Stats().InUse != 0 {
		t.Fatal("ports not released")
	}
	if err := s.SetRemote(A, a.remote()); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetRemote after Close: %v", err)
	}
	a.send(aLocal, rtpPacket(t, 0, 2, 160, 1, pcmu(160, 1)))
	b.expectNothing("after Close")
}
