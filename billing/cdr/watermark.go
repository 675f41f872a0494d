package cdr

import (
	"container/heap"
	"time"

	"softswitch/domain"
)

// openCall is a call being folded, with where it began in the log.
type openCall struct {
	key   string
	call  *domain.Call
	first uint64    // Position of the call's first event
	start time.Time // event time of the first event, for MaxCallAge
	index int       // place in openHeap, maintained by the heap
}

// openHeap orders open calls by the position of their first event. Its top
// is the low watermark: every event before it belongs to a call whose CDR
// is already out of memory. Calls leave from anywhere (they end in any
// order), so entries track their index for heap.Remove; a lazily-cleaned
// heap would grow without bound behind one long call.
type openHeap []*openCall

func (h openHeap) Len() int           { return len(h) }
func (h openHeap) Less(i, j int) bool { return h[i].first < h[j].first }
func (h openHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *openHeap) Push(x any) {
	c := x.(*openCall)
	c.index = len(*h)
	*h = append(*h, c)
}
func (h *openHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.index = -1
	return c
}

// openCalls is the set of calls being folded, by aggregate key and by
// first position.
type openCalls struct {
	byKey   map[string]*openCall
	byFirst openHeap
}

func newOpenCalls() openCalls {
	return openCalls{byKey: make(map[string]*openCall)}
}

func (o *openCalls) len() int { return len(o.byFirst) }

func (o *openCalls) get(key string) *openCall { return o.byKey[key] }

func (o *openCalls) add(c *openCall) {
	o.byKey[c.key] = c
	heap.Push(&o.byFirst, c)
}

func (o *openCalls) remove(c *openCall) {
	delete(o.byKey, c.key)
	heap.Remove(&o.byFirst, c.index)
}

// oldest returns the open call that began first in the log, or nil.
func (o *openCalls) oldest() *openCall {
	if len(o.byFirst) == 0 {
		return nil
	}
	return o.byFirst[0]
}
