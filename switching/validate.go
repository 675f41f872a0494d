package switching

import (
	"strings"

	"github.com/emiago/sipgo/sip"
)

// refusal is the answer a request gets before the registrar or the B2BUA
// sees it, nil when it may go on; malformed says whether it counts in
// softswitch_sip_malformed_total (a request the switch will not serve is
// not malformed). The checks follow RFC 3261 §8.2's order: method (§8.2.1),
// then header fields (§8.2.2), then content (§8.2.3); they run before
// authentication, as none of them depends on who is asking and none tells
// an unknown user from a known one.
//
// The edge (edge_*.go) has refused what cannot be parsed or framed; these
// are the requests that parse but that RFC 3261 still has the switch turn
// down.
func refusal(req *sip.Request) (res *sip.Response, malformed bool) {
	code, reason, hdrs := validate(req)
	if code == 0 {
		return nil, false
	}
	res = sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	return res, code == 400
}

// validate returns the code, reason and extra header fields of the
// answer a request gets before anything else looks at it; code 0 when it
// may go on.
func validate(req *sip.Request) (int, string, []sip.Header) {
	// §8.1.1: To, From, CSeq, Call-ID, Max-Forwards and Via are mandatory;
	// Max-Forwards is left out, as RFC 2543 clients (RFC 4475 §3.4.1
	// "inv2543") do not send it and §8.2 does not require it of them.
	if req.CallID() == nil || req.From() == nil || req.To() == nil || req.Via() == nil {
		return 400, "Bad Request (Missing Mandatory Header)", nil
	}
	cs := req.CSeq()
	if cs == nil {
		return 400, "Bad Request (Missing CSeq)", nil
	}
	// §8.2.1: a method the switch does not know at all is 501 (§21.5.2), one
	// it knows but does not serve is 405 (onNoRoute). This comes before the
	// CSeq check: RFC 4475 §3.1.2.18 "mismatch02" prefers 501 for an
	// unknown method whose CSeq names another.
	if !knownMethod(req.Method) {
		return 501, "Not Implemented", nil
	}
	// §8.1.1.5: the CSeq method must match the request method; CANCEL and
	// ACK carry their own method name there too (RFC 4475 §3.1.2.17).
	if !strings.EqualFold(string(cs.MethodName), string(req.Method)) {
		return 400, "Bad Request (CSeq Method Mismatch)", nil
	}
	// §8.2.2.1: a Request-URI scheme the switch does not serve.
	switch strings.ToLower(req.Recipient.Scheme) {
	case "sip", "sips", "tel":
	default:
		return 416, "Unsupported URI Scheme", nil
	}
	// §8.2.2.3: an extension the request requires and the switch does not
	// support is refused with 420, its option tags in Unsupported (RFC 4475
	// §3.3.5 "bext01"). Require is ignored in ACK and CANCEL. Proxy-Require
	// is for proxies (§16.3 step 4); the switch answers as a UAS.
	if !req.IsAck() && !req.IsCancel() {
		if bad := unsupportedRequired(req); bad != "" {
			return 420, "Bad Extension", []sip.Header{sip.NewHeader("Unsupported", bad)}
		}
	}
	// §10.2: the To of a REGISTER is the address of record, a SIP or SIPS
	// URI; RFC 4475 §3.3.4 "unksm2" has a registrar answer 400.
	if req.Method == sip.REGISTER {
		switch strings.ToLower(req.To().Address.Scheme) {
		case "sip", "sips":
		default:
			return 400, "Bad Request (To Is Not a SIP or SIPS URI)", nil
		}
	}
	if req.Method == sip.INVITE {
		return validateInvite(req)
	}
	return 0, "", nil
}

// validateInvite checks what only an INVITE must have right: the B2BUA
// sends it on as a new request with its SDP.
func validateInvite(req *sip.Request) (int, string, []sip.Header) {
	// §16.3 step 3: a request whose Max-Forwards is 0 is not forwarded;
	// the B2BUA forwards the INVITE (it sends the B-leg one less), so it
	// answers 483 as a proxy would (RFC 4475 §3.3.11 "zeromf": an endpoint
	// serves an OPTIONS with it, and onOptions does).
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		return 483, "Too Many Hops", nil
	}
	// §8.2.3, §20.15: a body needs its Content-Type, and the switch serves
	// session descriptions (application/sdp, alone or in a multipart body,
	// RFC 5621, as carriers send SIP-I) and nothing else: 415 with what it
	// accepts (RFC 4475 §3.3.6 "invut").
	if len(req.Body()) > 0 {
		ct := req.ContentType()
		if ct == nil {
			return 400, "Bad Request (Missing Content-Type)", nil
		}
		mt, _, _ := strings.Cut(strings.ToLower(ct.Value()), ";")
		mt = strings.TrimSpace(mt)
		if mt != "application/sdp" && !strings.HasPrefix(mt, "multipart/") {
			return 415, "Unsupported Media Type", []sip.Header{sip.NewHeader("Accept", "application/sdp")}
		}
	}
	// §21.4.7: the answer to an INVITE carries SDP; a caller whose Accept
	// rules SDP out cannot take it (RFC 4475 §3.3.15 "sdp01").
	if accepts := req.GetHeaders("Accept"); len(accepts) > 0 && !acceptsSDP(accepts) {
		return 406, "Not Acceptable", []sip.Header{sip.NewHeader("Accept", "application/sdp")}
	}
	return 0, "", nil
}

// knownMethods are the methods of RFC 3261 and of the extensions IANA
// lists for SIP: the switch recognizes them (and answers 405 to those it
// does not serve, with Allow); anything else is 501.
var knownMethods = [...]sip.RequestMethod{
	sip.INVITE, sip.ACK, sip.CANCEL, sip.BYE, sip.REGISTER, sip.OPTIONS,
	sip.PRACK, sip.SUBSCRIBE, sip.NOTIFY, sip.PUBLISH, sip.INFO, sip.REFER,
	sip.MESSAGE, sip.UPDATE,
}

func knownMethod(m sip.RequestMethod) bool {
	for _, k := range knownMethods {
		if m == k {
			return true
		}
	}
	return false
}

// supportedOptionTags are the extensions the switch implements: session
// timers (RFC 4028, sessiontimer.go).
var supportedOptionTags = [...]string{"timer"}

// unsupportedRequired lists, comma-separated, the option tags of the
// request's Require header fields the switch does not support.
func unsupportedRequired(req *sip.Request) string {
	var bad []string
	for _, h := range req.GetHeaders("Require") {
		for _, tag := range strings.Split(h.Value(), ",") {
			tag = strings.TrimSpace(tag)
			if tag == "" {
				continue
			}
			ok := false
			for _, s := range supportedOptionTags {
				if strings.EqualFold(tag, s) {
					ok = true
				}
			}
			if !ok {
				bad = append(bad, tag)
			}
		}
	}
	return strings.Join(bad, ", ")
}

// acceptsSDP tells whether the Accept header fields admit application/sdp
// (RFC 3261 §20.1: media ranges, with wildcards).
func acceptsSDP(accepts []sip.Header) bool {
	for _, h := range accepts {
		for _, r := range strings.Split(h.Value(), ",") {
			mt, _, _ := strings.Cut(r, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/sdp", "application/*", "*/*", "":
				return true
			}
		}
	}
	return false
}
