package config

import "time"

// Edge is the `sip.edge:` section: what the SIP front door takes before any
// SIP processing (message size, TCP connections) and how often a source
// that sends garbage is told so. docs/security.md says what each limit
// stops; docs/configuration.md lists them.
type Edge struct {
	// MaxMessageBytes (bytes) is the largest SIP message taken, start line,
	// headers and body together, on UDP and TCP alike. A larger request is
	// answered 413 (its body is what is too large) or 513 (its headers
	// are); a TCP connection that sends one is then closed, since the rest
	// of the message is not read. Default 32768, which is also the most:
	// sipgo reads each UDP datagram into a 32 KiB buffer. No SIP signalling
	// message comes near it (RFC 3261 §18.1.1 already sends any over
	// 1,300 bytes by TCP).
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// TCPMaxConnections (count) is how many TCP connections may be open at
	// once, from all sources together; one over it is closed as soon as it
	// is accepted. Default 4096: each costs a descriptor, a goroutine and
	// about 44 KiB of buffers between messages (sipgo's 32 KiB read
	// buffer, the edge's 4 KiB and what it keeps), up to about 100 KiB
	// while a message of the largest size is under way; 4096 bound them at
	// about 180 MiB, 400 MiB at worst.
	TCPMaxConnections int `yaml:"tcp_max_connections"`
	// TCPMaxConnectionsPerSource (count) is how many of them one IP address
	// may hold. Default 64: a phone needs one; raise it when many phones
	// reach the switch over TCP from behind one NAT address.
	TCPMaxConnectionsPerSource int `yaml:"tcp_max_connections_per_source"`
	// TCPIdleTimeout (duration) is how long a TCP connection may go
	// without finishing a message: one that has sent no whole message
	// within it of being accepted, or that leaves a message half sent that
	// long, is closed. A connection between messages, once it has sent
	// one, is not timed out (a registered phone keeps its connection open
	// for calls to it, RFC 5626). Default 10s.
	TCPIdleTimeout time.Duration `yaml:"tcp_idle_timeout"`
	// ErrorAnswersPerSecond (answers per second, per source IP address) is
	// how many error answers the front door sends one source for messages
	// it cannot take (400 malformed, 413/513 too large, 505 version, 416
	// scheme); a burst of as many is allowed, the rest are dropped, and
	// all are counted. A UDP source address can be forged, so without a
	// limit the switch would send an answer to a victim for every forged
	// datagram. Default 10.
	ErrorAnswersPerSecond int `yaml:"error_answers_per_second"`
}

// maxEdgeMessageBytes is sipgo's UDP read buffer (sip.TransportBufferReadSize):
// a datagram the edge passes on must fit it.
const maxEdgeMessageBytes = 32768

func (e *Edge) setDefaults() {
	if e.MaxMessageBytes == 0 {
		e.MaxMessageBytes = maxEdgeMessageBytes
	}
	if e.TCPMaxConnections == 0 {
		e.TCPMaxConnections = 4096
	}
	if e.TCPMaxConnectionsPerSource == 0 {
		e.TCPMaxConnectionsPerSource = 64
	}
	if e.TCPIdleTimeout == 0 {
		e.TCPIdleTimeout = 10 * time.Second
	}
	if e.ErrorAnswersPerSecond == 0 {
		e.ErrorAnswersPerSecond = 10
	}
}

// Validate checks the sip.edge section.
func (e *Edge) Validate() error {
	if e.MaxMessageBytes < 1024 || e.MaxMessageBytes > maxEdgeMessageBytes {
		return fieldErr("sip.edge.max_message_bytes", "must be between 1024 and %d bytes, got %d", maxEdgeMessageBytes, e.MaxMessageBytes)
	}
	if e.TCPMaxConnections < 1 {
		return fieldErr("sip.edge.tcp_max_connections", "must be at least 1, got %d", e.TCPMaxConnections)
	}
	if e.TCPMaxConnectionsPerSource < 1 || e.TCPMaxConnectionsPerSource > e.TCPMaxConnections {
		return fieldErr("sip.edge.tcp_max_connections_per_source", "must be between 1 and sip.edge.tcp_max_connections (%d), got %d", e.TCPMaxConnections, e.TCPMaxConnectionsPerSource)
	}
	if e.TCPIdleTimeout < 100*time.Millisecond {
		return fieldErr("sip.edge.tcp_idle_timeout", "must be at least 100ms, got %s", e.TCPIdleTimeout)
	}
	if e.ErrorAnswersPerSecond < 1 {
		return fieldErr("sip.edge.error_answers_per_second", "must be at least 1, got %d", e.ErrorAnswersPerSecond)
	}
	return nil
}
