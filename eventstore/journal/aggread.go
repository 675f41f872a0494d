package journal

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"softswitch/domain"
	"softswitch/eventstore"
)

// ReadAggregate calls fn, in log order, for every envelope whose Aggregate
// is aggregate, up to the head at the time of the call. Sealed segments
// are looked up in their sidecar index and the active one in the entries
// the writer keeps in memory, so the cost is a few small reads per
// segment plus one read per matching record, not a scan of the log. Like
// Read it holds no lock while reading or calling fn and sees only durable
// records.
func (j *Journal) ReadAggregate(ctx context.Context, aggregate string, fn func(domain.Envelope) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j.mu.RLock()
	if j.closed {
		j.mu.RUnlock()
		return eventstore.ErrClosed
	}
	r := aggReader{ctx: ctx, aggregate: aggregate, hash: aggHash(aggregate), head: j.head.Load()}
	snap := make([]segment, len(j.segs))
	for i, s := range j.segs {
		snap[i] = *s
		// The writer rewrites the last chunk's slice header as it appends.
		snap[i].agg = slices.Clone(s.agg)
	}
	j.mu.RUnlock()

	for i := range snap {
		s := &snap[i]
		if s.last < s.base {
			continue
		}
		var envs []domain.Envelope
		var err error
		if s.indexed {
			envs, err = r.fromSidecar(s.path, s.base, s.size, false)
		} else {
			envs, err = r.fromMemory(s)
		}
		if err != nil {
			return err
		}
		if err := deliver(envs, fn); err != nil {
			return err
		}
	}
	return nil
}

// ReadAggregateDir is ReadAggregate on the journal in dir without opening
// it: it takes no lock and writes nothing, so it serves a stopped node and
// runs beside a live writer alike, seeing the records present when each
// segment is read. A segment whose sidecar is missing or fails its checks
// is scanned instead (rebuilding it is the writer's job, at Open), as are
// the bytes past what a sidecar covers, such as the active segment's
// newest records. An incomplete record at the end of the last segment is
// a write in flight and ends the read.
func ReadAggregateDir(ctx context.Context, dir, aggregate string, fn func(domain.Envelope) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	bases, err := listSegments(dir)
	if err != nil {
		return err
	}
	r := aggReader{ctx: ctx, aggregate: aggregate, hash: aggHash(aggregate), head: math.MaxUint64}
	for i, base := range bases {
		path := filepath.Join(dir, segmentName(base))
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("journal: stat segment: %w", err)
		}
		envs, err := r.fromSidecar(path, base, st.Size(), i == len(bases)-1)
		if err != nil {
			return err
		}
		if err := deliver(envs, fn); err != nil {
			return err
		}
	}
	return nil
}

func deliver(envs []domain.Envelope, fn func(domain.Envelope) error) error {
	for _, env := range envs {
		if err := fn(env); err != nil {
			return err
		}
	}
	return nil
}

// aggReader gathers one aggregate's envelopes segment by segment, whole
// segments at a time, so a sidecar found wanting half way can be replaced
// by a scan without delivering anything twice.
type aggReader struct {
	ctx       context.Context
	aggregate string
	hash      uint64
	head      uint64
	buf       []byte
}

// fromMemory reads the records an open journal's in-memory entries point
// at; they cover the segment's durable bytes exactly.
func (r *aggReader) fromMemory(s *segment) ([]domain.Envelope, error) {
	offs := s.agg.offsets(r.hash)
	if len(offs) == 0 {
		return nil, nil
	}
	envs, err := r.records(s.path, s.base, offs, s.size)
	if errors.Is(err, errSidecar) {
		return nil, fmt.Errorf("%w: %s: %v", eventstore.ErrCorrupt, s.path, err)
	}
	return envs, err
}

// fromSidecar reads a segment of size bytes through its sidecar, scanning
// what the sidecar does not cover, or the whole segment when the sidecar
// is missing or bad. live marks the segment a writer may be appending to.
func (r *aggReader) fromSidecar(path string, base uint64, size int64, live bool) ([]domain.Envelope, error) {
	h, offs, err := lookupSidecar(r.ctx, path, base, r.hash)
	if err == nil && (int64(h.covered) > size || int64(h.covered) < segmentHeaderBytes) {
		err = errSidecar
	}
	if err == nil {
		var envs, tail []domain.Envelope
		envs, err = r.records(path, base, offs, int64(h.covered))
		if err == nil && int64(h.covered) < size {
			tail, err = r.scan(path, int64(h.covered), size, h.last, live)
			envs = append(envs, tail...)
		}
		if err == nil || !errors.Is(err, errSidecar) {
			return envs, err
		}
	}
	if cerr := r.ctx.Err(); cerr != nil {
		return nil, cerr
	}
	return r.scan(path, segmentHeaderBytes, size, base-1, live)
}

// records reads the frames at offs (ascending, all below limit) and keeps
// those of the aggregate: another aggregate there is a hash collision. A
// frame that does not check means the offsets are not this segment's,
// reported as errSidecar.
func (r *aggReader) records(path string, base uint64, offs []int64, limit int64) ([]domain.Envelope, error) {
	if len(offs) == 0 {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: open segment: %w", err)
	}
	defer f.Close()
	var envs []domain.Envelope
	for _, off := range offs {
		if off < segmentHeaderBytes || off+frameHeaderBytes > limit {
			return nil, fmt.Errorf("%w: offset %d outside %s", errSidecar, off, filepath.Base(path))
		}
		var body []byte
		body, r.buf, err = readFrameAt(f, off, limit, r.buf)
		if err != nil {
			return nil, fmt.Errorf("%w: %s offset %d: %v", errSidecar, filepath.Base(path), off, err)
		}
		pos := bodyPosition(body)
		if pos < base {
			return nil, fmt.Errorf("%w: %s offset %d holds position %d", errSidecar, filepath.Base(path), off, pos)
		}
		env, ok, err := r.match(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %s position %d: %v", eventstore.ErrCorrupt, path, pos, err)
		}
		if ok && pos <= r.head {
			envs = append(envs, env)
		}
	}
	return envs, nil
}

// match decodes body when it belongs to the aggregate.
func (r *aggReader) match(body []byte) (domain.Envelope, bool, error) {
	agg, ok := bodyAggregate(body)
	if !ok {
		return domain.Envelope{}, false, errDecode
	}
	if string(agg) != r.aggregate {
		return domain.Envelope{}, false, nil
	}
	env, err := decodeBody(body)
	return env, err == nil, err
}
