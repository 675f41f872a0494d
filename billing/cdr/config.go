package cdr

import (
	"fmt"
	"time"

	"softswitch/domain"
)

// Config tunes a Builder. Zero fields take the defaults below.
type Config struct {
	// BatchSize is how many finished CDRs are buffered before a flush.
	BatchSize int
	// FlushInterval bounds how long a finished CDR (or a checkpoint move)
	// waits in memory when traffic is too low to fill a batch. It is
	// driven by FlushLoop, which Run starts.
	FlushInterval time.Duration
	// MaxOpenCalls caps the calls held in memory. When a new call would
	// exceed it, the oldest open call is evicted (logged and counted in
	// Stats.Evicted): it gets no CDR, but the checkpoint stops being held
	// back by it.
	MaxOpenCalls int
	// MaxCallAge evicts an open call once an event arrives more than this
	// long (in event time) after the call started. It exists for calls
	// whose CallEnded was never written (a switch crash), which would
	// otherwise pin the checkpoint forever. Set it well above the switch's
	// maximum call duration; 0 disables it.
	MaxCallAge time.Duration

	// Rate, when set, rates each CDR in place as its call ends, before it
	// is buffered (billing/rating's Rater.Rate): the store receives rated
	// CDRs, and a replay rates again with the decks of the time of replay.
	Rate func(*domain.CDR)

	// external means another component (Partitioned) takes the buffer and
	// writes it: Apply never flushes by itself.
	external bool
}

// Defaults.
const (
	DefaultBatchSize     = 512
	DefaultFlushInterval = 50 * time.Millisecond
	DefaultMaxOpenCalls  = 200_000
)

func (c Config) withDefaults() (Config, error) {
	if c.BatchSize < 0 || c.FlushInterval < 0 || c.MaxOpenCalls < 0 || c.MaxCallAge < 0 {
		return c, fmt.Errorf("cdr: negative value in config %+v", c)
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.MaxOpenCalls == 0 {
		c.MaxOpenCalls = DefaultMaxOpenCalls
	}
	return c, nil
}
