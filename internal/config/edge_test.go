package config_test

import (
	"errors"
	"strings"
	"testing"

	"softswitch/internal/config"
)

// TestEdgeValidate: each bad sip.edge value is refused with an error that
// names its field.
func TestEdgeValidate(t *testing.T) {
	cases := []struct {
		name, yaml, field string
	}{
		{"message size too small", "max_message_bytes: 100", "sip.edge.max_message_bytes"},
		{"message size over sipgo's UDP buffer", "max_message_bytes: 65536", "sip.edge.max_message_bytes"},
		{"no connections", "tcp_max_connections: -1", "sip.edge.tcp_max_connections"},
		{"per source over the total", "tcp_max_connections: 10\n    tcp_max_connections_per_source: 11", "sip.edge.tcp_max_connections_per_source"},
		{"per source negative", "tcp_max_connections_per_source: -2", "sip.edge.tcp_max_connections_per_source"},
		{"idle timeout too short", "tcp_idle_timeout: 10ms", "sip.edge.tcp_idle_timeout"},
		{"answer rate negative", "error_answers_per_second: -1", "sip.edge.error_answers_per_second"},
		{"unknown key", "tcp_max_conns: 5", "tcp_max_conns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte("node_id: n1\nsip:\n  edge:\n    " + tc.yaml + "\n"))
			if err == nil || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err = %v, want an invalid-config error naming %s", err, tc.field)
			}
		})
	}
	c, err := config.Parse([]byte("node_id: n1\nsip:\n  edge:\n    max_message_bytes: 4096\n    tcp_max_connections: 10\n    tcp_max_connections_per_source: 10\n    tcp_idle_timeout: 2s\n    error_answers_per_second: 1\n"))
	if err != nil {
		t.Fatalf("a valid sip.edge: %v", err)
	}
	if e := c.SIP.Edge; e.MaxMessageBytes != 4096 || e.TCPMaxConnections != 10 || e.TCPMaxConnectionsPerSource != 10 || e.TCPIdleTimeout.String() != "2s" || e.ErrorAnswersPerSecond != 1 {
		t.Errorf("parsed %+v", e)
	}
}
