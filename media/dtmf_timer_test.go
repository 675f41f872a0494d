package media

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestDTMFTimeoutInSession drives the session's DTMF path (timer included)
// on a fake clock: an event whose end packets are all lost is reported
// once, DTMFTimeout after its last packet, and Close reports an event
// still open.
func TestDTMFTimeoutInSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log digitLog
		s := &Session{dtmfTO: 300 * time.Millisecond, onDTMF: log.add}
		x := &leg{id: B}
		start := time.Now()
		for i, dur := range []uint16{160, 320, 480} {
			time.Sleep(50 * time.Millisecond)
			s.dtmfPacket(x, true, 7, 16000, 8000, eventPayload(3, false, dur), time.Now())
			if i == 0 && !x.dtmfActive.Load() {
				t.Fatal("event not active")
			}
		}
		time.Sleep(299 * time.Millisecond)
		synctest.Wait()
		if n := len(log.get()); n != 0 {
			t.Fatalf("%d digits before the timeout", n)
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		d := log.get()
		if len(d) != 1 || d[0].Digit != "3" || d[0].Ended || d[0].Duration != 60*time.Millisecond ||
			!d[0].Start.Equal(start.Add(50*time.Millisecond)) {
			t.Fatalf("digits %+v", d)
		}
		if x.dtmfActive.Load() {
			t.Fatal("still active after the timeout")
		}
		// A late end packet of the same event is not a new digit.
		s.dtmfPacket(x, true, 7, 16000, 8000, eventPayload(3, true, 800), time.Now())
		// A new event, still open at Close, is reported by Close.
		s.dtmfPacket(x, true, 7, 24000, 8000, eventPayload(4, false, 160), time.Now())
		s.closeDTMF(x)
		time.Sleep(time.Second) // the timer was stopped: nothing more
		synctest.Wait()
		if d := log.get(); len(d) != 2 || d[1].Digit != "4" || d[1].Ended {
			t.Fatalf("digits %+v", d)
		}
	})
}
