package media

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func crlf(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

var offerLines = []string{
	"v=0",
	"o=alice 2890844526 2890844526 IN IP4 198.51.100.1",
	"s=-",
	"c=IN IP4 198.51.100.1",
	"t=0 0",
	"m=audio 49170 RTP/AVP 0 8 18 101",
	"a=rtpmap:0 PCMU/8000",
	"a=rtpmap:8 PCMA/8000",
	"a=rtpmap:18 G729/8000",
	"a=fmtp:18 annexb=no",
	"a=rtpmap:101 telephone-event/8000",
	"a=fmtp:101 0-16",
	"a=ptime:20",
	"a=sendrecv",
}

func offer(edit func([]string) []string) []byte {
	l := slices.Clone(offerLines)
	if edit != nil {
		l = edit(l)
	}
	return crlf(l...)
}

func replace(old, new string) func([]string) []string {
	return func(l []string) []string {
		for i := range l {
			if l[i] == old {
				l[i] = new
			}
		}
		return slices.DeleteFunc(l, func(s string) bool { return s == "" })
	}
}

func insertAfter(after string, add ...string) func([]string) []string {
	return func(l []string) []string {
		i := slices.Index(l, after)
		return slices.Insert(l, i+1, add...)
	}
}

func TestParseSDP(t *testing.T) {
	ip := netip.MustParseAddr
	ap := netip.MustParseAddrPort
	tests := []struct {
		name      string
		body      []byte
		addr      netip.Addr
		port      int
		rtcp      netip.AddrPort
		dir       Direction
		pts       []uint8
		names     []string
		te        int
		mux       bool
		secure    bool
		mediaLens int
	}{
		{"plain offer", offer(nil), ip("198.51.100.1"), 49170, ap("198.51.100.1:49171"), SendRecv,
			[]uint8{0, 8, 18, 101}, []string{"PCMU", "PCMA", "G729", "telephone-event"}, 101, false, false, 1},
		{"media-level c= wins", offer(insertAfter("m=audio 49170 RTP/AVP 0 8 18 101", "c=IN IP4 203.0.113.9")),
			ip("203.0.113.9"), 49170, ap("203.0.113.9:49171"), SendRecv, []uint8{0, 8, 18, 101}, nil, 101, false, false, 1},
		{"a=rtcp with port", offer(insertAfter("a=ptime:20", "a=rtcp:50000")),
			ip("198.51.100.1"), 49170, ap("198.51.100.1:50000"), SendRecv, nil, nil, 101, false, false, 1},
		{"a=rtcp with address", offer(insertAfter("a=ptime:20", "a=rtcp:50000 IN IP4 192.0.2.77")),
			ip("198.51.100.1"), 49170, ap("192.0.2.77:50000"), SendRecv, nil, nil, 101, false, false, 1},
		{"session-level sendonly", offer(func(l []string) []string {
			l = replace("a=sendrecv", "")(l)
			return insertAfter("t=0 0", "a=sendonly")(l)
		}), ip("198.51.100.1"), 49170, ap("198.51.100.1:49171"), SendOnly, nil, nil, 101, false, false, 1},
		{"media inactive over session sendrecv", offer(func(l []string) []string {
			l = replace("a=sendrecv", "a=inactive")(l)
			return insertAfter("t=0 0", "a=sendrecv")(l)
		}), ip("198.51.100.1"), 49170, ap("198.51.100.1:49171"), Inactive, nil, nil, 101, false, false, 1},
		{"static types without rtpmap", offer(func(l []string) []string {
			return slices.DeleteFunc(l, func(s string) bool { return strings.HasPrefix(s, "a=rtpmap:0 ") || strings.HasPrefix(s, "a=rtpmap:8 ") })
		}), ip("198.51.100.1"), 49170, ap("198.51.100.1:49171"), SendRecv, []uint8{0, 8, 18, 101},
			[]string{"PCMU", "PCMA", "G729", "telephone-event"}, 101, false, false, 1},
		{"IPv6", offer(func(l []string) []string {
			l = replace("c=IN IP4 198.51.100.1", "c=IN IP6 2001:db8::1")(l)
			return replace("o=alice 2890844526 2890844526 IN IP4 198.51.100.1", "o=alice 1 1 IN IP6 2001:db8::1")(l)
		}), ip("2001:db8::1"), 49170, ap("[2001:db8::1]:49171"), SendRecv, nil, nil, 101, false, false, 1},
		{"WebRTC-ish with mux and ICE, SAVPF, and video", offer(func(l []string) []string {
			l = replace("m=audio 49170 RTP/AVP 0 8 18 101", "m=audio 49170 RTP/SAVPF 0 8 18 101")(l)
			l = insertAfter("a=sendrecv", "a=rtcp-mux", "a=ice-ufrag:abcd", "a=ice-pwd:0123456789012345678901",
				"a=candidate:1 1 UDP 2130706431 10.0.0.5 49170 typ host", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz")(l)
			return append(l, "m=video 51372 RTP/AVP 96", "a=rtpmap:96 H264/90000")
		}), ip("198.51.100.1"), 49170, ap("198.51.100.1:49171"), SendRecv, nil, nil, 101, true, true, 2},
		{"two telephone-events, 8 kHz preferred", offer(func(l []string) []string {
			l = replace("m=audio 49170 RTP/AVP 0 8 18 101", "m=audio 49170 RTP/AVP 0 100 101")(l)
			return insertAfter("a=fmtp:101 0-16", "a=rtpmap:100 telephone-event/48000")(l)
		}), ip("198.51.100.1"), 49170, ap("198.51.100.1:49171"), SendRecv, []uint8{0, 100, 101}, nil, 101, false, false, 1},
		{"LF line endings", []byte(strings.Join(offerLines, "\n") + "\n"), ip("198.51.100.1"), 49170,
			ap("198.51.100.1:49171"), SendRecv, nil, nil, 101, false, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseSDP(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			m := d.Audio()
			if m.Addr != tt.addr || m.Port != tt.port || m.RTCP != tt.rtcp || m.Direction != tt.dir ||
				m.TelephoneEvent != tt.te || m.RTCPMux != tt.mux || m.Secure() != tt.secure || len(d.Media) != tt.mediaLens {
				t.Fatalf("got %+v (%d media)", m, len(d.Media))
			}
			if tt.pts != nil {
				var pts []uint8
				for _, p := range m.Payloads {
					pts = append(pts, p.PT)
				}
				if !slices.Equal(pts, tt.pts) {
					t.Fatalf("payload types %v, want %v", pts, tt.pts)
				}
			}
			for i, n := range tt.names {
				if m.Payloads[i].Name != n || m.Payloads[i].ClockRate != 8000 {
					t.Fatalf("payload %d: %+v, want %s/8000", i, m.Payloads[i], n)
				}
			}
			r := m.Remote()
			if r.RTP != netip.AddrPortFrom(tt.addr, uint16(tt.port)) || r.Direction != tt.dir || r.Secure != tt.secure {
				t.Fatalf("remote %+v", r)
			}
		})
	}
}

func TestParseSDPErrors(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"empty", nil, ErrMalformedSDP},
		{"not SDP", []byte("hello world\r\n"), ErrMalformedSDP},
		{"v=1", offer(replace("v=0", "v=1")), ErrMalformedSDP},
		{"no c= anywhere", offer(replace("c=IN IP4 198.51.100.1", "")), ErrMalformedSDP},
		{"FQDN", offer(replace("c=IN IP4 198.51.100.1", "c=IN IP4 pbx.example.com")), ErrUnsupportedMedia},
		{"multicast", offer(replace("c=IN IP4 198.51.100.1", "c=IN IP4 224.2.1.1")), ErrUnsupportedMedia},
		{"address of the wrong family", offer(replace("c=IN IP4 198.51.100.1", "c=IN IP4 2001:db8::1")), ErrMalformedSDP},
		{"payload type not a number", offer(replace("m=audio 49170 RTP/AVP 0 8 18 101", "m=audio 49170 RTP/AVP 0 x")), ErrMalformedSDP},
		{"payload type 200", offer(replace("m=audio 49170 RTP/AVP 0 8 18 101", "m=audio 49170 RTP/AVP 0 200")), ErrMalformedSDP},
		{"bad rtpmap", offer(replace("a=rtpmap:8 PCMA/8000", "a=rtpmap:8 PCMA")), ErrMalformedSDP},
		{"rtpmap rate zero", offer(replace("a=rtpmap:8 PCMA/8000", "a=rtpmap:8 PCMA/0")), ErrMalformedSDP},
		{"bad a=rtcp", offer(insertAfter("a=ptime:20", "a=rtcp:abc")), ErrMalformedSDP},
		{"port out of range", offer(replace("m=audio 49170 RTP/AVP 0 8 18 101", "m=audio 70000 RTP/AVP 0")), ErrMalformedSDP},
		{"video only", offer(func(l []string) []string {
			return append(l[:5], "m=video 51372 RTP/AVP 96", "a=rtpmap:96 H264/90000")
		}), ErrUnsupportedMedia},
		{"audio disabled", offer(replace("m=audio 49170 RTP/AVP 0 8 18 101", "m=audio 0 RTP/AVP 0")), ErrUnsupportedMedia},
		{"DTLS-SRTP only", offer(replace("m=audio 49170 RTP/AVP 0 8 18 101", "m=audio 49170 UDP/TLS/RTP/SAVPF 0")), ErrUnsupportedMedia},
		{"T.38 only", offer(func(l []string) []string { return append(l[:5], "m=image 4000 udptl t38", "a=T38FaxVersion:0") }), ErrUnsupportedMedia},
		{"garbage before v=", []byte("x=1\r\nv=0\r\n"), ErrMalformedSDP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSDP(tt.body)
			var se *SDPError
			if !errors.Is(err, tt.want) || !errors.As(err, &se) || se.Reason == "" {
				t.Fatalf("err %v, want %v with a reason", err, tt.want)
			}
		})
	}
}

func TestRewrite(t *testing.T) {
	body := offer(func(l []string) []string {
		l = insertAfter("t=0 0", "a=ice-lite", "a=group:BUNDLE 0 1", "a=tool:x")(l)
		l = insertAfter("m=audio 49170 RTP/AVP 0 8 18 101", "c=IN IP4 10.0.0.5")(l)
		l = insertAfter("a=sendrecv", "a=rtcp:49999", "a=rtcp-mux", "a=ice-ufrag:abcd", "a=ice-pwd:0123456789012345678901",
			"a=candidate:1 1 UDP 2130706431 10.0.0.5 49170 typ host", "a=end-of-candidates", "a=mid:0")(l)
		return append(l, "m=video 51372 RTP/AVP 96", "a=rtpmap:96 H264/90000", "a=mid:1")
	})
	d, err := ParseSDP(body)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Rewrite(RewriteOptions{Addr: netip.MustParseAddr("192.0.2.50"), RTPPort: 30000, RTCPPort: 30001, Version: 2890844527})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
	want := []string{
		"v=0",
		"o=alice 2890844526 2890844527 IN IP4 192.0.2.50",
		"s=-",
		"c=IN IP4 192.0.2.50",
		"t=0 0",
		"a=tool:x",
		"m=audio 30000 RTP/AVP 0 8 18 101",
		"c=IN IP4 192.0.2.50",
		"a=rtpmap:0 PCMU/8000",
		"a=rtpmap:8 PCMA/8000",
		"a=rtpmap:18 G729/8000",
		"a=fmtp:18 annexb=no",
		"a=rtpmap:101 telephone-event/8000",
		"a=fmtp:101 0-16",
		"a=ptime:20",
		"a=sendrecv",
		"a=mid:0",
		"a=rtcp:30001",
		"m=video 0 RTP/AVP 96",
		"a=rtpmap:96 H264/90000",
		"a=mid:1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("rewrite:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The original is unchanged, and the result parses to the switch's
	// address and ports.
	if m := d.Audio(); m.Addr != netip.MustParseAddr("10.0.0.5") || m.Port != 49170 {
		t.Fatalf("Rewrite changed the description: %+v", m)
	}
	d2, err := ParseSDP(out)
	if err != nil {
		t.Fatal(err)
	}
	if r := d2.Audio().Remote(); r.RTP.String() != "192.0.2.50:30000" || r.RTCP.String() != "192.0.2.50:30001" {
		t.Fatalf("re-parsed remote %+v", r)
	}
	if id, v := d2.Origin(); id != 2890844526 || v != 2890844527 {
		t.Fatalf("origin %d %d", id, v)
	}
	if _, err := d.Rewrite(RewriteOptions{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("empty options: %v", err)
	}
	v6, err := d.Rewrite(RewriteOptions{Addr: netip.MustParseAddr("2001:db8::5"), RTPPort: 30000, RTCPPort: 30001, SessionID: 77})
	if err != nil || !strings.Contains(string(v6), "o=alice 77 2890844526 IN IP6 2001:db8::5\r\n") ||
		!strings.Contains(string(v6), "c=IN IP6 2001:db8::5\r\n") {
		t.Fatalf("IPv6 rewrite: %v\n%s", err, v6)
	}
}

func TestFilterCodecs(t *testing.T) {
	tests := []struct {
		name    string
		allowed []string
		formats string
		attrs   []string // rtpmap/fmtp lines left
		err     error
	}{
		{"PCMA only keeps DTMF", []string{"pcma"}, "8 101",
			[]string{"a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"}, nil},
		{"order is the offer's", []string{"G729", "PCMU"}, "0 18 101",
			[]string{"a=rtpmap:0 PCMU/8000", "a=rtpmap:18 G729/8000", "a=fmtp:18 annexb=no", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"}, nil},
		{"nothing in common", []string{"G722", "opus"}, "", nil, ErrNoCommonCodec},
		{"only DTMF in common", []string{"telephone-event"}, "", nil, ErrNoCommonCodec},
		{"no list keeps all", nil, "0 8 18 101", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseSDP(offer(nil))
			if err != nil {
				t.Fatal(err)
			}
			err = d.FilterCodecs(tt.allowed)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, err := d.Rewrite(RewriteOptions{Addr: netip.MustParseAddr("192.0.2.50"), RTPPort: 30000, RTCPPort: 30001})
			if err != nil {
				t.Fatal(err)
			}
			s := string(out)
			if !strings.Contains(s, "m=audio 30000 RTP/AVP "+tt.formats+"\r\n") {
				t.Fatalf("formats: %s", s)
			}
			if tt.attrs != nil {
				var got []string
				for _, l := range strings.Split(s, "\r\n") {
					if strings.HasPrefix(l, "a=rtpmap:") || strings.HasPrefix(l, "a=fmtp:") {
						got = append(got, l)
					}
				}
				if !slices.Equal(got, tt.attrs) {
					t.Fatalf("attributes %q, want %q", got, tt.attrs)
				}
			}
			var names []string
			for _, p := range d.Audio().Payloads {
				names = append(names, strings.ToUpper(p.Name))
			}
			if len(names) != len(strings.Fields(tt.formats)) || d.Audio().TelephoneEvent != 101 {
				t.Fatalf("MediaDesc not updated: %v te %d", names, d.Audio().TelephoneEvent)
			}
		})
	}
}

// TestT38BesideAudio: pion/sdp refuses m=image; the T.38 stream of an
// audio+fax offer is kept as written and disabled, the audio anchored.
func TestT38BesideAudio(t *testing.T) {
	d, err := ParseSDP(offer(func(l []string) []string {
		return append(l, "m=image 4000 udptl t38", "a=T38FaxVersion:0")
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Media) != 2 || d.Media[1].Media != "image" || d.Media[1].Proto != "udptl" || d.Audio().Port != 49170 {
		t.Fatalf("media %+v", d.Media)
	}
	out, err := d.Rewrite(RewriteOptions{Addr: netip.MustParseAddr("192.0.2.50"), RTPPort: 30000, RTCPPort: 30001})
	if err != nil || !strings.Contains(string(out), "\r\nm=image 0 udptl t38\r\na=T38FaxVersion:0\r\n") {
		t.Fatalf("%v\n%s", err, out)
	}
}
