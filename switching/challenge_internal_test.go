package switching

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

// TestChallengeTakeWaitsForItsAck: the INVITE answering a challenge may be
// handled before the challenge's ACK (several socket readers); take then
// waits up to the bound for the ACK, so the round keeps it, and gives up
// at the bound for a caller that never ACKs.
func TestChallengeTakeWaitsForItsAck(t *testing.T) {
	req := sip.NewRequest(sip.INVITE, sip.Uri{Scheme: "sip", User: "6001", Host: "switch"})
	cid := sip.CallIDHeader("abc@host")
	req.AppendHeader(&cid)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: "6000", Host: "switch"}, Params: sip.NewParams()}
	from.Params.Add("tag", "t1")
	req.AppendHeader(from)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	ack := sip.NewRequest(sip.ACK, req.Recipient)
	ack.AppendHeader(&cid)
	ack.AppendHeader(from)
	ack.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.ACK})
	key := callerKeyOf(req)

	tests := []struct {
		name     string
		ackAfter time.Duration // < 0: never
		wantAck  bool
		took     time.Duration
	}{
		{"ACK already recorded", 0, true, 0},
		{"ACK handled 5 ms after the INVITE", 5 * time.Millisecond, true, 5 * time.Millisecond},
		{"no ACK: the bound", -1, false, challengeAckWait},
		{"ACK after the bound is too late", 2 * challengeAckWait, false, challengeAckWait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newChallenges()
				c.add(req, domain.SIPTransaction{CSeq: 1})
				if tt.ackAfter == 0 {
					c.ack(ack, time.Now())
				} else if tt.ackAfter > 0 {
					go func() {
						time.Sleep(tt.ackAfter)
						c.ack(ack, time.Now())
					}()
				}
				start := time.Now()
				tx, ok := c.take(key, challengeAckWait)
				if !ok || tx.Ack.IsZero() == tt.wantAck || time.Since(start) != tt.took {
					t.Fatalf("take: ok %v, ack %v after %v; want ack %v after %v", ok, tx.Ack, time.Since(start), tt.wantAck, tt.took)
				}
				if _, again := c.take(key, 0); again {
					t.Fatal("a challenge taken twice")
				}
				time.Sleep(3 * challengeAckWait) // let a late ACK goroutine finish
				synctest.Wait()
			})
		})
	}
}
