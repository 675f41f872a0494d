package switching

import "testing"

// TestSameURI runs RFC 3261 §19.1.4's own examples, and the case that made
// an unregistration silently fail (a binding stored with transport=UDP
// removed with transport=udp).
func TestSameURI(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		// §19.1.4: equivalent.
		{"sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true},
		{"sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true},
		{"sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5", true},
		{"sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com", "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true},
		{"sip:alice@atlanta.com?subject=project%20x&priority=urgent", "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true},
		// §19.1.4: not equivalent.
		{"SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false}, // user differs in case
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false},                              // default port explicit
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", true},                      // transport in one only: ignored
		{"sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false},
		{"sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false},
		{"sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false},
		{"sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off", false},
		{"sip:a@h;user=phone", "sip:a@h", false},
		{"sip:a@h;maddr=239.255.255.1", "sip:a@h", false},
		{"sip:a@h", "sips:a@h", false},
		// The registrar's case.
		{"sip:6000@127.0.0.1:5070;transport=UDP", "sip:6000@127.0.0.1:5070;transport=udp", true},
		{"sip:6000@127.0.0.1:5070;transport=UDP", "sip:6000@127.0.0.1:5070", true},
		{"not a uri", "not a uri", true},
		{"not a uri", "sip:x@y", false},
	}
	for _, tt := range tests {
		if got := sameURIString(tt.a, tt.b); got != tt.want {
			t.Errorf("sameURI(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := sameURIString(tt.b, tt.a); got != tt.want {
			t.Errorf("sameURI(%q, %q) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}
