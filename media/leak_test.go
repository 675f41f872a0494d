package media

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestThousandSessionsLeaveNothing opens 1,000 sessions (100 at a time),
// relays media both ways through each, DTMF included so that timers are
// armed, closes them, and checks that the pool and the goroutine count are
// back where they started.
func TestThousandSessionsLeaveNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 sessions")
	}
	pool := newTestPool(t, 63000, 63999) // 500 pairs, 200 in use at a time
	a, b := newPhone(t), newPhone(t)
	var digits digitLog
	before := runtime.NumGoroutine()
	startAlloc := pool.Stats().Allocations

	const total, batch = 1000, 100
	for done := 0; done < total; done += batch {
		sessions := make([]*Session, batch)
		for i := range sessions {
			s, err := NewSession(context.Background(), pool, SessionConfig{LearnWindow: -1, OnDTMF: digits.add})
			if err != nil {
				t.Fatal(err)
			}
			s.SetRemote(A, a.remote())
			s.SetRemote(B, b.remote())
			sessions[i] = s
		}
		for i, s := range sessions {
			aLocal, _ := s.Local(A)
			bLocal, _ := s.Local(B)
			a.send(aLocal, rtpPacket(t, 0, 1, 0, uint32(i), pcmu(160, 1)))
			b.send(bLocal, rtpPacket(t, 101, 1, 0, uint32(i), eventPayload(1, false, 160))) // left open
		}
		for range batch {
			if _, _, ok := b.recv(wait); !ok {
				t.Fatal("A→B packet lost")
			}
			if _, _, ok := a.recv(wait); !ok {
				t.Fatal("B→A packet lost")
			}
		}
		var wg sync.WaitGroup
		for _, s := range sessions {
			wg.Go(func() {
				f, err := s.Close()
				if err != nil || f.Stats.A.Received.Packets != 1 || f.Stats.B.Received.Packets != 1 {
					t.Errorf("close: %v %+v", err, f.Stats)
				}
			})
		}
		wg.Wait()
	}
	if st := pool.Stats(); st.InUse != 0 || st.Allocations-startAlloc != 2*total {
		t.Fatalf("pool after: %+v", st)
	}
	if n := len(digits.get()); n != total {
		t.Fatalf("%d open DTMF events reported at Close, want %d", n, total)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
