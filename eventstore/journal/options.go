package journal

import (
	"fmt"
	"time"
)

// Defaults applied by Options.setDefaults.
const (
	DefaultSegmentBytes  = 64 << 20
	DefaultMaxBatchBytes = 4 << 20
	// minSegmentBytes keeps tests able to force many small segments while
	// refusing sizes that could not even hold a header.
	minSegmentBytes = 4 << 10
)

// Options tunes a Journal. The zero value is valid and durable.
type Options struct {
	// SegmentBytes is the size, in bytes, after which the writer rolls to a
	// new segment file. A single record larger than this still goes into a
	// segment of its own. Default 64 MiB.
	SegmentBytes int64
	// MaxDelay is how long, as a duration, the writer waits after the first
	// queued Append for more to join its batch before writing. Zero (the
	// default) writes as soon as the writer is free and batches whatever
	// queued while the previous fsync ran, which already amortises fsync
	// under load without adding latency when idle.
	MaxDelay time.Duration
	// MaxBatchBytes caps, in encoded bytes, how much one group commit takes
	// from the queue, bounding the latency of the callers in that batch. One
	// Append larger than this is still committed, alone. Default 4 MiB.
	MaxBatchBytes int
	// NoSync skips fdatasync. Appends then survive a process crash (the data
	// is in the page cache) but not power loss. For tests only.
	NoSync bool
}

func (o *Options) setDefaults() {
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
}

// Validate reports options that cannot work, wrapping ErrInvalidOptions.
func (o Options) Validate() error {
	switch {
	case o.SegmentBytes < minSegmentBytes:
		return fmt.Errorf("%w: SegmentBytes %d < %d", ErrInvalidOptions, o.SegmentBytes, minSegmentBytes)
	case o.MaxDelay < 0:
		return fmt.Errorf("%w: negative MaxDelay %v", ErrInvalidOptions, o.MaxDelay)
	case o.MaxBatchBytes <= 0:
		return fmt.Errorf("%w: MaxBatchBytes %d <= 0", ErrInvalidOptions, o.MaxBatchBytes)
	}
	return nil
}
