package switching

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// TestUDPShardsKeepEachSenderInOrder: datagrams from one sender all go to
// one shard, in the order sent, whatever socket took them; several
// senders use several shards; closing the sockets ends every shard.
func TestUDPShardsKeepEachSenderInOrder(t *testing.T) {
	pcs, err := listenUDP(context.Background(), "127.0.0.1:0", 2, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	u := newUDPShards(pcs, 4, nil)
	go u.run()
	type got struct{ shard, seq int }
	var mu sync.Mutex
	seen := map[string][]got{}
	var wg sync.WaitGroup
	for i, sh := range u.shards {
		wg.Go(func() {
			buf := make([]byte, 1<<16)
			for {
				n, from, err := sh.ReadFrom(buf)
				if err != nil {
					return
				}
				var seq int
				fmt.Sscan(string(buf[:n]), &seq)
				mu.Lock()
				seen[from.String()] = append(seen[from.String()], got{i, seq})
				mu.Unlock()
			}
		})
	}
	const senders, each = 12, 300
	addr := pcs[0].LocalAddr().(*net.UDPAddr)
	for range senders {
		cl, err := net.DialUDP("udp", nil, addr)
		if err != nil {
			t.Fatal(err)
		}
		for i := range each {
			if _, err := cl.Write([]byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		cl.Close()
	}
	// All sent datagrams are queued or read; wait until every one is in.
	deadline := time.Now().Add(5 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("not every datagram reached a shard within 5 s")
		}
		time.Sleep(time.Millisecond)
		mu.Lock()
		total := 0
		for _, g := range seen {
			total += len(g)
		}
		mu.Unlock()
		if total == senders*each {
			break
		}
	}
	for _, c := range pcs {
		c.Close()
	}
	wg.Wait() // every shard's ReadFrom returned net.ErrClosed
	used := map[int]bool{}
	for from, g := range seen {
		for i, x := range g {
			if x.seq != i || x.shard != g[0].shard {
				t.Fatalf("%s: datagram %d was seq %d on shard %d (first on %d)", from, i, x.seq, x.shard, g[0].shard)
			}
		}
		used[g[0].shard] = true
	}
	if len(seen) != senders || len(used) < 2 {
		t.Errorf("%d senders over %d shards, want %d senders over several", len(seen), len(used), senders)
	}
}
