package dialer

import (
	"net/netip"
	"strings"
	"testing"

	"softswitch/media"
)

// TestOfferParsesBack: the dialer's offer is an SDP its own parser (and
// so the switch's) reads back with the ports and codecs it names.
func TestOfferParsesBack(t *testing.T) {
	rtp, rtcp := netip.MustParseAddrPort("127.0.0.1:40002"), netip.MustParseAddrPort("127.0.0.1:40003")
	desc, err := media.ParseSDP(offer(rtp, rtcp, offerCodecs, 7))
	if err != nil {
		t.Fatal(err)
	}
	a := desc.Audio()
	r := a.Remote()
	if r.RTP != rtp || r.RTCP != rtcp || len(a.Payloads) != 3 || a.TelephoneEvent != 101 {
		t.Fatalf("parsed back %+v (remote %+v)", a, r)
	}
}

func TestChosen(t *testing.T) {
	tests := []struct {
		name, answer string
		want         []string
		wantErr      bool
	}{
		{"PCMU and events", "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n", []string{"PCMU", "telephone-event"}, false},
		{"first of two", "m=audio 4000 RTP/AVP 8 0\r\n", []string{"PCMA"}, false},
		{"events only", "m=audio 4000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desc, err := media.ParseSDP([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" + tt.answer))
			if err != nil {
				t.Fatal(err)
			}
			got, err := chosen(desc)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			var names []string
			for _, p := range got {
				names = append(names, p.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("chosen %v, want %v", names, tt.want)
			}
		})
	}
}

func TestValidNumber(t *testing.T) {
	for n, want := range map[string]bool{"13800138000": true, "+8613800138000": true, "110": true, "12": false,
		"+": false, "138-0013": false, "1380013800013800138000": false, "": false, "+86 138": false} {
		if validNumber(n) != want {
			t.Errorf("validNumber(%q) = %v, want %v", n, !want, want)
		}
	}
}
