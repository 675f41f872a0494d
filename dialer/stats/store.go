package stats

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
)

// ErrClosed is returned by calls on a closed Store.
var ErrClosed = errors.New("stats: closed")

// ErrInvalidRow is returned by Put for a row without an id, a campaign or
// a time; the whole batch is refused.
var ErrInvalidRow = errors.New("stats: invalid row")

// Store holds the rows and the consumer's checkpoint. Backends: MemStore
// and chstats (ClickHouse); statstest.Run is the suite both pass.
type Store interface {
	// Put upserts rows by ID and then records checkpoint (the first log
	// position not yet accounted for). Writing an existing ID replaces
	// it, so replay leaves one row per event. A failed Put may have
	// stored some rows but never moves the checkpoint past them.
	Put(ctx context.Context, rows []Row, checkpoint uint64) error
	// Checkpoint is where the consumer resumes; 0 for a new store.
	Checkpoint(ctx context.Context) (uint64, error)
	// List returns a campaign's rows ordered by dial time, then ID.
	List(ctx context.Context, campaign string) ([]Row, error)
	Close() error
}

// Validate reports whether r can be stored.
func Validate(r Row) error {
	switch {
	case r.ID == "":
		return errors.Join(ErrInvalidRow, errors.New("no id"))
	case r.Campaign == "":
		return errors.Join(ErrInvalidRow, errors.New("row "+r.ID+": no campaign"))
	case r.Dialed.IsZero() || r.Ended.IsZero():
		return errors.Join(ErrInvalidRow, errors.New("row "+r.ID+": no time"))
	}
	return nil
}

// MemStore is the in-memory Store, for tests and tools.
type MemStore struct {
	mu     sync.Mutex
	rows   map[string]Row
	cp     uint64
	closed bool
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{rows: map[string]Row{}} }

var _ Store = (*MemStore)(nil)

func (m *MemStore) Put(ctx context.Context, rows []Row, checkpoint uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, r := range rows {
		if err := Validate(r); err != nil {
			return err
		}
	}
	for _, r := range rows {
		m.rows[r.ID] = r
	}
	m.cp = checkpoint
	return nil
}

func (m *MemStore) Checkpoint(context.Context) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	return m.cp, nil
}

func (m *MemStore) List(_ context.Context, campaign string) ([]Row, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	var out []Row
	for _, r := range m.rows {
		if r.Campaign == campaign {
			out = append(out, r)
		}
	}
	SortRows(out)
	return out, nil
}

func (m *MemStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// SortRows orders rows as List returns them.
func SortRows(rows []Row) {
	slices.SortFunc(rows, func(a, b Row) int {
		if c := a.Dialed.Compare(b.Dialed); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
