package switching

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// validate checks what sipgo's parser lets through but RFC 3261 requires of
// every request (§8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via; §8.2.2.1:
// the Request-URI scheme). It returns the code to answer, 0 when valid.
func validate(req *sip.Request) (int, string) {
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.Via() == nil {
		return 400, "Bad Request (Missing Mandatory Header)"
	}
	cs := req.CSeq()
	if cs == nil {
		return 400, "Bad Request (Missing CSeq)"
	}
	// The CSeq method must match the request method (§8.1.1.5); CANCEL and
	// ACK carry their own method name there too.
	if !strings.EqualFold(string(cs.MethodName), string(req.Method)) {
		return 400, "Bad Request (CSeq Method Mismatch)"
	}
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips", "tel":
	default:
		return 416, "Unsupported URI Scheme"
	}
	return 0, ""
}
