package switching

import (
	"hash/maphash"
	"sync"
)

// keyLocks serialises commands on one aggregate (read version, append,
// apply) without a lock per key: keys hash onto a fixed set of mutexes.
type keyLocks struct {
	seed maphash.Seed
	mus  [256]sync.Mutex
}

func newKeyLocks() *keyLocks { return &keyLocks{seed: maphash.MakeSeed()} }

func (k *keyLocks) lock(key string) func() {
	mu := &k.mus[maphash.String(k.seed, key)%uint64(len(k.mus))]
	mu.Lock()
	return mu.Unlock
}
