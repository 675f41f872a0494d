package switching

import (
	"sync/atomic"

	"softswitch/internal/metrics"
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

// emit reports the edge's metrics.
func (e *edgeMetrics) emit(emit metrics.Emit) {
	counter := func(name, help string, v uint64) { emit(metrics.Counter, name, help, float64(v)) }
	emit(metrics.Gauge, "softswitch_sip_tcp_connections", "SIP TCP connections open.", float64(e.tcpOpen.Load()))
	const refused = "SIP TCP connections closed as soon as accepted, over sip.edge.tcp_max_connections (total) or sip.edge.tcp_max_connections_per_source (source)."
	emit(metrics.Counter, "softswitch_sip_tcp_refused_total", refused, float64(e.tcpRefusedTotal.Load()), "limit", "total")
	emit(metrics.Counter, "softswitch_sip_tcp_refused_total", refused, float64(e.tcpRefusedSource.Load()), "limit", "source")
	counter("softswitch_sip_tcp_idle_closed_total", "SIP TCP connections closed for not finishing a message within sip.edge.tcp_idle_timeout.", e.tcpIdleClosed.Load())
	counter("softswitch_sip_tcp_framing_closed_total", "SIP TCP connections closed because a message could not be framed (Content-Length missing, bad, repeated; RFC 3261 §18.3).", e.tcpFramingClosed.Load())
	const oversize = "SIP messages over sip.edge.max_message_bytes, refused (413 or 513; TCP connection closed)."
	emit(metrics.Counter, "softswitch_sip_oversize_total", oversize, float64(e.oversizeUDP.Load()), "transport", "udp")
	emit(metrics.Counter, "softswitch_sip_oversize_total", oversize, float64(e.oversizeTCP.Load()), "transport", "tcp")
	counter("softswitch_sip_tcp_accept_errors_total", "Failed accepts on the SIP TCP listener (file descriptors exhausted, ...); the listener backs off and goes on.", e.acceptErrors.Load())
	counter("softswitch_sip_error_answers_total", "Error answers the SIP edge sent for messages it could not take (400, 413, 416, 505, 513).", e.errorAnswers.Load())
	counter("softswitch_sip_edge_acks_absorbed_total", "ACKs of the edge's own stateless answers (a shed INVITE's 503, a 400) dropped at the edge: they end nothing (RFC 3261 §17.2.1).", e.acksAbsorbed.Load())
	counter("softswitch_sip_error_answers_suppressed_total", "Error answers not sent: over sip.edge.error_answers_per_second for the source.", e.errorAnswersDenied.Load())
}
