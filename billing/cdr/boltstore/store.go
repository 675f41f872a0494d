// Package boltstore is the embedded cdr.Store: one bbolt file under the
// data directory holding the CDRs, a start-time index and the consumer
// checkpoint, all written in one transaction per batch.
package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"softswitch/billing/cdr"
	"softswitch/domain"
)

// FileName is the store's file inside the data directory.
const FileName = "cdr.db"

// ErrLocked is returned by OpenReadOnly (and Open) when another process —
// normally the running switch — holds the file's lock. Ask that process
// over its HTTP API instead.
var ErrLocked = errors.New("boltstore: CDR store is locked by another process (is the switch running?)")

// ErrNotAStore is returned by OpenReadOnly for a bbolt file that does not
// have the store's buckets.
var ErrNotAStore = errors.New("boltstore: not a CDR store")

// DefaultLockTimeout is how long OpenReadOnly waits for the lock.
const DefaultLockTimeout = 200 * time.Millisecond

// Options tune Open.
type Options struct {
	// NoSync skips fsync on commit. Only for bulk loads into a file you
	// would delete after a power failure (cdr rebuild): bbolt may then be
	// left corrupt, not merely behind. Close syncs before returning.
	NoSync bool
	// LockTimeout bounds the wait for the file lock; 0 waits for
	// DefaultLockTimeout. bbolt's own 0 (wait forever) would hang a CLI.
	LockTimeout time.Duration
}

// Store is the bbolt cdr.Store.
type Store struct {
	db       *bolt.DB
	noSync   bool
	readOnly bool
}

var _ cdr.Store = (*Store)(nil)

// Open opens or creates the store in dir for reading and writing.
func Open(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	db, err := open(filepath.Join(dir, FileName), opts, false)
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketCDRs, bucketByStart, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: create buckets: %w", err)
	}
	return &Store{db: db, noSync: opts.NoSync}, nil
}

// OpenReadOnly opens an existing store for reading, failing with ErrLocked
// after a short wait when a writer (the switch) holds it, and with an error
// wrapping os.ErrNotExist when there is no store in dir.
func OpenReadOnly(dir string, lockTimeout time.Duration) (*Store, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("boltstore: %w", err)
	}
	db, err := open(path, Options{LockTimeout: lockTimeout}, true)
	if err != nil {
		return nil, err
	}
	// Open creates the buckets in its first transaction; a file without
	// them was never a finished store, and reading it would hit nil buckets.
	err = db.View(func(tx *bolt.Tx) error {
		for _, b := range []string{bucketCDRs, bucketByStart, bucketMeta} {
			if tx.Bucket([]byte(b)) == nil {
				return fmt.Errorf("boltstore: %s has no %q bucket: %w", path, b, ErrNotAStore)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db, readOnly: true}, nil
}

func open(path string, opts Options, readOnly bool) (*bolt.DB, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	db, err := bolt.Open(path, 0o640, &bolt.Options{
		Timeout:  timeout,
		ReadOnly: readOnly,
		NoSync:   opts.NoSync,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return db, nil
}

// Put implements cdr.Store. Records and checkpoint share one bbolt
// transaction, so a crash leaves either both or neither.
func (s *Store) Put(ctx context.Context, cdrs []domain.CDR, checkpoint uint64) error {
	if s.readOnly {
		return cdr.ErrReadOnly
	}
	for _, r := range cdrs {
		if err := cdr.Validate(r); err != nil {
			return err
		}
	}
	// Encode outside the write lock; bbolt has a single writer.
	values := make([][]byte, len(cdrs))
	for i, r := range cdrs {
		v, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("boltstore: encode %s: %w", r.ID, err)
		}
		values[i] = v
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		recs, idx := tx.Bucket([]byte(bucketCDRs)), tx.Bucket([]byte(bucketByStart))
		for i, r := range cdrs {
			if err := upsert(recs, idx, r, values[i]); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte(bucketMeta)).Put([]byte(keyCheckpoint), encodeUint64(checkpoint)); err != nil {
			return err
		}
		// Last chance to give up: nothing is written until commit.
		return ctx.Err()
	})
	return mapErr(err)
}

// upsert writes one record, moving its index entry if the stored version
// started at another time (it cannot for a deterministic CDR, but a store
// must not keep a ghost entry if it ever does).
func upsert(recs, idx *bolt.Bucket, r domain.CDR, value []byte) error {
	id := []byte(r.ID)
	if old := recs.Get(id); old != nil {
		if bytes.Equal(old, value) {
			return nil // replay or redelivery: nothing changes
		}
		var prev struct {
			CallID string           `json:"call_id"`
			Start  domain.Timestamp `json:"start"`
		}
		if err := json.Unmarshal(old, &prev); err != nil {
			return fmt.Errorf("boltstore: decode stored %s: %w", r.ID, err)
		}
		if err := idx.Delete(indexKey(prev.Start.Time(), prev.CallID, r.ID)); err != nil {
			return err
		}
	}
	if err := recs.Put(id, value); err != nil {
		return err
	}
	return idx.Put(indexKey(r.Start.Time(), r.CallID, r.ID), id)
}

// Checkpoint implements cdr.Store.
func (s *Store) Checkpoint(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var cp uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(bucketMeta)).Get([]byte(keyCheckpoint)); len(v) == 8 {
			cp = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return cp, mapErr(err)
}

// Get implements cdr.Store.
func (s *Store) Get(ctx context.Context, id string) (domain.CDR, error) {
	if err := ctx.Err(); err != nil {
		return domain.CDR{}, err
	}
	var r domain.CDR
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bucketCDRs)).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("%w: %s", cdr.ErrNotFound, id)
		}
		return json.Unmarshal(v, &r)
	})
	return r, mapErr(err)
}

// List implements cdr.Store by walking the start-time index from Since.
func (s *Store) List(ctx context.Context, f cdr.Filter) ([]domain.CDR, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []domain.CDR
	err := s.db.View(func(tx *bolt.Tx) error {
		recs := tx.Bucket([]byte(bucketCDRs))
		c := tx.Bucket([]byte(bucketByStart)).Cursor()
		var k, id []byte
		if f.Since.IsZero() {
			k, id = c.First()
		} else {
			k, id = c.Seek(timeKey(f.Since))
		}
		var until []byte
		if !f.Until.IsZero() {
			until = timeKey(f.Until)
		}
		for n := 0; k != nil; k, id = c.Next() {
			if until != nil && bytes.Compare(k[:timeKeyLen], until) >= 0 {
				break
			}
			// A long scan of a big store should still notice cancellation.
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v := recs.Get(id)
			if v == nil {
				return fmt.Errorf("boltstore: index points at missing record %s", id)
			}
			var r domain.CDR
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("boltstore: decode %s: %w", id, err)
			}
			if !f.Match(r) {
				continue
			}
			out = append(out, r)
			if f.Limit > 0 && len(out) >= f.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

// Close implements cdr.Store. With NoSync it syncs first, so a completed
// rebuild is durable once Close returns.
func (s *Store) Close() error {
	if s.noSync && !s.readOnly {
		if err := s.db.Sync(); err != nil && !errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
			_ = s.db.Close()
			return fmt.Errorf("boltstore: sync: %w", err)
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}

// mapErr turns bbolt's closed-database error into the package sentinel.
func mapErr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return cdr.ErrClosed
	}
	return err
}
