package rtppeer

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// pair returns two listening peers on loopback, closed at test end.
func pair(t *testing.T, opts Options) (*Peer, *Peer) {
	t.Helper()
	ctx := context.Background()
	a, err := Listen(ctx, loopback, 0, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b, err := Listen(ctx, loopback, 0, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

func waitPackets(t *testing.T, p *Peer, ssrc uint32, n uint64) StreamStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Wait(ctx, func(s Stats) bool { return s.Streams[ssrc].Packets >= n }); err != nil {
		t.Fatalf("waiting for %d packets of SSRC %d: %v (have %+v)", n, ssrc, err, p.Stream(ssrc))
	}
	return p.Stream(ssrc)
}

func TestSendStreamCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		stream    Stream
		wantRecv  uint64
		wantLost  int64
		wantGaps  uint64
		minElapse time.Duration
	}{
		{"plain 25 stamped", Stream{SSRC: 11, Seq: 100, Timestamp: 1000, Count: 25, Stamp: true}, 25, 0, 0, 24 * 20 * time.Millisecond},
		{"by duration", Stream{SSRC: 12, Duration: 200 * time.Millisecond, Stamp: true}, 10, 0, 0, 9 * 20 * time.Millisecond},
		// Packet 25 (the last) is dropped too: no receiver can count a loss
		// after the last packet it sees (RFC 3550 §A.3 counts up to the highest).
		{"drop every 5th", Stream{SSRC: 13, Count: 25, DropEvery: 5, Stamp: true}, 20, 4, 4, 23 * 20 * time.Millisecond},
		{"drop every 5th, 23 sent", Stream{SSRC: 18, Count: 23, DropEvery: 5, Stamp: true}, 19, 4, 4, 22 * 20 * time.Millisecond},
		{"drop every 2nd", Stream{SSRC: 14, Count: 11, DropEvery: 2, Stamp: true}, 6, 5, 5, 10 * 20 * time.Millisecond},
		{"jitter 15ms PCMA", Stream{SSRC: 15, PayloadType: PCMA, Count: 25, Jitter: 15 * time.Millisecond, Seed: 7, Stamp: true}, 25, 0, 0, 24 * 20 * time.Millisecond},
		{"seq wraps", Stream{SSRC: 16, Seq: 65530, Count: 12, Stamp: true}, 12, 0, 0, 11 * 20 * time.Millisecond},
		{"unstamped", Stream{SSRC: 17, Count: 5}, 5, 0, 0, 4 * 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := pair(t, Options{})
			res, err := a.SendStream(context.Background(), b.Addr(), tt.stream)
			if err != nil {
				t.Fatal(err)
			}
			if uint64(res.Sent) != tt.wantRecv || (tt.stream.Count != 0 && res.Sent+res.Dropped != tt.stream.Count) {
				t.Fatalf("sent %d dropped %d, want %d sent of %d", res.Sent, res.Dropped, tt.wantRecv, tt.stream.Count)
			}
			if res.Elapsed < tt.minElapse {
				t.Errorf("elapsed %v, real-time pace needs >= %v", res.Elapsed, tt.minElapse)
			}
			st := waitPackets(t, b, tt.stream.SSRC, tt.wantRecv)
			if st.Packets != tt.wantRecv {
				t.Errorf("packets %d, want %d", st.Packets, tt.wantRecv)
			}
			if st.Bytes != tt.wantRecv*172 || st.Payload != tt.wantRecv*160 {
				t.Errorf("bytes %d payload %d, want %d and %d", st.Bytes, st.Payload, tt.wantRecv*172, tt.wantRecv*160)
			}
			if st.Lost != tt.wantLost || st.Gaps != tt.wantGaps {
				t.Errorf("lost %d gaps %d, want %d and %d", st.Lost, st.Gaps, tt.wantLost, tt.wantGaps)
			}
			if !slices.Equal(st.Sources, []netip.AddrPort{a.Addr()}) {
				t.Errorf("sources %v, want [%v]", st.Sources, a.Addr())
			}
			if st.PayloadType != tt.stream.PayloadType {
				t.Errorf("PT %d, want %d", st.PayloadType, tt.stream.PayloadType)
			}
			if st.Markers != 1 {
				t.Errorf("markers %d, want 1 (first packet of the talkspurt)", st.Markers)
			}
			wantLat := tt.wantRecv
			if !tt.stream.Stamp {
				wantLat = 0
			}
			if uint64(len(st.Latencies)) != wantLat {
				t.Errorf("%d latency samples, want %d", len(st.Latencies), wantLat)
			}
			for _, l := range st.Latencies {
				if l <= 0 || l > time.Second {
					t.Errorf("loopback latency %v out of (0, 1s]", l)
				}
			}
			if want := uint32(tt.stream.Seq) + uint32(res.Sent) - 1; tt.stream.DropEvery == 0 && st.HighestSeq != want {
				t.Errorf("highest extended seq %d, want %d", st.HighestSeq, want)
			}
			if res.NextSeq != tt.stream.Seq+uint16(res.Sent+res.Dropped) || res.NextTimestamp != tt.stream.Timestamp+160*uint32(res.Sent+res.Dropped) {
				t.Errorf("next seq/ts %d/%d do not continue the stream", res.NextSeq, res.NextTimestamp)
			}
		})
	}
}

func TestKeepPacketsPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pt   uint8
		fill byte
	}{{PCMU, 0xFF}, {PCMA, 0xD5}}
	for _, tt := range tests {
		a, b := pair(t, Options{KeepPackets: true})
		if _, err := a.SendStream(context.Background(), b.Addr(), Stream{SSRC: 5, PayloadType: tt.pt, Count: 3, Seq: 9, Stamp: true}); err != nil {
			t.Fatal(err)
		}
		st := waitPackets(t, b, 5, 3)
		if len(st.Received) != 3 {
			t.Fatalf("kept %d packets, want 3", len(st.Received))
		}
		for i, r := range st.Received {
			if r.Header.SequenceNumber != uint16(9+i) || r.Header.Timestamp != uint32(160*i) {
				t.Errorf("packet %d: seq %d ts %d", i, r.Header.SequenceNumber, r.Header.Timestamp)
			}
			if _, ok := ReadStamp(r.Payload); !ok || r.Latency <= 0 {
				t.Errorf("packet %d: no stamp / latency %v", i, r.Latency)
			}
			for j, c := range r.Payload[StampSize:] {
				if c != tt.fill {
					t.Fatalf("PT %d payload[%d]=%#x, want silence %#x", tt.pt, StampSize+j, c, tt.fill)
				}
			}
		}
	}
}

func TestSendDTMF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		digit     rune
		code      uint8
		duration  time.Duration
		wantPkts  int // updates + 3 end packets
		wantFinal uint16
	}{
		{'5', 5, 100 * time.Millisecond, 4 + 3, 800},
		{'#', 11, 60 * time.Millisecond, 2 + 3, 480},
		{'D', 15, 20 * time.Millisecond, 0 + 3, 160},
		{'*', 10, 0, 4 + 3, 800}, // default 100 ms
	}
	for _, tt := range tests {
		t.Run(string(tt.digit), func(t *testing.T) {
			t.Parallel()
			a, b := pair(t, Options{KeepPackets: true})
			res, err := a.SendDTMF(context.Background(), b.Addr(), DTMF{SSRC: 77, Seq: 500, Timestamp: 32000, Digit: tt.digit, Duration: tt.duration})
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != tt.wantPkts || res.NextSeq != 500+uint16(tt.wantPkts) || res.NextTimestamp != 32000+uint32(tt.wantFinal) {
				t.Fatalf("result %+v, want %d packets ending at ts %d", res, tt.wantPkts, 32000+int(tt.wantFinal))
			}
			st := waitPackets(t, b, 77, uint64(tt.wantPkts))
			if st.Lost != 0 || st.PayloadType != DefaultEventPT {
				t.Errorf("lost %d PT %d", st.Lost, st.PayloadType)
			}
			var last uint16
			for i, r := range st.Received {
				ev, err := ParseEvent(r.Payload)
				if err != nil {
					t.Fatal(err)
				}
				if r.Header.Marker != (i == 0) {
					t.Errorf("packet %d marker %v", i, r.Header.Marker)
				}
				if r.Header.Timestamp != 32000 || r.Header.SequenceNumber != uint16(500+i) {
					t.Errorf("packet %d ts %d seq %d", i, r.Header.Timestamp, r.Header.SequenceNumber)
				}
				isEnd := i >= tt.wantPkts-endRepeats
				if ev.Code != tt.code || ev.End != isEnd || ev.Volume != 10 || ev.Duration < last {
					t.Errorf("packet %d event %+v (end want %v)", i, ev, isEnd)
				}
				if isEnd && ev.Duration != tt.wantFinal {
					t.Errorf("end duration %d, want %d", ev.Duration, tt.wantFinal)
				}
				last = ev.Duration
			}
		})
	}
}

func TestSendRawMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		datagram      []byte
		wantMalformed uint64
		wantRTCPBad   uint64
	}{
		{"text", []byte("hello, relay"), 1, 0},
		{"short", []byte{0x80, 0x00}, 1, 0},
		{"version 1", append([]byte{0x40, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9}, make([]byte, 160)...), 1, 0},
		{"RTCP-looking garbage", []byte{0x80, 200, 0xff, 0xff, 0, 0, 0, 1}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := pair(t, Options{})
			if err := a.SendRaw(context.Background(), b.Addr(), tt.datagram); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := b.Wait(ctx, func(s Stats) bool {
				return s.Malformed == tt.wantMalformed && s.RTCP.Malformed == tt.wantRTCPBad
			})
			if err != nil {
				t.Fatalf("stats %+v: %v", b.Stats(), err)
			}
			if n := len(b.SSRCs()); n != 0 {
				t.Errorf("%d streams from a malformed datagram", n)
			}
		})
	}
}

func TestRTCPReports(t *testing.T) {
	t.Parallel()
	a, b := pair(t, Options{RTCP: true})
	for _, p := range []*Peer{a, b} {
		if p.Addr().Port()%2 != 0 || p.RTCPAddr().Port() != p.Addr().Port()+1 {
			t.Fatalf("RTP %v RTCP %v: want even/odd pair", p.Addr(), p.RTCPAddr())
		}
	}
	ctx := context.Background()
	res, err := a.SendStream(ctx, b.Addr(), Stream{SSRC: 21, Count: 15, DropEvery: 3, RTCPInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.RTCPSent < 3 {
		t.Fatalf("sent %d SRs over 300 ms at 100 ms, want >= 3", res.RTCPSent)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := b.Wait(wctx, func(s Stats) bool { return s.RTCP.SenderReports == uint64(res.RTCPSent) }); err != nil {
		t.Fatalf("receiver RTCP %+v: %v", b.Stats().RTCP, err)
	}
	sr := b.Stats().RTCP.LastSR
	if sr.SSRC != 21 || sr.PacketCount != 10 || sr.OctetCount != 1600 {
		t.Errorf("last SR %+v, want SSRC 21, 10 packets, 1600 octets", sr)
	}
	// b reports what it got back to a's RTCP port.
	waitPackets(t, b, 21, 10)
	if err := b.SendRTCP(ctx, a.RTCPAddr(), b.ReceiverReport(99)); err != nil {
		t.Fatal(err)
	}
	if err := a.Wait(wctx, func(s Stats) bool { return s.RTCP.ReceiverReports == 1 }); err != nil {
		t.Fatal(err)
	}
	rr := a.Stats().RTCP.LastRR
	if rr.SSRC != 99 || len(rr.Reports) != 1 {
		t.Fatalf("RR %+v", rr)
	}
	if r := rr.Reports[0]; r.SSRC != 21 || r.TotalLost != 4 || r.LastSequenceNumber != 13 {
		// 15 sent, packets 3,6,9,12,15 dropped; the last one received is index 13.
		t.Errorf("reception report %+v, want SSRC 21, 4 lost before seq 13", r)
	}
}

func TestListenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, err := Listen(ctx, loopback, 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tests := []struct {
		name string
		port int
		rtcp bool
		want error
	}{
		{"odd RTP port", 40001, true, ErrPortPair},
		{"port in use", int(p.Addr().Port()), false, nil},
	}
	for _, tt := range tests {
		_, err := Listen(ctx, loopback, tt.port, Options{RTCP: tt.rtcp})
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
	if err := p.SendRTCP(ctx, p.Addr(), p.ReceiverReport(1)); !errors.Is(err, ErrNoRTCPSocket) {
		t.Errorf("SendRTCP without RTCP socket: %v", err)
	}
	if _, err := p.SendStream(ctx, p.Addr(), Stream{}); !errors.Is(err, ErrBadStream) {
		t.Errorf("empty stream: %v", err)
	}
	p.Close()
	if err := p.SendRaw(ctx, p.Addr(), []byte{1}); !errors.Is(err, ErrClosed) {
		t.Errorf("send after close: %v", err)
	}
}

func TestEventCodeAndStamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    rune
		code uint8
		err  error
	}{
		{'0', 0, nil}, {'9', 9, nil}, {'*', 10, nil}, {'#', 11, nil}, {'A', 12, nil}, {'d', 15, nil},
		{'E', 0, ErrBadDigit}, {'x', 0, ErrBadDigit},
	}
	for _, tt := range tests {
		code, err := EventCode(tt.d)
		if code != tt.code || !errors.Is(err, tt.err) {
			t.Errorf("EventCode(%q) = %d, %v; want %d, %v", tt.d, code, err, tt.code, tt.err)
		}
	}
	b := make([]byte, 160)
	now := MonoNow()
	if !PutStamp(b, now) {
		t.Fatal("PutStamp on 160 bytes")
	}
	if got, ok := ReadStamp(b); !ok || got != now {
		t.Errorf("ReadStamp = %d, %v; want %d", got, ok, now)
	}
	if _, ok := ReadStamp(make([]byte, 160)); ok {
		t.Error("ReadStamp found a stamp in zeros")
	}
	if PutStamp(make([]byte, 4), now) {
		t.Error("PutStamp into 4 bytes")
	}
}
