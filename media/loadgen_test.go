package media

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// The relay benchmarks run the endpoints (load generator and sink) in a
// child process: the same test binary started with MEDIA_LOADGEN=1, which
// TestMain sends to loadgenMain. The parent then holds only the relay, so
// its own CPU time (getrusage) is the relay's cost per packet.

const loadgenEnv = "MEDIA_LOADGEN"

func TestMain(m *testing.M) {
	if os.Getenv(loadgenEnv) != "" {
		if err := loadgenMain(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// loadPlan is what the parent sends the child.
type loadPlan struct {
	Targets []netip.AddrPort // per stream: the relay port it is sent to (A-local for A→B, B-local for B→A)
	FromB   []bool           // per stream: sent from the B socket (B→A) instead of the A one
	Rate    float64          // packets/s in all; 0: as fast as the window allows
	Packets int64            // total to send
	Window  int64            // at most this many in flight when Rate is 0
	Size    int              // RTP packet size in bytes
}

// loadResult is what the child reports.
type loadResult struct {
	Sent, Received int64
	Elapsed        time.Duration
	P50, P90, P99  time.Duration
	P999, Max      time.Duration
}

const latBuckets = 100_000 // 1 µs buckets up to 100 ms; later is counted as 100 ms

func loadgenMain(in io.Reader, out io.Writer) error {
	var socks [2]*net.UDPConn
	for i := range socks {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		forceBuffers(c)
		socks[i] = c
	}
	enc := json.NewEncoder(out)
	if err := enc.Encode([2]netip.AddrPort{socks[0].LocalAddr().(*net.UDPAddr).AddrPort(), socks[1].LocalAddr().(*net.UDPAddr).AddrPort()}); err != nil {
		return err
	}
	var plan loadPlan
	if err := json.NewDecoder(bufio.NewReader(in)).Decode(&plan); err != nil {
		return err
	}
	if len(plan.Targets) == 0 || plan.Size < 20 {
		return errors.New("empty plan")
	}
	start := time.Now()
	var received atomic.Int64
	hist := make([][]int64, 2)
	var wg sync.WaitGroup
	for i, c := range socks {
		hist[i] = make([]int64, latBuckets+1)
		h := hist[i]
		wg.Go(func() {
			pc := ipv4.NewPacketConn(c)
			msgs := make([]ipv4.Message, 64)
			for i := range msgs {
				msgs[i].Buffers = [][]byte{make([]byte, 2048)}
			}
			for {
				n, err := pc.ReadBatch(msgs, 0)
				if err != nil {
					return
				}
				now := time.Since(start)
				for _, m := range msgs[:n] {
					if m.N < 20 {
						continue
					}
					lat := now - time.Duration(binary.BigEndian.Uint64(m.Buffers[0][12:20]))
					h[min(max(int64(lat/time.Microsecond), 0), latBuckets)]++
				}
				received.Add(int64(n))
			}
		})
	}

	pkts := make([][]byte, len(plan.Targets))
	for i := range pkts {
		p := make([]byte, plan.Size)
		p[0], p[1] = 0x80, 0 // RTP v2, PCMU
		binary.BigEndian.PutUint32(p[8:], uint32(i+1))
		for j := 20; j < len(p); j++ {
			p[j] = 0xff
		}
		pkts[i] = p
	}
	// Sending is batched (sendmmsg) per socket: the generator's CPU is
	// not what is measured, and on two cores it competes with the relay.
	var sent int64
	seqs := make([]uint16, len(pkts))
	pcs := [2]*ipv4.PacketConn{ipv4.NewPacketConn(socks[0]), ipv4.NewPacketConn(socks[1])}
	var batch [2][]ipv4.Message
	dsts := make([]*net.UDPAddr, len(pkts))
	for i, t := range plan.Targets {
		dsts[i] = net.UDPAddrFromAddrPort(t)
	}
	flush := func() {
		now := uint64(time.Since(start))
		for k := range batch {
			for _, m := range batch[k] {
				binary.BigEndian.PutUint64(m.Buffers[0][12:], now)
			}
			for len(batch[k]) > 0 {
				n, err := pcs[k].WriteBatch(batch[k], 0)
				if err != nil {
					n = 1 // count it lost and go on
				}
				sent += int64(len(batch[k][:n]))
				batch[k] = batch[k][n:]
			}
			batch[k] = batch[k][:0]
		}
	}
	queue := func(i int) {
		p := pkts[i]
		seqs[i]++
		binary.BigEndian.PutUint16(p[2:], seqs[i])
		binary.BigEndian.PutUint32(p[4:], uint32(seqs[i])*160)
		k := 0
		if plan.FromB[i] {
			k = 1
		}
		batch[k] = append(batch[k], ipv4.Message{Buffers: [][]byte{p}, Addr: dsts[i]})
	}
	const maxBatch = 32
	next := 0
	for sent < plan.Packets {
		var due int64
		if plan.Rate > 0 {
			due = min(int64(time.Since(start).Seconds()*plan.Rate)+1, plan.Packets)
		} else {
			due = min(received.Load()+plan.Window, plan.Packets)
		}
		if sent >= due {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		for n := int64(0); n < min(due-sent, maxBatch); n++ {
			queue(next)
			next = (next + 1) % len(pkts)
		}
		flush()
	}
	elapsed := time.Since(start)
	// Drain: wait for stragglers, at most 500 ms.
	for deadline := time.Now().Add(500 * time.Millisecond); received.Load() < sent && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range socks {
		c.Close()
	}
	wg.Wait()
	all := make([]int64, latBuckets+1)
	for _, h := range hist {
		for i, n := range h {
			all[i] += n
		}
	}
	r := loadResult{Sent: sent, Received: received.Load(), Elapsed: elapsed}
	r.P50, r.P90, r.P99, r.P999 = quantile(all, 0.5), quantile(all, 0.9), quantile(all, 0.99), quantile(all, 0.999)
	for i := len(all) - 1; i >= 0; i-- {
		if all[i] > 0 {
			r.Max = time.Duration(i) * time.Microsecond
			break
		}
	}
	return enc.Encode(r)
}

func quantile(h []int64, q float64) time.Duration {
	var total int64
	for _, n := range h {
		total += n
	}
	want := int64(float64(total) * q)
	var acc int64
	for i, n := range h {
		acc += n
		if acc > want {
			return time.Duration(i) * time.Microsecond
		}
	}
	return 0
}

// loadgen is the parent's handle on a child.
type loadgen struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	dec   *json.Decoder
	addrs [2]netip.AddrPort // the A and B endpoints' sockets
}

func startLoadgen(b *testing.B) *loadgen {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), loadgenEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	g := &loadgen{cmd: cmd, stdin: stdin, dec: json.NewDecoder(stdout)}
	if err := g.dec.Decode(&g.addrs); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		b.Fatal(err)
	}
	return g
}

// run hands the child its plan and waits for its result; cpu is the
// child's own CPU time.
func (g *loadgen) run(b *testing.B, plan loadPlan) (r loadResult, cpu time.Duration) {
	b.Helper()
	if err := json.NewEncoder(g.stdin).Encode(plan); err != nil {
		b.Fatal(err)
	}
	if err := g.dec.Decode(&r); err != nil {
		b.Fatal(err)
	}
	g.stdin.Close()
	if err := g.cmd.Wait(); err != nil {
		b.Fatal(err)
	}
	return r, g.cmd.ProcessState.UserTime() + g.cmd.ProcessState.SystemTime()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
