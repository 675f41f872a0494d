package switching

import (
	"hash/maphash"
	"net"
	"net/netip"
	"sync"
	"time"
)

// udpShards splits what the SIP UDP sockets receive over several
// goroutines by the sender's address. sipgo reads a socket on one
// goroutine and frames, checks (the edge) and parses each datagram on it
// before the next: with every phone behind one address (a load generator,
// an SBC in front, a carrier's gateway), SO_REUSEPORT alone leaves that
// sender on one reader. Here one goroutine per socket only reads (and
// takes the kernel's arrival stamp, for Overload), and hands each datagram to the
// shard of its source address, whose reader sipgo serves: one sender's
// datagrams stay in order on one shard, several senders' are processed in
// parallel.
type udpShards struct {
	socks    []net.PacketConn
	shards   []*udpShard
	seed     maphash.Seed
	overload *Overload
	bufs     sync.Pool // *[]byte of shardBufBytes
	done     sync.WaitGroup
}

// shardBufBytes holds nearly every SIP datagram; a larger one gets a
// buffer of its own.
const shardBufBytes = 4096

// udpShardQueue bounds what waits for a shard: past it the socket reader
// blocks and the kernel's buffer takes the backlog, where Overload sees it.
const udpShardQueue = 512

type shardDatagram struct {
	buf  *[]byte
	n    int
	from netip.AddrPort
	at   time.Time // the kernel's arrival stamp; zero if none
}

// udpShard is a net.PacketConn whose ReadFrom takes its share of the
// datagrams; writes go out of the first socket (all share one address).
type udpShard struct {
	net.PacketConn
	s  *udpShards
	in chan shardDatagram
}

func newUDPShards(socks []net.PacketConn, n int, o *Overload) *udpShards {
	u := &udpShards{socks: socks, seed: maphash.MakeSeed(), overload: o}
	u.bufs.New = func() any { b := make([]byte, shardBufBytes); return &b }
	for range max(1, n) {
		u.shards = append(u.shards, &udpShard{PacketConn: socks[0], s: u, in: make(chan shardDatagram, udpShardQueue)})
	}
	return u
}

// run reads every socket until they are closed, then ends the shards.
func (u *udpShards) run() {
	for _, pc := range u.socks {
		u.done.Add(1)
		go u.read(pc)
	}
	u.done.Wait()
	for _, s := range u.shards {
		close(s.in)
	}
}

func (u *udpShards) read(pc net.PacketConn) {
	defer u.done.Done()
	uc, _ := pc.(*net.UDPConn)
	big := make([]byte, 1<<16) // any datagram, so one over the limit is seen whole
	oob := make([]byte, 64)
	for {
		var (
			n    int
			from netip.AddrPort
			at   time.Time
			err  error
		)
		if uc != nil {
			var oobn int
			n, oobn, _, from, err = uc.ReadMsgUDPAddrPort(big, oob)
			if err == nil {
				at = rxTimestamp(oob[:oobn])
			}
		} else {
			var addr net.Addr
			n, addr, err = pc.ReadFrom(big)
			from = addrPort(addr)
		}
		if err != nil {
			return
		}
		d := shardDatagram{n: n, from: from, at: at}
		if n <= shardBufBytes {
			d.buf = u.bufs.Get().(*[]byte)
		} else {
			b := make([]byte, n)
			d.buf = &b
		}
		copy(*d.buf, big[:n])
		u.shards[u.shardOf(from)].in <- d
	}
}

func (u *udpShards) shardOf(a netip.AddrPort) int {
	if len(u.shards) == 1 {
		return 0
	}
	b := a.Addr().As16()
	var h maphash.Hash
	h.SetSeed(u.seed)
	_, _ = h.Write(b[:])
	_, _ = h.Write([]byte{byte(a.Port() >> 8), byte(a.Port())})
	return int(h.Sum64() % uint64(len(u.shards)))
}

// ReadFrom returns the shard's next datagram; net.ErrClosed once the
// sockets are closed.
func (s *udpShard) ReadFrom(p []byte) (int, net.Addr, error) {
	d, ok := <-s.in
	if !ok {
		return 0, nil, net.ErrClosed
	}
	if !d.at.IsZero() {
		// The wait before processing: in the kernel's queue and the
		// shard's, which is what a backlog lengthens (Overload).
		now := time.Now()
		s.s.overload.observe(now.Sub(d.at), now)
	}
	n := copy(p, (*d.buf)[:d.n])
	if cap(*d.buf) == shardBufBytes {
		s.s.bufs.Put(d.buf)
	}
	return n, net.UDPAddrFromAddrPort(d.from), nil
}

// Close is the server's to do on the sockets; sipgo closing a shard's
// connection when its read loop ends must not close the shared socket.
func (s *udpShard) Close() error { return nil }
