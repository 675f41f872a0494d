// Package journal is the embedded, durable eventstore.Store: a directory of
// append-only segment files written by one group-committing goroutine.
// docs/journal.md describes the file format and the durability contract.
package journal

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"softswitch/eventstore"
)

var _ eventstore.Store = (*Journal)(nil)

// Journal implements eventstore.Store on local disk.
type Journal struct {
	dir    string
	opts   Options
	logger *slog.Logger
	lock   *os.File

	reqs       chan *appendReq // unbuffered: a blocked sender is a queued Append
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
	bufs       sync.Pool // *encodeBuf, reused across Appends
	// readBufs holds *bufio.Reader of readBufBytes for Read: a consumer
	// tailing the journal reads a few records at a time, and a fresh
	// 256 KiB buffer per Read was a tenth of the switch's CPU under load.
	readBufs sync.Pool
	sidecars sync.WaitGroup // sidecar writes of sealed segments in flight

	head   atomic.Uint64 // last durable position
	recent *recent       // the newest durable envelopes, for readers that keep up

	mu     sync.RWMutex
	segs   []*segment
	notify chan struct{} // closed and replaced whenever head moves
	closed bool

	w     writer // owned by the writer goroutine
	stats stats
}

// Open recovers the journal in dir (creating it if needed) and takes the
// directory lock. ctx bounds recovery only.
func Open(ctx context.Context, dir string, opts Options, logger *slog.Logger) (*Journal, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: create dir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	j, err := open(ctx, dir, opts, logger, lock)
	if err != nil {
		unlockDir(lock)
		return nil, err
	}
	go j.run()
	return j, nil
}

func open(ctx context.Context, dir string, opts Options, logger *slog.Logger, lock *os.File) (*Journal, error) {
	segs, chain, err := recoverSegments(ctx, dir, opts.NoSync, logger)
	if err != nil {
		return nil, err
	}
	j := &Journal{
		dir:        dir,
		opts:       opts,
		logger:     logger,
		lock:       lock,
		reqs:       make(chan *appendReq),
		closing:    make(chan struct{}),
		writerDone: make(chan struct{}),
		notify:     make(chan struct{}),
		recent:     newRecent(recentEnvelopes),
	}
	var f *os.File
	if len(segs) == 0 {
		var seg *segment
		if f, seg, err = createSegment(dir, 1, opts.NoSync); err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	} else if f, err = os.OpenFile(segs[len(segs)-1].path, os.O_WRONLY|os.O_APPEND, 0); err != nil {
		return nil, fmt.Errorf("journal: open active segment: %w", err)
	}
	j.segs = segs
	active := segs[len(segs)-1]
	j.head.Store(active.last)
	j.w = writer{f: f, seg: active, size: active.size, next: active.last + 1, lastIndexed: active.size,
		chain: chain, sha: sha256.New()}
	if n := len(active.index); n > 0 {
		j.w.lastIndexed = active.index[n-1].off
	}
	logger.Info("journal: opened", "dir", dir, "segments", len(segs), "head", active.last)
	return j, nil
}

// Head returns the last durable position, 0 when empty.
func (j *Journal) Head() uint64 { return j.head.Load() }

// WaitFor blocks until Head() >= pos, ctx ends, or the journal closes.
func (j *Journal) WaitFor(ctx context.Context, pos uint64) error {
	for {
		if j.head.Load() >= pos {
			return nil
		}
		j.mu.RLock()
		ch, closed := j.notify, j.closed
		j.mu.RUnlock()
		if closed {
			return eventstore.ErrClosed
		}
		// head may have moved between the first check and taking ch.
		if j.head.Load() >= pos {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close waits for in-flight Appends to commit, then releases the files and
// the directory lock. Later calls return eventstore.ErrClosed.
func (j *Journal) Close() error {
	err := eventstore.ErrClosed
	j.closeOnce.Do(func() {
		close(j.closing)
		<-j.writerDone
		j.sidecars.Wait()
		j.indexActive()
		j.mu.Lock()
		j.closed = true
		close(j.notify)
		j.mu.Unlock()
		err = nil
		if j.w.f != nil {
			err = j.w.f.Close()
		}
		if uerr := unlockDir(j.lock); err == nil {
			err = uerr
		}
		j.logger.Info("journal: closed", "dir", j.dir, "head", j.head.Load())
	})
	return err
}

// publish makes the writer's progress visible to readers and waiters; it is
// called only after the bytes it covers are durable.
func (j *Journal) publish(size int64, last uint64, index []indexEntry, agg []aggEntry) {
	j.mu.Lock()
	seg := j.w.seg
	seg.size = size
	seg.last = last
	seg.index = append(seg.index, index...)
	seg.agg = seg.agg.add(agg)
	j.head.Store(last)
	close(j.notify)
	j.notify = make(chan struct{})
	j.mu.Unlock()
}
