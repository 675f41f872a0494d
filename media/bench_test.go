package media

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// BenchmarkRelay relays G.711 20 ms streams (172-byte packets) over
// loopback through N sessions, both directions, with the endpoints in a
// child process (see loadgen_test.go). One op is one packet sent, so
// -benchtime sets the run's length: at the paced rate of 100 packets/s per
// session, -benchtime 500000x is 5 s for 1,000 sessions. "max" sends as
// fast as a window of 4,000 packets in flight allows; "direct" is the
// paced load with the endpoints sending to each other, no relay: the
// generator's own latency, to subtract. Reported:
//
//	pps          packets received back by the endpoints per second
//	loss-%       (sent − received) / sent
//	p50/p99/p999-µs  endpoint-to-endpoint latency (send → relay → receive)
//	relay-cpu-µs/pkt the relay process's CPU (user+sys) per relayed packet
//	pps/core     relayed packets per second of relay CPU
//
// Run one load at a time on a 2-vCPU machine:
//
//	go test ./media -run '^$' -bench 'Relay/sessions=1000$/(paced|direct)$' -benchtime 500000x
func BenchmarkRelay(b *testing.B) {
	type load struct {
		sessions      int
		paced, direct bool
	}
	var loads []load
	for _, n := range []int{100, 250, 500, 750, 1000} {
		loads = append(loads, load{n, true, false}, load{n, true, true})
	}
	loads = append(loads, load{1000, false, false})
	for _, bc := range loads {
		mode := "max"
		if bc.paced {
			mode = "paced"
		}
		if bc.direct {
			mode = "direct" // paced, without the relay
		}
		b.Run(fmt.Sprintf("sessions=%d/%s", bc.sessions, mode), func(b *testing.B) {
			rate := 0.0
			if bc.paced {
				rate = float64(bc.sessions) * 100 // 50 packets/s each way
			}
			benchRelay(b, bc.sessions, rate, bc.direct)
		})
	}
}

// benchRelay runs one load. direct skips the relay (the child's endpoints
// send to each other): the load generator's own ceiling and latency, to
// read the relay's figures against.
func benchRelay(b *testing.B, sessions int, rate float64, direct bool) {
	pool, err := NewPool(PoolConfig{Addr: loopback, Min: 40000, Max: 49999})
	if err != nil {
		b.Fatal(err)
	}
	g := startLoadgen(b)
	g711 := []PayloadType{{PT: 0, Name: "PCMU", ClockRate: 8000, Channels: 1}}
	all := make([]*Session, 0, sessions)
	plan := loadPlan{Rate: rate, Packets: int64(b.N), Window: 4000, Size: 172}
	for range sessions {
		if direct {
			plan.Targets = append(plan.Targets, g.addrs[1], g.addrs[0])
			plan.FromB = append(plan.FromB, false, true)
			continue
		}
		s, err := NewSession(context.Background(), pool, SessionConfig{})
		if err != nil {
			b.Fatal(err)
		}
		s.SetRemote(A, Remote{RTP: g.addrs[0], Payloads: g711})
		s.SetRemote(B, Remote{RTP: g.addrs[1], Payloads: g711})
		aLocal, _ := s.Local(A)
		bLocal, _ := s.Local(B)
		plan.Targets = append(plan.Targets, aLocal, bLocal)
		plan.FromB = append(plan.FromB, false, true)
		all = append(all, s)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	r, genCPU := g.run(b, plan)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	var relayed, received uint64
	for _, s := range all {
		f, _ := s.Close()
		relayed += f.Stats.A.Received.Relayed + f.Stats.B.Received.Relayed
		received += f.Stats.A.Received.Packets + f.Stats.B.Received.Packets
	}
	if direct {
		relayed, received = uint64(r.Sent), uint64(r.Sent)
	}
	if r.Sent == 0 || relayed == 0 {
		b.Fatalf("nothing relayed: %+v", r)
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(float64(r.Received)/r.Elapsed.Seconds(), "pps")
	b.ReportMetric(float64(r.Sent-r.Received)*100/float64(r.Sent), "loss-%")
	b.ReportMetric(float64(int64(received)-r.Sent)*100/float64(r.Sent), "relay-in-%")
	b.ReportMetric(us(r.P50), "p50-µs")
	b.ReportMetric(us(r.P99), "p99-µs")
	b.ReportMetric(us(r.P999), "p999-µs")
	b.ReportMetric(us(cpu)/float64(relayed), "relay-cpu-µs/pkt")
	b.ReportMetric(float64(relayed)/cpu.Seconds(), "pps/core")
	b.ReportMetric(genCPU.Seconds()/r.Elapsed.Seconds(), "loadgen-cores")
	b.ReportMetric(cpu.Seconds()/r.Elapsed.Seconds(), "relay-cores")
}

// BenchmarkHandleRTP is the packet path alone, in-process: parse, latch,
// stats, relay (one sendto). It must not allocate.
func BenchmarkHandleRTP(b *testing.B) {
	pool := newTestPool(b, 64300, 64399)
	s, err := NewSession(context.Background(), pool, SessionConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sink := newPhone(b)
	forceBuffers(sink.rtp)
	s.SetRemote(A, sink.remote())
	s.SetRemote(B, sink.remote())
	go func() { // keep the sink's buffer from filling
		buf := make([]byte, 2048)
		for {
			if _, err := sink.rtp.Read(buf); err != nil {
				return
			}
		}
	}()
	pkt := rtpPacket(b, 0, 1, 0, 0xA, pcmu(160, 0xff))
	src := sink.addr()
	var h rtp.Header
	x, y := s.legs[A], s.legs[B]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		pkt[2], pkt[3] = byte(i>>8), byte(i)
		s.handleRTP(x, y, pkt, src, time.Now(), &h)
	}
}

// BenchmarkParseRTP: header parsing with pion/rtp into a reused Header.
func BenchmarkParseRTP(b *testing.B) {
	pkt := rtpPacket(b, 0, 1, 0, 0xA, pcmu(160, 0xff))
	var h rtp.Header
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := parseRTP(pkt, &h); !ok {
			b.Fatal("refused")
		}
	}
}
