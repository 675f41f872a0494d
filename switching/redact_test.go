package switching

import (
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

func TestRedactAuthHeaders(t *testing.T) {
	const resp = "6629fae49393a05397450978507c4ef1"
	const digest = `Digest username="6000", realm="softswitch", nonce="MTcz, NzE=", uri="sip:6001@softswitch", response="` + resp + `", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001`
	const kept = `Digest username="6000", realm="softswitch", nonce="MTcz, NzE=", uri="sip:6001@softswitch", response="[redacted]", algorithm=MD5, cnonce="0a4f113b", qop=auth, nc=00000001`
	crlf := func(lines ...string) string { return strings.Join(lines, "\r\n") }
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no credentials",
			crlf("INVITE sip:6001@softswitch SIP/2.0", "Call-ID: a@b", "Content-Length: 0", "", ""),
			crlf("INVITE sip:6001@softswitch SIP/2.0", "Call-ID: a@b", "Content-Length: 0", "", "")},
		{"Authorization",
			crlf("REGISTER sip:softswitch SIP/2.0", "Authorization: "+digest, "Content-Length: 0", "", ""),
			crlf("REGISTER sip:softswitch SIP/2.0", "Authorization: "+kept, "Content-Length: 0", "", "")},
		{"Proxy-Authorization, any case",
			crlf("INVITE sip:6001@softswitch SIP/2.0", "proxy-authorization: "+digest, "Content-Length: 3", "", "v=0"),
			crlf("INVITE sip:6001@softswitch SIP/2.0", "proxy-authorization: "+kept, "Content-Length: 3", "", "v=0")},
		{"response first, unquoted, odd spacing",
			crlf("INVITE sip:x SIP/2.0", `Authorization:   digest response=`+resp+` ,username="6000"`, "", ""),
			crlf("INVITE sip:x SIP/2.0", `Authorization: digest response="[redacted]", username="6000"`, "", "")},
		{"escaped quote in a quoted string",
			crlf("INVITE sip:x SIP/2.0", `Authorization: Digest username="a\", response=\"x", response="`+resp+`"`, "", ""),
			crlf("INVITE sip:x SIP/2.0", `Authorization: Digest username="a\", response=\"x", response="[redacted]"`, "", "")},
		{"two headers, one per realm",
			crlf("INVITE sip:x SIP/2.0", "Proxy-Authorization: "+digest, "Proxy-Authorization: "+digest, "", ""),
			crlf("INVITE sip:x SIP/2.0", "Proxy-Authorization: "+kept, "Proxy-Authorization: "+kept, "", "")},
		{"folded header",
			crlf("INVITE sip:x SIP/2.0", `Authorization: Digest username="6000",`, `  response="`+resp+`"`, "Call-ID: a", "", ""),
			crlf("INVITE sip:x SIP/2.0", `Authorization: Digest username="6000", response="[redacted]"`, "Call-ID: a", "", "")},
		{"Basic carries the password itself",
			crlf("INVITE sip:x SIP/2.0", "Authorization: Basic NjAwMDoxMjM0", "", ""),
			crlf("INVITE sip:x SIP/2.0", "Authorization: Basic [redacted]", "", "")},
		{"unclosed quote loses every parameter",
			crlf("INVITE sip:x SIP/2.0", `Authorization: Digest username="6000, response=`+resp, "", ""),
			crlf("INVITE sip:x SIP/2.0", "Authorization: Digest [redacted]", "", "")},
		{"the body is not headers",
			crlf("MESSAGE sip:x SIP/2.0", "Content-Type: text/plain", "", "Authorization: Digest response=\""+resp+"\""),
			crlf("MESSAGE sip:x SIP/2.0", "Content-Type: text/plain", "", "Authorization: Digest response=\""+resp+"\"")},
		{"bare LF line ends",
			"REGISTER sip:x SIP/2.0\nAuthorization: " + digest + "\n\n",
			"REGISTER sip:x SIP/2.0\nAuthorization: " + kept + "\n\n"},
		{"a 200's Authentication-Info keeps all but rspauth",
			crlf("SIP/2.0 200 OK", `Authentication-Info: nextnonce="n2", qop=auth, rspauth="`+resp+`", cnonce="0a4f113b", nc=00000001`, "", ""),
			crlf("SIP/2.0 200 OK", `Authentication-Info: nextnonce="n2", qop=auth, rspauth="[redacted]", cnonce="0a4f113b", nc=00000001`, "", "")},
		{"Proxy-Authentication-Info, unclosed quote",
			crlf("SIP/2.0 200 OK", `proxy-authentication-info: rspauth="`+resp, "", ""),
			crlf("SIP/2.0 200 OK", "proxy-authentication-info: [redacted]", "", "")},
		{"a response is left alone",
			crlf("SIP/2.0 407 Proxy Authentication Required", `Proxy-Authenticate: Digest realm="softswitch", nonce="n"`, "", ""),
			crlf("SIP/2.0 407 Proxy Authentication Required", `Proxy-Authenticate: Digest realm="softswitch", nonce="n"`, "", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactAuthHeaders(tt.in); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestRedactCredentials: a transaction as txEvent records it with
// audit.capture: full, from the message sipgo holds, keeps no digest
// response in its request and response.
func TestRedactCredentials(t *testing.T) {
	const resp = "6629fae49393a05397450978507c4ef1"
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "6001", Host: "softswitch"})
	req.AppendHeader(sip.NewHeader("Proxy-Authorization", `Digest username="6000", realm="softswitch", nonce="n", uri="sip:6001@softswitch", response="`+resp+`", algorithm=MD5`))
	req.AppendHeader(sip.NewHeader("Call-ID", "a@b"))
	tx := domain.SIPTransaction{Method: "INVITE", Request: req.String(), Response: "SIP/2.0 200 OK\r\nCall-ID: a@b\r\n\r\n"}
	got := redactCredentials(tx)
	if strings.Contains(got.Request, resp) || !strings.Contains(got.Request, `response="[redacted]"`) || !strings.Contains(got.Request, `username="6000"`) {
		t.Errorf("request not redacted as it should be:\n%s", got.Request)
	}
	if got.Response != tx.Response || got.Method != "INVITE" {
		t.Errorf("changed what holds no credentials: %+v", got)
	}
}
