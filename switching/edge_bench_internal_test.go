package switching

import (
	"net/netip"
	"testing"
)

// BenchmarkEdgeDatagram is the edge's cost for an ordinary INVITE with
// SDP: framing, canonical form, and sipgo's parser run once to check it
// (sipgo's transport then parses it again).
func BenchmarkEdgeDatagram(b *testing.B) {
	msg := crlf("INVITE sip:6001@127.0.0.1 SIP/2.0\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1-0;rport\n" +
		"From: \"6000\" <sip:6000@127.0.0.1>;tag=1\n" +
		"To: <sip:6001@127.0.0.1>\n" +
		"Call-ID: 1-12345@127.0.0.1\n" +
		"CSeq: 1 INVITE\n" +
		"Contact: <sip:6000@127.0.0.1:5062>\n" +
		"Max-Forwards: 70\n" +
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\n" +
		"Supported: timer\n" +
		"Content-Type: application/sdp\n" +
		"Content-Length: 129\n\n" +
		"v=0\no=user1 53655765 2353687637 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n")
	e := testEdge(b, EdgeConfig{})
	var st edgeMsg
	src := netip.MustParseAddrPort("127.0.0.1:5062")
	reply := func([]byte, netip.AddrPort) { b.Fatal("answered") }
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, ok := e.datagram(&st, msg, src, reply); !ok {
			b.Fatal("not passed on")
		}
	}
}
