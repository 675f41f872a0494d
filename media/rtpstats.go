package media

// Receive statistics of one RTP stream, after RFC 3550 Appendix A.1
// (sequence validation), A.3 (expected and lost) and A.8 (interarrival
// jitter). The relay never discards a packet for its sequence number: the
// state here only counts.

const (
	maxDropout  = 3000 // A.1: a forward jump below this is a gap, not a restart
	maxMisorder = 100  // A.1: a backward step below this is reordering
	dupWindow   = 512  // sequence numbers remembered to tell duplicates from late packets
	noBadSeq    = 1 << 17
)

type seqState struct {
	started  bool
	ssrc     uint32
	maxSeq   uint16
	cycles   uint32 // count of sequence wraps, shifted left 16 (A.1)
	base     uint32 // extended sequence number of the first packet
	badSeq   uint32 // A.1: the seq that would confirm a restart after a big jump
	received uint64 // unique packets of this run

	lostBefore     int64 // lost packets of earlier runs (SSRC change or restart)
	expectedBefore int64 // expected packets of earlier runs

	seen [dupWindow / 64]uint64 // bit (ext % dupWindow): extended seq received

	// A.8 jitter, in timestamp units, for the payload type jpt.
	jpt         uint8
	jclock      uint32
	transit     int32
	haveTransit bool
	jitter      float64
}

func (s *seqState) extMax() uint32 { return s.cycles | uint32(s.maxSeq) }

func (s *seqState) mark(ext uint32) { s.seen[(ext%dupWindow)/64] |= 1 << (ext % 64) }

func (s *seqState) marked(ext uint32) bool { return s.seen[(ext%dupWindow)/64]&(1<<(ext%64)) != 0 }

func (s *seqState) clear(ext uint32) { s.seen[(ext%dupWindow)/64] &^= 1 << (ext % 64) }

// runLost is expected minus received for the current run (A.3), never
// negative: a duplicate older than the window is counted as received.
func (s *seqState) runLost() int64 {
	if !s.started {
		return 0
	}
	if lost := s.runExpected() - int64(s.received); lost > 0 {
		return lost
	}
	return 0
}

func (s *seqState) runExpected() int64 {
	if !s.started {
		return 0
	}
	return int64(s.extMax()) - int64(s.base) + 1
}

func (s *seqState) expectedTotal() int64 { return s.expectedBefore + s.runExpected() }

func (s *seqState) lost() int64 { return s.lostBefore + s.runLost() }

// start begins a new run at seq: a new SSRC (a new source, RFC 3550
// §8.2) or a restart detected by A.1.
func (s *seqState) start(ssrc uint32, seq uint16) {
	s.lostBefore += s.runLost()
	s.expectedBefore += s.runExpected()
	s.started = true
	s.ssrc = ssrc
	s.maxSeq = seq
	s.cycles = 0
	s.base = uint32(seq)
	s.badSeq = noBadSeq
	s.received = 1
	s.seen = [dupWindow / 64]uint64{}
	s.mark(uint32(seq))
	s.haveTransit = false
}

// update accounts one packet and says whether it was a duplicate or
// arrived out of order.
func (s *seqState) update(ssrc uint32, seq uint16) (dup, late bool) {
	if !s.started || ssrc != s.ssrc {
		s.start(ssrc, seq)
		return false, false
	}
	udelta := seq - s.maxSeq
	switch {
	case udelta == 0:
		return true, false
	case udelta < maxDropout: // in order, maybe after a gap
		old := s.extMax()
		if seq < s.maxSeq {
			s.cycles += 1 << 16
		}
		s.maxSeq = seq
		ext := s.extMax()
		for e, n := old+1, 0; e != ext && n < dupWindow; e, n = e+1, n+1 {
			s.clear(e)
		}
		s.mark(ext)
		s.badSeq = noBadSeq
		s.received++
		return false, false
	case udelta <= 1<<16-maxMisorder: // a big jump
		if uint32(seq) == s.badSeq { // two in a row: the sender restarted (A.1)
			s.start(ssrc, seq)
			return false, false
		}
		s.badSeq = uint32(seq+1) & 0xffff
		return false, true
	default: // behind the highest: reordered or duplicated
		back := uint32(1<<16) - uint32(udelta)
		max := s.extMax()
		if back > max-s.base+uint32(dupWindow) || back > max {
			return false, true // older than the run; count it nowhere
		}
		ext := max - back
		if back < dupWindow {
			if s.marked(ext) {
				return true, false
			}
			s.mark(ext)
		}
		if ext < s.base {
			s.base = ext // the first packet we saw was itself late
		}
		s.received++
		return false, true
	}
}

// updateJitter applies A.8 for a packet arriving at arrivalNs (any fixed
// origin) with RTP timestamp ts on a clock of clock Hz. The estimate
// restarts when the payload type changes, since timestamps of different
// formats need not be continuous.
func (s *seqState) updateJitter(arrivalNs int64, ts uint32, clock uint32, pt uint8) {
	if clock == 0 {
		return
	}
	if pt != s.jpt || clock != s.jclock {
		s.jpt, s.jclock, s.haveTransit = pt, clock, false
	}
	arrival := uint32(uint64(arrivalNs) * uint64(clock) / 1e9)
	transit := int32(arrival - ts)
	if s.haveTransit {
		d := transit - s.transit
		if d < 0 {
			d = -d
		}
		s.jitter += (float64(d) - s.jitter) / 16
	}
	s.transit, s.haveTransit = transit, true
}

// jitterMs is the jitter estimate in milliseconds.
func (s *seqState) jitterMs() float64 {
	if s.jclock == 0 {
		return 0
	}
	return s.jitter * 1000 / float64(s.jclock)
}
