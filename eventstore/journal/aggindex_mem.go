package journal

// aggChunkEntries is the capacity of one chunk of in-memory entries
// (64 KiB).
const aggChunkEntries = 4096

// aggChunks holds a segment's in-memory aggregate entries, in log order,
// in chunks of fixed capacity. Appending never moves what is there, so the
// writer adds a batch's entries under the journal's lock without copying
// megabytes when a slice would grow, and a reader's copy of the chunk list
// stays valid while it scans.
type aggChunks [][]aggEntry

func (c aggChunks) add(es []aggEntry) aggChunks {
	for len(es) > 0 {
		if n := len(c); n == 0 || len(c[n-1]) == cap(c[n-1]) {
			c = append(c, make([]aggEntry, 0, aggChunkEntries))
		}
		last := &c[len(c)-1]
		k := min(len(es), cap(*last)-len(*last))
		*last = append(*last, es[:k]...)
		es = es[k:]
	}
	return c
}

func (c aggChunks) len() int {
	n := 0
	for _, ch := range c {
		n += len(ch)
	}
	return n
}

// offsets returns, ascending, the offsets of the entries with hash.
func (c aggChunks) offsets(hash uint64) []int64 {
	var offs []int64
	for _, ch := range c {
		for _, e := range ch {
			if e.hash == hash {
				offs = append(offs, e.off)
			}
		}
	}
	return offs
}

// sorted returns a copy of the entries ordered by hash, equal hashes in
// log (offset) order. It is an LSD radix sort, stable by construction: a
// few ms for a 64 MiB segment's entries where a comparison sort took tens,
// on a goroutine that shares the CPU with the writer.
func (c aggChunks) sorted() []aggEntry {
	src := make([]aggEntry, 0, c.len())
	for _, ch := range c {
		src = append(src, ch...)
	}
	if len(src) < 2 {
		return src
	}
	dst := make([]aggEntry, len(src))
	for shift := 0; shift < 64; shift += 8 {
		var count [256]int
		for _, e := range src {
			count[byte(e.hash>>shift)]++
		}
		if count[byte(src[0].hash>>shift)] == len(src) {
			continue // every entry has this digit: the pass would change nothing
		}
		sum := 0
		for d, n := range count {
			count[d] = sum
			sum += n
		}
		for _, e := range src {
			d := byte(e.hash >> shift)
			dst[count[d]] = e
			count[d]++
		}
		src, dst = dst, src
	}
	return src
}
