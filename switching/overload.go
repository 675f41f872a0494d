package switching

import (
	"encoding/binary"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"golang.org/x/sys/unix"
)

// Overload sheds new calls when the switch cannot keep up. Its measure is
// the SIP receive queue: how long each datagram waited in the socket
// between the kernel's receipt (SO_TIMESTAMPNS) and the edge reading it.
// When every reader is busy that wait grows before anything else does,
// and past RFC 3261's T1 (500 ms) the peers' retransmissions double the
// load. Above Threshold (an average over the last 100 ms, so a single
// late datagram is not taken for a backlog) new INVITEs
// get 503 with Retry-After; calls in progress and in-dialog requests are
// served as before. Shedding stops once the average is below half the
// threshold, so it does not flap at the edge. A nil *Overload never sheds.
type Overload struct {
	Threshold  time.Duration
	RetryAfter time.Duration
	// delay is the moving average of the queue wait (ns), last when it
	// was last updated (UnixNano), shedding the current state.
	delay    atomic.Int64
	last     atomic.Int64
	shedding atomic.Bool
	shed     atomic.Uint64
}

// overloadWindow is the time constant of the queue-wait average. At
// 6,000 calls/s a half-second average let the receive queue overflow
// before shedding began, and calls already admitted lost their ACKs and
// BYEs; 100 ms reacts in time (docs/benchmarks.md, issue 14).
const overloadWindow = 100 * time.Millisecond

// observe folds one datagram's queue wait, read at now, into an
// exponential average over time: each datagram weighs the time since the
// previous one over the window, so the average follows time, not the
// datagram rate.
func (o *Overload) observe(wait time.Duration, now time.Time) {
	if o == nil || o.Threshold <= 0 {
		return
	}
	t := now.UnixNano()
	dt := t - o.last.Swap(t)
	w := min(max(float64(dt)/float64(overloadWindow), 0), 1)
	old := o.delay.Load()
	avg := old + int64(float64(int64(max(wait, 0))-old)*w)
	o.delay.Store(avg) // readers race benignly: an average, not a counter
	switch {
	case avg > int64(o.Threshold):
		o.shedding.Store(true)
	case avg < int64(o.Threshold)/2:
		o.shedding.Store(false)
	}
}

// Delay is the current average queue wait.
func (o *Overload) Delay() time.Duration {
	if o == nil {
		return 0
	}
	return time.Duration(o.delay.Load())
}

// Shed answers a new INVITE 503 when the switch is overloaded and reports
// whether it did.
func (o *Overload) Shed(req *sip.Request, tx sip.ServerTransaction, m *Metrics) bool {
	if o == nil || !o.shedding.Load() {
		return false
	}
	o.shed.Add(1)
	res := sip.NewResponseFromRequest(req, 503, "Service Unavailable (Overloaded)", nil)
	res.AppendHeader(sip.NewHeader("Retry-After", strconv.Itoa(o.retryAfter())))
	m.response(503)
	_ = tx.Respond(res)
	return true
}

// retryAfter is the Retry-After of a shed INVITE, in whole seconds (RFC
// 3261 §20.33), at least 1.
func (o *Overload) retryAfter() int { return max(1, int(o.RetryAfter/time.Second)) }

// ShedCount is how many INVITEs were shed.
func (o *Overload) ShedCount() uint64 {
	if o == nil {
		return 0
	}
	return o.shed.Load()
}

// rxTimestamp reads the SO_TIMESTAMPNS control message of a datagram
// (Linux, 64-bit: a 16-byte cmsghdr, then a timespec), without the
// allocations of unix.ParseSocketControlMessage. Zero if there is none.
func rxTimestamp(oob []byte) time.Time {
	const hdr = 16
	for len(oob) >= hdr {
		l := int(binary.NativeEndian.Uint64(oob))
		if l < hdr || l > len(oob) {
			return time.Time{}
		}
		level := int32(binary.NativeEndian.Uint32(oob[8:]))
		typ := int32(binary.NativeEndian.Uint32(oob[12:]))
		if level == unix.SOL_SOCKET && typ == unix.SO_TIMESTAMPNS && l >= hdr+16 {
			sec := int64(binary.NativeEndian.Uint64(oob[hdr:]))
			nsec := int64(binary.NativeEndian.Uint64(oob[hdr+8:]))
			return time.Unix(sec, nsec)
		}
		oob = oob[min(len(oob), (l+7)&^7):]
	}
	return time.Time{}
}
