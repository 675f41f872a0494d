package switching

import (
	"bytes"
	"hash/fnv"
	"strconv"
)

// This file takes a SIP message apart as bytes, before sipgo sees it, and
// writes it out again in a canonical form sipgo's parser reads right:
//
//   - folded header lines are unfolded: RFC 3261 §7.3.1 lets a recipient
//     replace any linear white space with one SP, and sipgo's parser reads
//     the parameters of a folded From or Via wrongly (RFC 4475 §3.1.1.1
//     "wsinv");
//   - in the header fields whose grammar allows white space around its
//     separators (SEMI, EQUAL, COMMA, SLASH, COLON of RFC 3261 §25.1),
//     that white space is removed, outside quoted strings and <>: sipgo
//     would read "tag = 1" as a parameter named "tag " (wsinv again);
//   - everything else (the start line, the body, quoted strings, URIs in
//     <>) passes byte for byte.
//
// It also finds what makes a message unusable (a broken start line or
// header field, no way to frame it) so the edge can say so in a 400.

// edgeProblem is why the edge refuses a message: the answer's code and
// reason phrase (RFC 3261 §21.4.1: the reason phrase "SHOULD identify the
// syntax problem in more detail"), and whether a stream connection must
// be closed because the message boundary is lost (RFC 3261 §18.3).
type edgeProblem struct {
	code   int
	reason string
	// closeStream: the framing is broken (Content-Length missing, negative,
	// repeated, or over the limit); on TCP nothing after it can be read.
	closeStream bool
	// malformed counts in softswitch_sip_malformed_total; an oversize
	// message or an unsupported version or scheme is a refusal, not a
	// syntax error.
	malformed bool
}

func badRequest(reason string) edgeProblem {
	return edgeProblem{code: 400, reason: reason, malformed: true}
}

// edgeSpan is a part of edgeMsg.out, from and to as offsets.
type edgeSpan struct{ from, to int }

// edgeHeader is one header field of a canonical message: kind is the
// lower-case long name for the fields the edge reads ("via", "from", ...,
// compact forms included) and "" for the others.
type edgeHeader struct {
	kind        string
	name, value edgeSpan
}

// edgeMsg is a message written out canonically into out: the start line,
// one "Name: value" line per header field, the blank line, the body.
type edgeMsg struct {
	out     []byte
	request bool
	// Request-Line parts, for a request.
	method, uri edgeSpan
	// Status code, for a response.
	code    int
	headers []edgeHeader
	// bodyAt is where the body starts in out.
	bodyAt int
}

func (m *edgeMsg) bytes(s edgeSpan) []byte { return m.out[s.from:s.to] }

// reset empties m for the next message, keeping its buffers.
func (m *edgeMsg) reset() {
	m.out = m.out[:0]
	m.request, m.method, m.uri, m.code = false, edgeSpan{}, edgeSpan{}, 0
	m.headers = m.headers[:0]
	m.bodyAt = 0
}

// first returns the first header field of kind, if any.
func (m *edgeMsg) first(kind string) (edgeHeader, bool) {
	for _, h := range m.headers {
		if h.kind == kind {
			return h, true
		}
	}
	return edgeHeader{}, false
}

// headerEnd is the offset just past the CRLFCRLF that ends the header
// section of b, or -1 if b does not hold it yet.
func headerEnd(b []byte) int {
	if i := bytes.Index(b, crlfcrlf); i >= 0 {
		return i + 4
	}
	return -1
}

var crlfcrlf = []byte("\r\n\r\n")

// parseHead writes the start line and header section head (without the
// blank line that ends it) canonically into m.out, followed by the blank
// line. It reports the first thing that makes the message unusable; m
// still holds what was read by then, so an answer can be built from it.
func (m *edgeMsg) parseHead(head []byte) edgeProblem {
	m.reset()
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	p := m.startLine(line)
	// The header fields are read whatever the start line is: an answer
	// copies Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2). A bad
	// start line is what the answer names, and an unknown version too
	// (its header fields may follow another grammar); an unsupported
	// scheme is only looked at once the message is well-formed.
	hp := m.headerFields(rest)
	if p.code != 0 && p.code != 416 || hp.code == 0 {
		return p
	}
	return hp
}

// startLine checks and copies the Request-Line (RFC 3261 §7.1) or
// Status-Line (§7.2).
func (m *edgeMsg) startLine(line []byte) edgeProblem {
	m.out = append(m.out, line...)
	m.out = append(m.out, '\r', '\n')
	if bytes.HasPrefix(line, []byte("SIP/")) || bytes.HasPrefix(line, []byte("sip/")) {
		return m.statusLine(line)
	}
	m.request = true
	if i := bytes.IndexByte(line, ' '); i > 0 {
		// The method, for whoever answers (an ACK is never answered).
		m.method = edgeSpan{0, i}
	}
	// Request-Line = Method SP Request-URI SP SIP-Version CRLF: single
	// SPs, nothing else (RFC 4475 §3.1.2.8-3.1.2.10 "lwsruri", "lwsstart",
	// "trws"; an element may be liberal, but must not forward them).
	if bytes.HasSuffix(line, []byte(" ")) || bytes.HasSuffix(line, []byte("\t")) {
		return badRequest("Malformed Request-Line: trailing white space")
	}
	if bytes.IndexByte(line, '\t') >= 0 || bytes.Contains(line, []byte("  ")) {
		return badRequest("Malformed Request-Line: extra white space")
	}
	first := bytes.IndexByte(line, ' ')
	last := bytes.LastIndexByte(line, ' ')
	if first <= 0 {
		return badRequest("Malformed Request-Line")
	}
	if first == last {
		return badRequest("Malformed Request-Line: no SIP-Version")
	}
	m.uri = edgeSpan{first + 1, last}
	version := line[last+1:]
	if !isSIPVersion(version) {
		return badRequest("Malformed Request-Line: bad SIP-Version")
	}
	// RFC 3261 §7.1: the version string is case-insensitive; a server that
	// does not speak it answers 505 (§21.5.6, RFC 4475 §3.1.2.16 "badvers").
	if !bytes.EqualFold(version, []byte("SIP/2.0")) {
		return edgeProblem{code: 505, reason: "Version Not Supported"}
	}
	if !isToken(line[:first]) {
		return badRequest("Malformed Request-Line: method is not a token")
	}
	uri := line[first+1 : last]
	if bytes.IndexByte(uri, ' ') >= 0 {
		return badRequest("Malformed Request-URI: white space")
	}
	if uri[0] == '<' {
		// RFC 3261 §25.1; RFC 4475 §3.1.2.7 "ltgtruri".
		return badRequest("Malformed Request-URI: enclosed in <>")
	}
	colon := bytes.IndexByte(uri, ':')
	if colon <= 0 || !isScheme(uri[:colon]) {
		return badRequest("Malformed Request-URI: no scheme")
	}
	scheme := uri[:colon]
	switch {
	case bytes.EqualFold(scheme, []byte("sip")), bytes.EqualFold(scheme, []byte("sips")):
		// RFC 3261 §19.1.1: the headers component is not allowed in a
		// Request-URI (RFC 4475 §3.1.2.11 "escruri"). It follows the host:
		// a user part may hold a '?' (§25.1 user-unreserved; RFC 4475
		// §3.1.1.2 "intmeth"), and no part after the user an '@'.
		hostPart := uri[colon+1:]
		if at := bytes.LastIndexByte(hostPart, '@'); at >= 0 {
			hostPart = hostPart[at+1:]
		}
		if bytes.IndexByte(hostPart, '?') >= 0 {
			return badRequest("Malformed Request-URI: headers not allowed")
		}
	case bytes.EqualFold(scheme, []byte("tel")):
	default:
		// RFC 3261 §8.2.2.1; RFC 4475 §3.3.2 "unkscm", §3.3.3 "novelsc".
		return edgeProblem{code: 416, reason: "Unsupported URI Scheme"}
	}
	return edgeProblem{}
}

// statusLine checks a Status-Line: SIP/2.0 SP 3DIGIT SP Reason-Phrase, the
// code from 100 to 699 (RFC 3261 §7.2, §21; RFC 4475 §3.1.2.19 "bigcode").
// Responses are never answered; a bad one is dropped.
func (m *edgeMsg) statusLine(line []byte) edgeProblem {
	version, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || !bytes.EqualFold(version, []byte("SIP/2.0")) {
		return badRequest("Malformed Status-Line")
	}
	code, _, ok := bytes.Cut(rest, []byte(" "))
	if !ok || len(code) != 3 {
		return badRequest("Malformed Status-Line")
	}
	n, err := strconv.Atoi(string(code))
	if err != nil || n < 100 || n > 699 {
		return badRequest("Malformed Status-Line")
	}
	m.code = n
	return edgeProblem{}
}

// headerFields copies the header section after the start line, one field
// per line, unfolded, canonical where the kind allows, then the blank
// line.
func (m *edgeMsg) headerFields(section []byte) edgeProblem {
	var p edgeProblem
	for len(section) > 0 {
		var line []byte
		line, section, _ = bytes.Cut(section, []byte("\r\n"))
		if len(line) == 0 {
			// Only a datagram without the blank line can get here: its
			// header section runs to the end (RFC 3261 §7: the empty line
			// "MUST be present even if the message-body is not").
			continue
		}
		if bytes.ContainsAny(line, "\r\n") {
			// A CR or LF that ends no line: sipgo reads none (§7.3.1 has
			// CRLF end each), and copied into an answer it could end a
			// line there. The field is left out.
			if p.code == 0 {
				p = badRequest("Malformed header field: CR or LF inside a line")
			}
			continue
		}
		if isLWSByte(line[0]) {
			// RFC 3261 §7.3.1: a line that starts with white space
			// continues the field above; there is none above the first.
			if p.code == 0 {
				p = badRequest("Malformed header field: continuation line first")
			}
			continue
		}
		// The colon is on the first line: HCOLON = *( SP / HTAB ) ":" SWS.
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			if p.code == 0 {
				p = badRequest("Malformed header field: no colon")
			}
			continue
		}
		name := trimLWSBytes(line[:colon])
		if !isToken(name) {
			if p.code == 0 {
				p = badRequest("Malformed header field name")
			}
			continue
		}
		h := edgeHeader{kind: headerKind(name)}
		h.name.from = len(m.out)
		m.out = append(m.out, name...)
		h.name.to = len(m.out)
		m.out = append(m.out, ':', ' ')
		h.value.from = len(m.out)
		m.out = appendTrimmed(m.out, line[colon+1:])
		for len(section) > 0 && isLWSByte(section[0]) {
			var cont []byte
			cont, section, _ = bytes.Cut(section, []byte("\r\n"))
			if bytes.ContainsAny(cont, "\r\n") {
				if p.code == 0 {
					p = badRequest("Malformed header field: CR or LF inside a line")
				}
				continue
			}
			if c := trimLWSBytes(cont); len(c) > 0 {
				if len(m.out) > h.value.from {
					m.out = append(m.out, ' ')
				}
				m.out = append(m.out, c...)
			}
		}
		if separatorsHaveLWS(h.kind) {
			n := collapseLWS(m.out[h.value.from:])
			m.out = m.out[:h.value.from+n]
		}
		h.value.to = len(m.out)
		m.out = append(m.out, '\r', '\n')
		m.headers = append(m.headers, h)
	}
	m.out = append(m.out, '\r', '\n')
	m.bodyAt = len(m.out)
	return p
}

// appendBody adds the body after the header section.
func (m *edgeMsg) appendBody(body []byte) { m.out = append(m.out, body...) }

// contentLength reads the Content-Length of the canonical header section
// (RFC 3261 §20.14): present tells whether there is one. More than one,
// or one that is not a non-negative decimal number, leaves the message
// without a frame (RFC 4475 §3.1.2.3 "ncl", §3.3.9 "mcl01").
func (m *edgeMsg) contentLength() (n int, present bool, p edgeProblem) {
	for _, h := range m.headers {
		if h.kind != "content-length" {
			continue
		}
		if present {
			return 0, true, edgeProblem{code: 400, reason: "Multiple Content-Length header fields", closeStream: true, malformed: true}
		}
		present = true
		v := m.bytes(h.value)
		if len(v) == 0 || len(v) > 9 || !allDigits(v) {
			return 0, true, edgeProblem{code: 400, reason: "Malformed Content-Length header field", closeStream: true, malformed: true}
		}
		n, _ = strconv.Atoi(string(v))
	}
	return n, present, edgeProblem{}
}

// headerSyntax checks what sipgo's parser lets through in the header
// fields a request is routed and answered on: From and To are single
// name-addr or addr-spec values (RFC 3261 §20.20, §20.39), so a comma
// outside quotes and <> means an unquoted display name with a character
// a token may not hold, which sipgo would split into two fields (RFC 4475
// §3.1.2.15 "baddn"); a display name before <> is a quoted string or
// tokens (§25.1 display-name).
func (m *edgeMsg) headerSyntax() edgeProblem {
	for _, h := range m.headers {
		if h.kind != "from" && h.kind != "to" {
			continue
		}
		if !nameAddrOK(m.bytes(h.value)) {
			return badRequest("Malformed " + properHeaderName(h.kind) + " header field")
		}
	}
	return edgeProblem{}
}

// nameAddrOK: no comma outside quotes and <>, quotes balanced, and what
// comes before a '<' a quoted string or tokens.
func nameAddrOK(v []byte) bool {
	quoted := false
	display := -1 // where the display name ends: at the first '<'
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			if display < 0 {
				display = i
			}
			j := bytes.IndexByte(v[i:], '>')
			if j < 0 {
				return false
			}
			i += j
		case c == ',':
			return false
		}
	}
	if quoted {
		return false
	}
	if display <= 0 {
		return true
	}
	name := trimLWSBytes(v[:display])
	if len(name) == 0 {
		return true
	}
	if name[0] == '"' {
		return name[len(name)-1] == '"' && len(name) > 1
	}
	for _, tok := range bytes.Split(name, []byte(" ")) {
		if !isToken(tok) {
			return false
		}
	}
	return true
}

// singleValued are the header fields a request may carry only once (RFC
// 3261 §7.3: only a comma-separated list may be split into several rows;
// RFC 4475 §3.3.8 "multi01"). Content-Length is framing: contentLength
// checks it.
var singleValued = [...]string{"call-id", "cseq", "from", "to", "max-forwards", "content-type"}

// repeated names a single-valued header field that appears twice, "" when
// none does.
func (m *edgeMsg) repeated() string {
	for _, k := range singleValued {
		n := 0
		for _, h := range m.headers {
			if h.kind == k {
				n++
			}
		}
		if n > 1 {
			return k
		}
	}
	return ""
}

// rfc2543Branch is the Via branch the edge gives a request that carries
// none and no From tag either: an RFC 2543 client's (RFC 4475 §3.4.1
// "inv2543"). RFC 3261 §12.2.2 and §17.2.3 say to take such requests, but
// sipgo keys a transaction on the branch, or else on the From tag, and
// answers 400 without either. The branch is a hash of what §17.2.3 matches
// an RFC 2543 transaction on (Request-URI, From, Call-ID, CSeq number, top
// Via), so a retransmission, the CANCEL and the ACK of the request get the
// same one; edgeStripBranch takes it out of every answer again, because a
// response's Via must equal the request's (§8.2.6.2).
const rfc2543BranchPrefix = ";branch=z9hG4bK-rfc2543-"

// rfc2543BranchLen is the length of the added parameter: prefix and 16 hex
// digits.
const rfc2543BranchLen = len(rfc2543BranchPrefix) + 16

// addRFC2543Branch adds the branch when the request needs one, rewriting
// m.out (the offsets of the fields after the top Via move), and reports
// whether it did.
func (m *edgeMsg) addRFC2543Branch() bool {
	via, ok := m.first("via")
	if !ok {
		return false
	}
	first := firstListElement(m.bytes(via.value))
	if _, has := headerParam(first, "branch", false); has {
		return false
	}
	from, ok := m.first("from")
	if !ok {
		return false
	}
	if _, has := headerParam(m.bytes(from.value), "tag", true); has {
		return false
	}
	h := fnv.New64a()
	_, _ = h.Write(m.bytes(m.uri))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write(m.bytes(from.value))
	_, _ = h.Write([]byte{0})
	if c, ok := m.first("call-id"); ok {
		_, _ = h.Write(m.bytes(c.value))
	}
	_, _ = h.Write([]byte{0})
	if c, ok := m.first("cseq"); ok {
		num, _, _ := bytes.Cut(m.bytes(c.value), []byte(" "))
		_, _ = h.Write(num)
	}
	_, _ = h.Write([]byte{0})
	sentBy, _, _ := bytes.Cut(first, []byte(";"))
	_, _ = h.Write(sentBy)
	param := make([]byte, 0, rfc2543BranchLen)
	param = append(param, rfc2543BranchPrefix...)
	param = strconv.AppendUint(param, h.Sum64()|1<<63, 16) // |1<<63: always 16 digits
	at := via.value.from + len(first)
	m.out = append(m.out[:at], append(param, m.out[at:]...)...)
	for i := range m.headers {
		h := &m.headers[i]
		if h.value.from >= at {
			h.name.from += len(param)
			h.name.to += len(param)
			h.value.from += len(param)
			h.value.to += len(param)
		} else if h.value.to >= at {
			h.value.to += len(param)
		}
	}
	m.bodyAt += len(param)
	return true
}

// edgeStripBranch removes every branch parameter addRFC2543Branch added
// from an outgoing message b, in place; it returns b unchanged (and
// allocates nothing) when there is none, which is always but for answers
// to RFC 2543 clients.
func edgeStripBranch(b []byte) []byte {
	for {
		i := bytes.Index(b, []byte(rfc2543BranchPrefix))
		if i < 0 || len(b)-i < rfc2543BranchLen {
			return b
		}
		n := copy(b[i:], b[i+rfc2543BranchLen:])
		b = b[:i+n]
	}
}

// firstListElement is v up to its first comma outside quotes and <>: the
// top via-parm of a Via value, the first contact of a Contact value.
func firstListElement(v []byte) []byte {
	quoted, angle := false, false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case quoted && c == '\\':
			i++
		case c == '"' && !angle:
			quoted = !quoted
		case quoted:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == ',' && !angle:
			return v[:i]
		}
	}
	return v
}

// headerParam finds the parameter name (case-insensitive) of a canonical
// header value: for a name-addr or addr-spec (nameAddr), after the address
// (RFC 3261 §20.10: in the addr-spec form the parameters are the header
// field's); otherwise (a via-parm), after the first ';'.
func headerParam(v []byte, name string, nameAddr bool) ([]byte, bool) {
	i := 0
	if nameAddr {
		quoted := false
		for i = 0; i < len(v); i++ {
			c := v[i]
			if quoted {
				if c == '\\' {
					i++
				} else if c == '"' {
					quoted = false
				}
				continue
			}
			if c == '"' {
				quoted = true
			} else if c == '<' {
				if j := bytes.IndexByte(v[i:], '>'); j >= 0 {
					i += j
				}
			} else if c == ';' {
				break
			}
		}
	} else {
		i = bytes.IndexByte(v, ';')
		if i < 0 {
			return nil, false
		}
	}
	for i < len(v) {
		i++ // past ';'
		j := bytes.IndexByte(v[i:], ';')
		var p []byte
		if j < 0 {
			p, i = v[i:], len(v)
		} else {
			p, i = v[i:i+j], i+j
		}
		k, val, _ := bytes.Cut(p, []byte("="))
		if bytes.EqualFold(k, []byte(name)) {
			return val, true
		}
	}
	return nil, false
}

// knownHeaders are the long names headerKind returns.
var knownHeaders = [...]string{
	"via", "from", "to", "contact", "call-id", "cseq", "max-forwards",
	"content-length", "content-type", "route", "record-route", "require",
	"proxy-require", "supported", "allow", "accept", "user-agent",
	"session-expires", "min-se", "refer-to", "referred-by", "reply-to",
	"p-asserted-identity", "p-preferred-identity", "content-disposition",
	"event", "expires",
}

// headerKind is the lower-case long name of a header field the edge reads,
// compact forms included (RFC 3261 §7.3.3, RFC 4028 "x", RFC 3515 "r",
// RFC 3892 "b", RFC 6665 "o"), or "".
func headerKind(name []byte) string {
	if len(name) == 1 {
		switch name[0] | 0x20 {
		case 'v':
			return "via"
		case 'f':
			return "from"
		case 't':
			return "to"
		case 'm':
			return "contact"
		case 'i':
			return "call-id"
		case 'l':
			return "content-length"
		case 'c':
			return "content-type"
		case 'k':
			return "supported"
		case 'x':
			return "session-expires"
		case 'r':
			return "refer-to"
		case 'b':
			return "referred-by"
		case 'o':
			return "event"
		}
		return ""
	}
	for _, k := range knownHeaders {
		if len(k) == len(name) && bytes.EqualFold(name, []byte(k)) {
			return k
		}
	}
	return ""
}

// separatorsHaveLWS: the grammar of these fields puts SWS around its
// separators (RFC 3261 §25.1: SEMI, EQUAL, COMMA, SLASH, COLON, LAQUOT,
// RAQUOT). Call-ID, CSeq and the numbers have none to collapse, and the
// fields the edge does not know (Subject, Authorization, extensions) are
// only unfolded: their text is theirs.
func separatorsHaveLWS(kind string) bool {
	switch kind {
	case "", "call-id", "cseq", "max-forwards", "content-length", "expires", "user-agent":
		return false
	}
	return true
}

// collapseLWS rewrites v in place, outside quoted strings and <>: no white
// space next to ; = , / : and one SP for any other run. It returns the
// new length.
func collapseLWS(v []byte) int {
	w := 0
	quoted, angle, space := false, false, false
	isSep := func(c byte) bool { return c == ';' || c == '=' || c == ',' || c == '/' || c == ':' }
	for r := 0; r < len(v); r++ {
		c := v[r]
		if quoted || angle {
			v[w] = c
			w++
			switch {
			case quoted && c == '\\' && r+1 < len(v):
				r++
				v[w] = v[r]
				w++
			case quoted && c == '"':
				quoted = false
			case angle && c == '>':
				angle = false
			}
			continue
		}
		if isLWSByte(c) {
			space = true
			continue
		}
		if space && w > 0 && !isSep(c) && !isSep(v[w-1]) {
			v[w] = ' '
			w++
		}
		space = false
		v[w] = c
		w++
		switch c {
		case '"':
			quoted = true
		case '<':
			angle = true
		}
	}
	return w
}

func isLWSByte(c byte) bool { return c == ' ' || c == '\t' }

func trimLWSBytes(b []byte) []byte {
	for len(b) > 0 && isLWSByte(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isLWSByte(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func appendTrimmed(dst, b []byte) []byte { return append(dst, trimLWSBytes(b)...) }

// isToken: RFC 3261 §25.1 token = 1*(alphanum / "-" / "." / "!" / "%" /
// "*" / "_" / "+" / "`" / "'" / "~").
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case bytes.IndexByte([]byte("-.!%*_+`'~"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isScheme: RFC 3261 §25.1 scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(b []byte) bool {
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return len(b) > 0
}

// isSIPVersion: SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (§25.1).
func isSIPVersion(b []byte) bool {
	if len(b) < 7 || !bytes.EqualFold(b[:4], []byte("SIP/")) {
		return false
	}
	major, minor, ok := bytes.Cut(b[4:], []byte("."))
	return ok && len(major) > 0 && len(minor) > 0 && allDigits(major) && allDigits(minor)
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
