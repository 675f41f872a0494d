package media

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// The fuzz targets below read their saved corpus from testdata/fuzz; `go
// test` runs it as ordinary tests. To look for new crashers:
//
//	go test ./media -run '^$' -fuzz FuzzRTPPacket -fuzztime 60s

// FuzzRTPPacket drives the RTP packet path of a live session (latching,
// stats, DTMF, relay, recording) with arbitrary datagrams: nothing may
// panic, a packet the parser refuses is counted and never relayed, and one
// it accepts is one pion/rtp accepts too, with the same payload.
func FuzzRTPPacket(f *testing.F) {
	f.Add(rtpPacket(f, 0, 1, 160, 0xA, pcmu(160, 0xff)), uint8(0))
	f.Add(rtpPacket(f, 101, 2, 8000, 0xA, eventPayload(5, true, 800)), uint8(0))
	f.Add([]byte{0x80, 0xe5, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x80, 0, 0xa0}, uint8(1)) // event with marker
	f.Add([]byte{0xbf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(2))                      // padding+ext+15 CSRC, no room
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0}, uint8(0))

	pool := newTestPool(f, 64100, 64199)
	s, err := NewSession(context.Background(), pool, SessionConfig{
		LearnWindow: time.Millisecond,
		OnDTMF:      func(DTMF) {},
		Record:      &RecordConfig{Path: filepath.Join(f.TempDir(), "fuzz.wav")},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	sink := newPhone(f)
	s.SetRemote(A, sink.remote())
	s.SetRemote(B, sink.remote())
	sources := []netip.AddrPort{sink.addr(), netip.MustParseAddrPort("127.0.0.1:9"), netip.MustParseAddrPort("[::ffff:127.0.0.1]:10")}
	var h rtp.Header

	f.Fuzz(func(t *testing.T, pkt []byte, from uint8) {
		x, y := s.legs[A], s.legs[B]
		if from&0x80 != 0 {
			x, y = y, x
		}
		payload, ok := parseRTP(pkt, &h)
		var p rtp.Packet
		perr := p.Unmarshal(pkt)
		if ok && (perr != nil || !bytes.Equal(payload, p.Payload)) {
			t.Fatalf("parseRTP accepted what pion refuses (%v) or differs on the payload", perr)
		}
		before := x.malformed.Load()
		relayed := x.relayed.Load()
		s.handleRTP(x, y, pkt, sources[int(from&0x7f)%len(sources)], time.Now(), &h)
		if !ok && (x.malformed.Load() != before+1 || x.relayed.Load() != relayed) {
			t.Fatal("a malformed packet was not counted, or was relayed")
		}
		_ = s.Stats()
	})
}

// FuzzRTCPPacket: the RTCP validator and report reader never panic, and
// the session's RTCP path counts what the validator refuses.
func FuzzRTCPPacket(f *testing.F) {
	f.Add(marshalRTCP(f, &rtcp.SenderReport{SSRC: 1, NTPTime: 42, Reports: []rtcp.ReceptionReport{{SSRC: 2, LastSenderReport: 7, Delay: 9}}},
		&rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: 1, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "a"}}}}}), false)
	f.Add(marshalRTCP(f, &rtcp.ReceiverReport{SSRC: 3, Reports: []rtcp.ReceptionReport{{SSRC: 1, LastSenderReport: 42 >> 16}}}), false)
	f.Add(marshalRTCP(f, &rtcp.Goodbye{Sources: []uint32{1}}), true)
	f.Add([]byte{0xa0, 0xc9, 0, 1, 0, 0, 0, 4}, false) // padding

	pool := newTestPool(f, 64200, 64299)
	s, err := NewSession(context.Background(), pool, SessionConfig{LearnWindow: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	sink := newPhone(f)
	s.SetRemote(A, sink.remote())
	s.SetRemote(B, sink.remote())

	f.Fuzz(func(t *testing.T, pkt []byte, secure bool) {
		valid := validRTCP(pkt, secure)
		if valid && !secure {
			rtcpReports(pkt, func(uint32) {}, func(uint32, uint32) {})
		}
		x, y := s.legs[A], s.legs[B]
		before := x.malformed.Load()
		s.handleRTCP(x, y, pkt, sink.rtcpAddr(), time.Now())
		if !validRTCP(pkt, false) && x.malformed.Load() != before+1 {
			t.Fatal("invalid RTCP not counted")
		}
	})
}

// FuzzSDP: ParseSDP never panics and fails only with an *SDPError; what
// it accepts can be filtered and rewritten, and the rewrite parses again
// to the switch's address and ports.
func FuzzSDP(f *testing.F) {
	f.Add(offer(nil))
	f.Add(offer(func(l []string) []string {
		return append(l, "m=image 4000 udptl t38", "m=video 0 RTP/AVP 96", "a=rtcp-mux", "a=candidate:1 1 UDP 1 10.0.0.1 9 typ host")
	}))
	f.Add(offer(insertAfter("a=ptime:20", "a=rtcp:50000 IN IP4 192.0.2.77")))
	f.Add([]byte("v=0\r\no=- 0 0 IN IP6 ::1\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/SAVP 0\r\nc=IN IP6 ::1\r\n"))
	addr := netip.MustParseAddr("192.0.2.50")

	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseSDP(body)
		if err != nil {
			var se *SDPError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not an *SDPError", err, err)
			}
			return
		}
		out, err := d.Rewrite(RewriteOptions{Addr: addr, RTPPort: 30000, RTCPPort: 30001, Version: 9})
		if err != nil {
			return // pion cannot always marshal what it parsed (e.g. a bad URI); the switch answers 488
		}
		d2, err := ParseSDP(out)
		if err != nil {
			t.Fatalf("rewrite does not parse: %v\n%q\nfrom %q", err, out, body)
		}
		if r := d2.Audio().Remote(); r.RTP != netip.AddrPortFrom(addr, 30000) || r.RTCP != netip.AddrPortFrom(addr, 30001) {
			t.Fatalf("rewrite points at %v / %v", r.RTP, r.RTCP)
		}
		if err := d.FilterCodecs([]string{"PCMA", "g729"}); err != nil && !errors.Is(err, ErrNoCommonCodec) {
			t.Fatalf("FilterCodecs: %v", err)
		}
	})
}
