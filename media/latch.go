package media

import (
	"net/netip"
	"time"
)

// latch learns where an endpoint really sends from (symmetric RTP behind
// NAT, RFC 4961 §3 and the usual SBC practice) and then refuses every other
// source, so that a stranger spraying packets at our ports cannot take the
// stream over ("RTP bleed").
//
// It follows rtpengine's "heuristic" endpoint learning (its
// --endpoint-learning option): a source matching the SDP address and port
// exactly is locked at once; otherwise sources are ranked 0 exact match, 1
// same address other port (a NAT that rewrites ports), 2 same port other
// address (a NAT that keeps ports), 3 neither, and during the learning
// window a better rank replaces the candidate. Unlike rtpengine, where the
// last packet of a rank wins, the first source of a rank keeps it, so a
// later stranger of the same rank cannot steal a stream mid-window, and
// packets from anyone but the candidate are dropped (rtpengine's
// strict-source). The window opens with the first packet after the
// session starts or the SDP address changes: rtpengine counts it from the
// last signalling event, which a library that does not see signalling
// cannot know. When it closes, the candidate is locked.
type latch struct {
	sdp       netip.AddrPort // advertised address, normalised; may be invalid
	window    time.Duration
	locked    bool
	source    netip.AddrPort // the candidate, then the locked source; invalid if none yet
	rank      int
	windowEnd time.Time // zero until the first packet
}

const noRank = 4

func newLatch(sdp netip.AddrPort, window time.Duration) latch {
	return latch{sdp: sdp, window: window, rank: noRank}
}

func (l *latch) rankOf(src netip.AddrPort) int {
	if !l.sdp.IsValid() {
		return 3
	}
	r := 0
	if src.Port() != l.sdp.Port() {
		r |= 1
	}
	if src.Addr() != l.sdp.Addr() {
		r |= 2
	}
	return r
}

// accept decides on a packet from src arriving at now. It returns whether
// to take the packet and whether the learnt source changed (the relay
// then re-points the symmetric destination).
func (l *latch) accept(src netip.AddrPort, now time.Time) (ok, changed bool) {
	if l.locked {
		return src == l.source, false
	}
	r := l.rankOf(src)
	if l.windowEnd.IsZero() {
		l.windowEnd = now.Add(l.window)
	}
	if r == 0 { // the SDP address itself: lock at once
		changed = src != l.source
		l.source, l.rank, l.locked = src, r, true
		return true, changed
	}
	if !now.Before(l.windowEnd) { // the window is over: keep the candidate
		l.locked = true
		if !l.source.IsValid() { // cannot happen (the window opens on a packet), but never lock on nothing
			l.source, l.rank, changed = src, r, true
		}
		return src == l.source, changed
	}
	if r < l.rank {
		changed = src != l.source
		l.source, l.rank = src, r
	}
	return src == l.source, changed
}
