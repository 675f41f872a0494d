package journal

import (
	"context"
	"fmt"
	"hash"
	"os"
	"time"

	"softswitch/domain"
	"softswitch/eventstore"
)

// encodeBuf is an Append's reusable encoding space.
type encodeBuf struct {
	frames []byte
	hashes []uint64
}

// appendReq is one Append call waiting for its group commit.
type appendReq struct {
	frames []byte            // encoded by the caller; stamped by the writer
	hashes []uint64          // aggHash of each frame's aggregate, computed by the caller
	envs   []domain.Envelope // the caller's, one per frame, for the recent ring
	done   chan appendResult
	first  uint64
}

type appendResult struct {
	first uint64
	err   error
}

// writer is the state only the writer goroutine touches.
type writer struct {
	f           *os.File
	seg         *segment
	size        int64  // bytes in f, all durable between commits
	next        uint64 // position the next record gets
	chain       Chain  // chain of position next-1: the next record's prev
	sha         hash.Hash
	lastIndexed int64
	buf         []byte
	pendingIdx  []indexEntry
	pendingAgg  []aggEntry
	pendingEnvs []domain.Envelope // the envelopes of buf's frames, for recent
	batch       []*appendReq
	failed      error
}

// Append encodes envs on the caller's goroutine (so encoding runs in
// parallel), hands them to the writer and waits for the fsync that covers
// them. Once queued the wait ignores ctx: returning early would leave the
// caller unsure whether its events were written.
func (j *Journal) Append(ctx context.Context, envs []domain.Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(envs) == 0 {
		return nil
	}
	eb, _ := j.bufs.Get().(*encodeBuf)
	if eb == nil {
		eb = new(encodeBuf)
	}
	defer j.bufs.Put(eb)
	frames, hashes := eb.frames[:0], eb.hashes[:0]
	for i := range envs {
		var err error
		if frames, err = appendFrame(frames, &envs[i]); err != nil {
			return err
		}
		// Hashing here, in parallel, keeps the aggregate index off the
		// writer goroutine but for one append per record.
		hashes = append(hashes, aggHash(envs[i].Aggregate))
	}
	eb.frames, eb.hashes = frames, hashes
	r := &appendReq{frames: frames, hashes: hashes, envs: envs, done: make(chan appendResult, 1)}
	select {
	case j.reqs <- r:
	case <-j.closing:
		return eventstore.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	res := <-r.done
	if res.err != nil {
		return res.err
	}
	for i := range envs {
		envs[i].Position = res.first + uint64(i)
	}
	return nil
}

func (j *Journal) run() {
	defer close(j.writerDone)
	for {
		select {
		case r := <-j.reqs:
			j.commit(j.collect(r))
		case <-j.closing:
			return
		}
	}
}

// collect grows a batch from the Appends already queued (or, with
// MaxDelay, arriving soon) up to MaxBatchBytes.
func (j *Journal) collect(first *appendReq) []*appendReq {
	batch := append(j.w.batch[:0], first)
	size := len(first.frames)
	var timeout <-chan time.Time
	if j.opts.MaxDelay > 0 {
		t := time.NewTimer(j.opts.MaxDelay)
		defer t.Stop()
		timeout = t.C
	}
	for size < j.opts.MaxBatchBytes {
		var r *appendReq
		if timeout == nil {
			select {
			case r = <-j.reqs:
			default:
				return batch
			}
		} else {
			select {
			case r = <-j.reqs:
			case <-timeout:
				return batch
			case <-j.closing:
				return batch
			}
		}
		batch = append(batch, r)
		size += len(r.frames)
	}
	return batch
}

// commit writes a batch with one write and one fdatasync per segment it
// touches, then releases every caller in it.
func (j *Journal) commit(batch []*appendReq) {
	w := &j.w
	err := w.failed
	for _, r := range batch {
		if err != nil {
			break
		}
		r.first = w.next
		for k, frames := 0, r.frames; len(frames) > 0; k++ {
			n := frameLen(frames)
			frame := frames[:n]
			frames = frames[n:]
			off := w.size + int64(len(w.buf))
			if off > segmentHeaderBytes && off+int64(n) > j.opts.SegmentBytes {
				if err = j.flush(); err == nil {
					err = j.roll()
				}
				if err != nil {
					break
				}
				off = w.size
			}
			w.chain = stampFrame(frame, w.next, &w.chain, w.sha)
			if off-w.lastIndexed >= indexEveryBytes {
				w.pendingIdx = append(w.pendingIdx, indexEntry{pos: w.next, off: off})
				w.lastIndexed = off
			}
			w.pendingAgg = append(w.pendingAgg, aggEntry{hash: r.hashes[k], off: off})
			w.buf = append(w.buf, frame...)
			w.pendingEnvs = append(w.pendingEnvs, r.envs[k])
			w.next++
		}
	}
	if err == nil {
		err = j.flush()
	}
	if err != nil && w.failed == nil {
		// After a failed write or fsync the kernel may have dropped dirty
		// pages; carrying on could acknowledge records that are not there.
		w.failed = err
		j.logger.Error("journal: writer failed; appends refused until reopen", "dir", j.dir, "err", err)
	}
	for i, r := range batch {
		if err != nil {
			r.done <- appendResult{err: fmt.Errorf("%w: %v", ErrFailed, err)}
		} else {
			r.done <- appendResult{first: r.first}
		}
		batch[i] = nil
	}
	w.batch = batch[:0]
}

func (j *Journal) flush() error {
	w := &j.w
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.Write(w.buf); err != nil {
		return fmt.Errorf("journal: write %s: %w", w.seg.path, err)
	}
	if err := syncFile(w.f, j.opts.NoSync); err != nil {
		return err
	}
	j.stats.syncs.Add(1)
	j.stats.records.Add(w.next - 1 - w.seg.last)
	j.stats.bytes.Add(uint64(len(w.buf)))
	w.size += int64(len(w.buf))
	// Into the ring before head moves, so a reader woken by publish finds
	// them there.
	j.recent.add(w.next-uint64(len(w.pendingEnvs)), w.pendingEnvs)
	clear(w.pendingEnvs) // no payloads kept alive from here
	w.pendingEnvs = w.pendingEnvs[:0]
	j.publish(w.size, w.next-1, w.pendingIdx, w.pendingAgg)
	w.buf = w.buf[:0]
	w.pendingIdx = w.pendingIdx[:0]
	w.pendingAgg = w.pendingAgg[:0]
	return nil
}

func (j *Journal) roll() error {
	w := &j.w
	err := w.f.Close()
	w.f = nil // Close must not close it twice if the roll fails below
	if err != nil {
		return fmt.Errorf("journal: close segment: %w", err)
	}
	sealed := w.seg
	f, seg, err := createSegment(j.dir, w.next, j.opts.NoSync)
	if err != nil {
		return err
	}
	j.mu.Lock()
	j.segs = append(j.segs, seg)
	j.mu.Unlock()
	j.indexSealed(sealed)
	w.f, w.seg, w.size, w.lastIndexed = f, seg, seg.size, seg.size
	j.logger.Debug("journal: rolled segment", "segment", segmentName(seg.base))
	return nil
}
