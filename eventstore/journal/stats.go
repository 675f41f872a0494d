package journal

import "sync/atomic"

// Stats are cumulative counters since Open, for metrics and for judging
// how well group commit is batching (Records/Syncs).
type Stats struct {
	Syncs   uint64 // fdatasync calls made for records (segment headers excluded)
	Records uint64 // records made durable
	Bytes   uint64 // record bytes made durable
	// MemoryReads and SegmentReads count Reads served from the ring of
	// recent envelopes and from the segment files: a consumer that keeps
	// up reads from memory.
	MemoryReads  uint64
	SegmentReads uint64
}

type stats struct {
	syncs, records, bytes     atomic.Uint64
	memoryReads, segmentReads atomic.Uint64
}

// Stats returns a snapshot of the journal's counters.
func (j *Journal) Stats() Stats {
	return Stats{Syncs: j.stats.syncs.Load(), Records: j.stats.records.Load(), Bytes: j.stats.bytes.Load(),
		MemoryReads: j.stats.memoryReads.Load(), SegmentReads: j.stats.segmentReads.Load()}
}
