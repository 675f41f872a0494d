package journal

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"softswitch/domain"
	"softswitch/eventstore"
)

// readCtxEvery is how many records Read handles between ctx checks.
const readCtxEvery = 256

// Read calls fn for each envelope from position from up to the head at the
// time of the call. It holds no lock while reading or calling fn, so a slow
// consumer never stalls the writer; it only ever reads bytes that a
// completed fsync covers, so it never sees a partial record.
func (j *Journal) Read(ctx context.Context, from uint64, fn func(domain.Envelope) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if from == 0 {
		from = 1
	}
	j.mu.RLock()
	if j.closed {
		j.mu.RUnlock()
		return eventstore.ErrClosed
	}
	head := j.head.Load()
	j.mu.RUnlock()
	if from > head {
		return nil
	}
	if envs, ok := j.recent.span(nil, from, head); ok {
		j.stats.memoryReads.Add(1)
		return readRecent(ctx, envs, fn)
	}
	j.stats.segmentReads.Add(1)
	j.mu.RLock()
	if j.closed {
		j.mu.RUnlock()
		return eventstore.ErrClosed
	}
	i := sort.Search(len(j.segs), func(i int) bool { return j.segs[i].base > from }) - 1
	var snap []segment
	if from <= head && i >= 0 {
		snap = make([]segment, 0, len(j.segs)-i)
		for _, s := range j.segs[i:] {
			snap = append(snap, *s)
		}
	}
	j.mu.RUnlock()

	r := reader{ctx: ctx, from: from, head: head, fn: fn, bufs: &j.readBufs}
	for k := range snap {
		off := segmentHeaderBytes
		if k == 0 {
			off = snap[k].seek(from)
		}
		if done, err := r.segment(&snap[k], off); done || err != nil {
			return err
		}
	}
	return nil
}

// readRecent hands envelopes copied from the recent ring to fn.
func readRecent(ctx context.Context, envs []domain.Envelope, fn func(domain.Envelope) error) error {
	for k := range envs {
		if k%readCtxEvery == readCtxEvery-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(envs[k]); err != nil {
			return err
		}
	}
	return nil
}

type reader struct {
	ctx        context.Context
	from, head uint64
	fn         func(domain.Envelope) error
	buf        []byte
	n          int
	bufs       *sync.Pool // of *bufio.Reader; nil: a fresh one per segment
}

// readBufBytes is the read buffer of a segment reader.
const readBufBytes = 256 << 10

// segment reads one segment from off; done reports that head was reached.
func (r *reader) segment(s *segment, off int64) (done bool, err error) {
	if off >= s.size {
		return false, nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return false, fmt.Errorf("journal: open segment: %w", err)
	}
	defer f.Close()
	sr := io.NewSectionReader(f, off, s.size-off)
	var br *bufio.Reader
	if r.bufs != nil {
		if b, ok := r.bufs.Get().(*bufio.Reader); ok {
			br = b
			br.Reset(sr)
		}
		defer func() {
			br.Reset(nil) // no reference to the file once closed
			r.bufs.Put(br)
		}()
	}
	if br == nil {
		br = bufio.NewReaderSize(sr, readBufBytes)
	}
	for {
		var body []byte
		body, r.buf, err = readFrame(br, r.buf)
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			// Only durable bytes are read, so anything but a clean frame
			// here is damage, not a write in progress.
			return false, fmt.Errorf("%w: %s: %v", eventstore.ErrCorrupt, s.path, err)
		}
		pos := bodyPosition(body)
		if pos < r.from {
			continue
		}
		if pos > r.head {
			return true, nil
		}
		if r.n++; r.n%readCtxEvery == 0 {
			if err := r.ctx.Err(); err != nil {
				return false, err
			}
		}
		env, err := decodeBody(body)
		if err != nil {
			return false, fmt.Errorf("%w: %s position %d: %v", eventstore.ErrCorrupt, s.path, pos, err)
		}
		if err := r.fn(env); err != nil {
			return false, err
		}
		if pos == r.head {
			return true, nil
		}
	}
}
