package switching

import (
	"bytes"
	"io"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzEdgeDatagram: whatever a datagram holds, the edge either passes on
// a message sipgo parses, and that the edge would pass on unchanged again
// (the canonical form is stable), or answers with an error sipgo parses
// as a SIP/2.0 response, never to an ACK, or drops it. The saved corpus
// (testdata/fuzz/FuzzEdgeDatagram) holds RFC 4475's messages and what
// earlier runs found.
func FuzzEdgeDatagram(f *testing.F) {
	f.Add(crlf(optionsHead + "Content-Length: 0\n\n"))
	f.Add(crlf("SIP/2.0 200 OK\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\nContent-Length: 0\n\n"))
	e := testEdge(f, EdgeConfig{MaxMessageBytes: 4096})
	f.Fuzz(func(t *testing.T, data []byte) {
		r := runDatagram(t, e, data, testSrc)
		if r.out != nil {
			if _, err := sip.ParseMessage(r.out); err != nil {
				t.Fatalf("passed on what sipgo cannot parse (%v):\n%q", err, r.out)
			}
			if again := runDatagram(t, e, r.out, testSrc); !bytes.Equal(again.out, r.out) {
				t.Fatalf("canonical form not stable:\n%q\n%q", r.out, again.out)
			}
			return
		}
		if r.answer == nil {
			return
		}
		if bytes.HasPrefix(data, []byte("ACK ")) {
			t.Fatalf("answered an ACK:\n%q", r.answer)
		}
		// The answer copies the request's Via, From, To, Call-ID and CSeq
		// as they are, broken ones too (RFC 3261 §8.2.6.2); what must hold
		// is its frame: an error status line, one field per line, no CR
		// or LF inside one (nothing a sender can smuggle in), an empty
		// body.
		head, ok := bytes.CutSuffix(r.answer, []byte("\r\nContent-Length: 0\r\n\r\n"))
		if !ok {
			t.Fatalf("an answer without its Content-Length: 0 and end:\n%q", r.answer)
		}
		lines := bytes.Split(head, []byte("\r\n"))
		if !bytes.HasPrefix(lines[0], []byte("SIP/2.0 4")) && !bytes.HasPrefix(lines[0], []byte("SIP/2.0 5")) {
			t.Fatalf("not a SIP/2.0 error status line: %q", lines[0])
		}
		for _, l := range lines {
			if bytes.ContainsAny(l, "\r\n") {
				t.Fatalf("a CR or LF inside an answer's line %q:\n%q", l, r.answer)
			}
		}
		for _, l := range lines[1:] {
			name, _, ok := bytes.Cut(l, []byte(": "))
			switch string(name) {
			case "Via", "From", "To", "Call-ID", "CSeq":
			default:
				ok = false
			}
			if !ok {
				t.Fatalf("an answer's line %q is not a copied Via, From, To, Call-ID or CSeq:\n%q", l, r.answer)
			}
		}
	})
}

// FuzzEdgeStream: on TCP the edge frames the stream itself, so how the
// octets arrive must not matter: split anywhere, a stream gives sipgo the
// same octets, all of them parseable, and closes or not alike.
func FuzzEdgeStream(f *testing.F) {
	f.Add(crlf(optionsHead+"Content-Length: 0\n\n"+optionsHead+"Content-Length: 2\n\nab"), uint16(40))
	f.Add(append([]byte("\r\n\r\n"), crlf(optionsHead+"Content-Length: 0\n\n")...), uint16(3))
	e := testEdge(f, EdgeConfig{MaxMessageBytes: 4096})
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		k := int(split) % (len(data) + 1)
		whole := streamPassed(t, e, data)
		parts := streamPassed(t, e, data[:k], data[k:])
		if !bytes.Equal(whole.passed, parts.passed) || whole.closed != parts.closed {
			t.Fatalf("split at %d changes what sipgo reads or the close:\nwhole %v %q\nsplit %v %q", k, whole.closed, whole.passed, parts.closed, parts.passed)
		}
	})
}

type streamPass struct {
	passed []byte
	closed bool
}

func streamPassed(t *testing.T, e *edge, chunks ...[]byte) streamPass {
	t.Helper()
	fc := &chunkConn{}
	for _, c := range chunks {
		fc.chunks = append(fc.chunks, append([]byte(nil), c...))
	}
	c := e.conn(fc, netip.MustParseAddrPort("192.0.2.7:40000"), func() {})
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if len(got) > 0 {
		if err := sip.NewParser().NewSIPStream().ParseSIPStream(got, func(sip.Message) {}); err != nil {
			t.Fatalf("sipgo cannot parse what the edge passed on: %v\n%q", err, got)
		}
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return streamPass{passed: got, closed: fc.closed}
}
