package cdr

// Stats counts what a Builder has seen, for metrics and tests. Counters only
// grow, except OpenCalls and Buffered which are gauges.
type Stats struct {
	// Events is every envelope applied or skipped (not malformed ones).
	Events uint64
	// Applied is the call events folded into a call.
	Applied uint64
	// Duplicates is call events with Seq <= the call's version: redelivery.
	Duplicates uint64
	// Gaps is call events with Seq > version+1: an event is missing, so
	// the call cannot be folded further and will be evicted eventually.
	Gaps uint64
	// Orphans is events of calls not held in memory whose Seq is not 1:
	// events after CallEnded (late SIP transactions), after an eviction,
	// or before the resume point. They cannot start a call.
	Orphans uint64
	// Unknown is call events of a type this build does not know; they
	// advance the call's version so later events still fold.
	Unknown uint64
	// Malformed is messages or payloads that could not be decoded; they
	// are skipped because retrying cannot fix them.
	Malformed uint64
	// Evicted is open calls dropped by MaxOpenCalls or MaxCallAge.
	Evicted uint64
	// CDRs is records produced; Stored is records written by a flush.
	CDRs   uint64
	Stored uint64
	// Flushes and FlushErrors count store writes and their failures.
	Flushes     uint64
	FlushErrors uint64
	// OpenCalls and Buffered are the current open calls and unflushed CDRs.
	OpenCalls int
	Buffered  int
	// Checkpoint is the last checkpoint written to the store; Watermark is
	// the one the next flush would write.
	Checkpoint uint64
	Watermark  uint64
}

// add sums o into s: counters and gauges add up; Checkpoint and Watermark,
// which are positions in different partitions, keep the smallest non-zero.
func (s *Stats) add(o Stats) {
	s.Events += o.Events
	s.Applied += o.Applied
	s.Duplicates += o.Duplicates
	s.Gaps += o.Gaps
	s.Orphans += o.Orphans
	s.Unknown += o.Unknown
	s.Malformed += o.Malformed
	s.Evicted += o.Evicted
	s.CDRs += o.CDRs
	s.Stored += o.Stored
	s.Flushes += o.Flushes
	s.FlushErrors += o.FlushErrors
	s.OpenCalls += o.OpenCalls
	s.Buffered += o.Buffered
	s.Checkpoint = minNonZero(s.Checkpoint, o.Checkpoint)
	s.Watermark = minNonZero(s.Watermark, o.Watermark)
}

func minNonZero(a, b uint64) uint64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}
