package switching

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestEvery checks the sweep cadence in fake time: the expiry sweep must
// run once per interval and stop with its context.
func TestEvery(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		wait     time.Duration
		want     int
	}{
		{"one second for 10.5s", time.Second, 10500 * time.Millisecond, 10},
		{"250ms for 1.1s", 250 * time.Millisecond, 1100 * time.Millisecond, 4},
		{"not before the first interval", time.Minute, 59 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				runs := 0
				done := make(chan struct{})
				go func() {
					every(ctx, tt.interval, func(context.Context) { runs++ })
					close(done)
				}()
				time.Sleep(tt.wait)
				synctest.Wait()
				if runs != tt.want {
					t.Fatalf("ran %d times in %s, want %d", runs, tt.wait, tt.want)
				}
				cancel()
				<-done
			})
		})
	}
}
