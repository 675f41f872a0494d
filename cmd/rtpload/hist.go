package main

import (
	"math"
	"time"
)

// histBuckets of 1 µs cover 0-100 ms exactly; above that only the count and
// the maximum are kept (a relay adding > 100 ms has failed the test anyway).
const histBuckets = 100_000

// hist is a fixed 1 µs latency histogram; one goroutine writes it.
type hist struct {
	b    [histBuckets]uint32
	n    uint64
	over uint64
	sum  int64 // ns
	max  int64 // ns
}

func (h *hist) add(ns int64) {
	if ns < 0 {
		ns = 0 // clocks are monotonic; guard against stamp corruption only
	}
	h.n++
	h.sum += ns
	if ns > h.max {
		h.max = ns
	}
	us := ns / 1000
	if us >= histBuckets {
		h.over++
		return
	}
	h.b[us]++
}

func (h *hist) merge(o *hist) {
	for i, c := range o.b {
		h.b[i] += c
	}
	h.n += o.n
	h.over += o.over
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the upper edge of the bucket holding the q-quantile
// (so it errs high by under 1 µs); the max when it lies above 100 ms.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var cum uint64
	for i, c := range h.b {
		cum += uint64(c)
		if cum >= rank {
			return time.Duration(i+1) * time.Microsecond
		}
	}
	return time.Duration(h.max)
}

func (h *hist) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / int64(h.n))
}
