package compliance

import (
	"slices"
	"sync"
	"sync/atomic"
)

// DefaultDeltaMax is how many pending adds and removes a DNC keeps beside
// its sorted base before merging them in. A merge rewrites the base (10M
// numbers: about 80 MB and tens of milliseconds), while every update
// copies the delta (64K entries: 512 KB), so the delta stays small
// relative to the base and merges are rare.
const DefaultDeltaMax = 1 << 16

// Batch is one update of the DNC list, what the API layer records as one
// event. Add is applied before Remove, so a number in both ends removed.
type Batch struct {
	Add    []uint64 `json:"add,omitempty"`
	Remove []uint64 `json:"remove,omitempty"`
	// Reasons, when set, parallels Add (the CSV's second column). The DNC
	// does not keep them: 10M strings would cost more than the numbers.
	// They belong in the event that records the batch.
	Reasons []string `json:"reasons,omitempty"`
}

// DNC is the versioned do-not-call list (谢绝来电). Lookups read an
// immutable snapshot through an atomic pointer: no lock, no allocation, and
// a lookup sees one whole version, never half of an update. Writers are
// serialized and publish a new snapshot; the base slice is shared between
// snapshots until a merge replaces it.
type DNC struct {
	mu       sync.Mutex // serializes writers; readers never take it
	cur      atomic.Pointer[dncState]
	deltaMax int
}

// dncState is one version. The set is (base − dels) ∪ adds, with adds
// disjoint from base and dels a subset of base; all three sorted, unique
// and never modified once published.
type dncState struct {
	version uint64
	base    []uint64
	adds    []uint64
	dels    []uint64
}

// NewDNC returns an empty list at version 0.
func NewDNC() *DNC { return LoadDNC(0, nil) }

// LoadDNC returns a list holding keys at the given version, as restored
// from a snapshot. It sorts keys in place and keeps the slice (no copy of
// 80 MB): the caller must not use it afterwards.
func LoadDNC(version uint64, keys []uint64) *DNC {
	slices.Sort(keys)
	keys = slices.Compact(keys)
	d := &DNC{deltaMax: DefaultDeltaMax}
	d.cur.Store(&dncState{version: version, base: keys})
	return d
}

// SetDeltaMax changes the merge threshold (tests use a small one to
// exercise merges). n < 1 means DefaultDeltaMax.
func (d *DNC) SetDeltaMax(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if n < 1 {
		n = DefaultDeltaMax
	}
	d.deltaMax = n
}

// Version returns the current version: 0 for a new list, +1 per Apply.
func (d *DNC) Version() uint64 { return d.cur.Load().version }

// Len returns how many numbers the list holds.
func (d *DNC) Len() int {
	s := d.cur.Load()
	return len(s.base) - len(s.dels) + len(s.adds)
}

// Contains reports whether key k is on the list.
func (d *DNC) Contains(k uint64) bool { return d.cur.Load().contains(k) }

// Lookup reports whether k is on the list and the version that answered,
// for the decision record.
func (d *DNC) Lookup(k uint64) (listed bool, version uint64) {
	s := d.cur.Load()
	return s.contains(k), s.version
}

func (s *dncState) contains(k uint64) bool {
	if _, ok := slices.BinarySearch(s.adds, k); ok {
		return true
	}
	if _, ok := slices.BinarySearch(s.base, k); !ok {
		return false
	}
	_, deleted := slices.BinarySearch(s.dels, k)
	return !deleted
}

// Apply publishes b as the next version and returns it. Versions are
// monotonic: every Apply, even of an empty batch, adds one, so each
// recorded event has its own version. b is not modified.
func (d *DNC) Apply(b Batch) uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.cur.Load()
	add := sortedUnique(b.Add)
	rem := sortedUnique(b.Remove)
	addBase, addNew := partition(add, old.base)
	remBase, remNew := partition(rem, old.base)
	next := &dncState{
		version: old.version + 1,
		base:    old.base,
		adds:    difference(union(old.adds, addNew), remNew),
		dels:    union(difference(old.dels, addBase), remBase),
	}
	if len(next.adds)+len(next.dels) > d.deltaMax {
		next.base = difference(union(old.base, next.adds), next.dels)
		next.adds, next.dels = nil, nil
	}
	d.cur.Store(next)
	return next.version
}

func sortedUnique(in []uint64) []uint64 {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// partition splits sorted a into the keys found in sorted base and the rest.
func partition(a, base []uint64) (in, out []uint64) {
	for _, k := range a {
		if _, ok := slices.BinarySearch(base, k); ok {
			in = append(in, k)
		} else {
			out = append(out, k)
		}
	}
	return in, out
}

// union merges two sorted unique slices into a new one.
func union(a, b []uint64) []uint64 {
	if len(b) == 0 {
		return a // shared: published slices are never modified
	}
	out := make([]uint64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// difference returns sorted a without the keys of sorted b.
func difference(a, b []uint64) []uint64 {
	if len(b) == 0 || len(a) == 0 {
		return a
	}
	out := make([]uint64, 0, len(a))
	j := 0
	for _, k := range a {
		for j < len(b) && b[j] < k {
			j++
		}
		if j < len(b) && b[j] == k {
			continue
		}
		out = append(out, k)
	}
	return out
}
