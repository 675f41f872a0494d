package switching

import (
	"fmt"
	"io"
	"sync/atomic"
)

// edgeMetrics count what the edge refuses, one counter per kind of
// refusal; malformed messages also count in softswitch_sip_malformed_total.
type edgeMetrics struct {
	tcpOpen            atomic.Int64
	tcpRefusedTotal    atomic.Uint64
	tcpRefusedSource   atomic.Uint64
	tcpIdleClosed      atomic.Uint64
	tcpFramingClosed   atomic.Uint64
	oversizeUDP        atomic.Uint64
	oversizeTCP        atomic.Uint64
	acceptErrors       atomic.Uint64
	errorAnswers       atomic.Uint64
	errorAnswersDenied atomic.Uint64
	acksAbsorbed       atomic.Uint64
}

// writeTo writes the edge's metrics in the Prometheus text format.
func (e *edgeMetrics) writeTo(w io.Writer) {
	fmt.Fprintf(w, "# HELP softswitch_sip_tcp_connections SIP TCP connections open.\n# TYPE softswitch_sip_tcp_connections gauge\nsoftswitch_sip_tcp_connections %d\n", e.tcpOpen.Load())
	fmt.Fprintf(w, "# HELP softswitch_sip_tcp_refused_total SIP TCP connections closed as soon as accepted, over sip.edge.tcp_max_connections (total) or sip.edge.tcp_max_connections_per_source (source).\n# TYPE softswitch_sip_tcp_refused_total counter\n")
	fmt.Fprintf(w, "softswitch_sip_tcp_refused_total{limit=\"total\"} %d\nsoftswitch_sip_tcp_refused_total{limit=\"source\"} %d\n", e.tcpRefusedTotal.Load(), e.tcpRefusedSource.Load())
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("softswitch_sip_tcp_idle_closed_total", "SIP TCP connections closed for not finishing a message within sip.edge.tcp_idle_timeout.", e.tcpIdleClosed.Load())
	counter("softswitch_sip_tcp_framing_closed_total", "SIP TCP connections closed because a message could not be framed (Content-Length missing, bad, repeated; RFC 3261 §18.3).", e.tcpFramingClosed.Load())
	fmt.Fprintf(w, "# HELP softswitch_sip_oversize_total SIP messages over sip.edge.max_message_bytes, refused (413 or 513; TCP connection closed).\n# TYPE softswitch_sip_oversize_total counter\n")
	fmt.Fprintf(w, "softswitch_sip_oversize_total{transport=\"udp\"} %d\nsoftswitch_sip_oversize_total{transport=\"tcp\"} %d\n", e.oversizeUDP.Load(), e.oversizeTCP.Load())
	counter("softswitch_sip_tcp_accept_errors_total", "Failed accepts on the SIP TCP listener (file descriptors exhausted, ...); the listener backs off and goes on.", e.acceptErrors.Load())
	counter("softswitch_sip_error_answers_total", "Error answers the SIP edge sent for messages it could not take (400, 413, 416, 505, 513).", e.errorAnswers.Load())
	counter("softswitch_sip_edge_acks_absorbed_total", "ACKs of the edge's own stateless answers (a shed INVITE's 503, a 400) dropped at the edge: they end nothing (RFC 3261 §17.2.1).", e.acksAbsorbed.Load())
	counter("softswitch_sip_error_answers_suppressed_total", "Error answers not sent: over sip.edge.error_answers_per_second for the source.", e.errorAnswersDenied.Load())
}
