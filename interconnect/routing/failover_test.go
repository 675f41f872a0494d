package routing

import (
	"fmt"
	"testing"
)

func TestRetryable(t *testing.T) {
	tests := []struct {
		code                 int
		timeout, unreachable bool
		want                 bool
	}{
		// Trunk or carrier failures: try the next trunk.
		{408, false, false, true},
		{500, false, false, true},
		{502, false, false, true},
		{503, false, false, true},
		{504, false, false, true},
		{0, true, false, true},
		{0, false, true, true},
		{486, true, false, true}, // a timeout wins whatever code is passed
		// About the callee or the request: stop.
		{400, false, false, false},
		{401, false, false, false},
		{403, false, false, false},
		{404, false, false, false},
		{407, false, false, false},
		{410, false, false, false},
		{480, false, false, false},
		{484, false, false, false},
		{486, false, false, false},
		{487, false, false, false},
		{488, false, false, false},
		{501, false, false, false},
		{505, false, false, false},
		{513, false, false, false},
		{580, false, false, false},
		{600, false, false, false},
		{603, false, false, false},
		{604, false, false, false},
		{606, false, false, false},
		// Not failures.
		{0, false, false, false},
		{180, false, false, false},
		{200, false, false, false},
		{302, false, false, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d/timeout=%v/unreachable=%v", tc.code, tc.timeout, tc.unreachable), func(t *testing.T) {
			if got := Retryable(tc.code, tc.timeout, tc.unreachable); got != tc.want {
				t.Fatalf("Retryable = %v, want %v", got, tc.want)
			}
		})
	}
}
