package switching

import (
	"errors"
	"strings"
	"testing"
)

const offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 6000 RTP/AVP 0 8 18 101 96\r\n" +
	"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=rtpmap:96 opus/48000/2\r\n" +
	"m=video 6002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n"

func TestFilterCodecs(t *testing.T) {
	tests := []struct {
		name      string
		allowed   []string
		wantM     string
		gone      []string // lines that must have been dropped
		kept      []string // lines that must remain
		wantError error
	}{
		{"pcma only, dtmf kept", []string{"PCMA"}, "m=audio 6000 RTP/AVP 8 101",
			[]string{"a=rtpmap:0 ", "a=rtpmap:18 ", "a=fmtp:18 ", "a=rtpmap:96 "}, []string{"a=rtpmap:8 PCMA", "a=fmtp:101 0-15", "m=video 6002 RTP/AVP 97", "a=rtpmap:97 H264"}, nil},
		{"offer order kept", []string{"g729", "pcmu"}, "m=audio 6000 RTP/AVP 0 18 101", []string{"a=rtpmap:8 "}, []string{"a=fmtp:18 annexb=no"}, nil},
		{"dynamic by rtpmap name", []string{"OPUS"}, "m=audio 6000 RTP/AVP 101 96", nil, []string{"a=rtpmap:96 opus"}, nil},
		{"nothing in common", []string{"G722"}, "", nil, nil, ErrNoCommonCodec},
		{"no restriction", nil, "m=audio 6000 RTP/AVP 0 8 18 101 96", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := filterCodecs([]byte(offer), tt.allowed)
			if !errors.Is(err, tt.wantError) {
				t.Fatalf("err = %v, want %v", err, tt.wantError)
			}
			if err != nil {
				return
			}
			s := string(got)
			if !strings.Contains(s, tt.wantM+"\r\n") {
				t.Errorf("audio line: want %q in\n%s", tt.wantM, s)
			}
			for _, g := range tt.gone {
				if strings.Contains(s, g) {
					t.Errorf("%q should have been dropped:\n%s", g, s)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(s, k) {
					t.Errorf("%q should remain:\n%s", k, s)
				}
			}
		})
	}
	if got, _ := filterCodecs([]byte("not sdp"), []string{"PCMU"}); string(got) != "not sdp" {
		t.Errorf("a non-SDP body changed: %q", got)
	}
}
