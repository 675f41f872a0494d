package main

import (
	"errors"
	"net/netip"
	"testing"
)

func TestAudioAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sdp  string
		want string
		err  error
	}{
		{"own offer", offerSDP(1, netip.MustParseAddrPort("127.0.0.1:40000")), "127.0.0.1:40000", nil},
		{"media c= wins", "v=0\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 2000 RTP/AVP 0\r\nc=IN IP4 127.0.0.5\r\n", "127.0.0.5:2000", nil},
		{"session c= only, LF", "v=0\nc=IN IP4 127.0.0.7\nm=audio 3000 RTP/AVP 0 101\na=rtcp:3001\n", "127.0.0.7:3000", nil},
		{"video first", "v=0\r\nc=IN IP4 127.0.0.1\r\nm=video 5000 RTP/AVP 96\r\nc=IN IP4 10.9.9.9\r\nm=audio 6000 RTP/AVP 0\r\n", "127.0.0.1:6000", nil},
		{"second audio ignored", "v=0\r\nm=audio 7000 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\nm=audio 8000 RTP/AVP 0\r\nc=IN IP4 127.0.0.3\r\n", "127.0.0.2:7000", nil},
		{"no audio", "v=0\r\nc=IN IP4 127.0.0.1\r\n", "", ErrSDP},
		{"no c=", "v=0\r\nm=audio 7000 RTP/AVP 0\r\n", "", ErrSDP},
		{"bad port", "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 70000 RTP/AVP 0\r\n", "", ErrSDP},
		{"hostname", "v=0\r\nc=IN IP4 relay.example\r\nm=audio 7000 RTP/AVP 0\r\n", "", ErrSDP},
	}
	for _, tt := range tests {
		got, err := audioAddr(tt.sdp)
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.err)
			continue
		}
		if err == nil && got.String() != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, got, tt.want)
		}
	}
}
