package main

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
)

// testRelay is a tiny latching RTP relay for the tests: per call one socket
// faces A and one faces B; what arrives on one is sent from the other to the
// address last seen there (or the one set from SDP). A hook may drop or
// misroute packets.
type testRelay struct {
	calls []*relayCall
	hook  func(call int, fromA bool, payload []byte) (drop bool, toCall int)
	wg    sync.WaitGroup
}

type relayCall struct {
	sockA, sockB *net.UDPConn
	peerA, peerB atomic.Pointer[netip.AddrPort]
}

func startRelay(t *testing.T, n int, hook func(int, bool, []byte) (bool, int)) *testRelay {
	t.Helper()
	r := &testRelay{hook: hook}
	for range n {
		c := &relayCall{}
		for _, s := range []**net.UDPConn{&c.sockA, &c.sockB} {
			conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			*s = conn
		}
		r.calls = append(r.calls, c)
	}
	for i, c := range r.calls {
		r.wg.Add(2)
		go r.forward(i, true, c.sockA)
		go r.forward(i, false, c.sockB)
	}
	t.Cleanup(func() {
		for _, c := range r.calls {
			c.sockA.Close()
			c.sockB.Close()
		}
		r.wg.Wait()
	})
	return r
}

func (r *testRelay) pairs() []relayPair {
	out := make([]relayPair, len(r.calls))
	for i, c := range r.calls {
		out[i] = relayPair{A: c.sockA.LocalAddr().(*net.UDPAddr).AddrPort(), B: c.sockB.LocalAddr().(*net.UDPAddr).AddrPort()}
	}
	return out
}

func (r *testRelay) forward(call int, fromA bool, in *net.UDPConn) {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, from, err := in.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		src := r.calls[call]
		if fromA {
			src.peerA.Store(&from)
		} else {
			src.peerB.Store(&from)
		}
		to := call
		if r.hook != nil {
			drop, c := r.hook(call, fromA, buf[rtpHeaderLen:n])
			if drop {
				continue
			}
			to = c
		}
		dst := r.calls[to]
		out, peer := dst.sockB, dst.peerB.Load()
		if !fromA {
			out, peer = dst.sockA, dst.peerA.Load()
		}
		if peer == nil {
			continue // not latched yet: warm-up
		}
		out.WriteToUDPAddrPort(buf[:n], *peer)
	}
}

// measured tells whether an rtpload payload was sent in the window.
func measured(payload []byte) bool {
	return len(payload) > offFlags && payload[offFlags]&flagMeasured != 0
}

// fakeNG answers ng commands like rtpengine would for plain relaying, with
// a testRelay behind it. It ignores the first copy of every request so the
// client must retransmit (same cookie).
type fakeNG struct {
	conn    *net.UDPConn
	relay   *testRelay
	mu      sync.Mutex
	seen    map[string]bool
	next    int
	byCall  map[string]int
	deletes atomic.Int64
	badReq  atomic.Int64
}

func startFakeNG(t *testing.T, calls int) *fakeNG {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeNG{conn: conn, relay: startRelay(t, calls, nil), seen: map[string]bool{}, byCall: map[string]int{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.serve()
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return f
}

func (f *fakeNG) addr() netip.AddrPort { return f.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (f *fakeNG) serve() {
	buf := make([]byte, 65536)
	for {
		n, from, err := f.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		cookie, body, _ := cut(string(buf[:n]))
		f.mu.Lock()
		first := !f.seen[cookie]
		f.seen[cookie] = true
		f.mu.Unlock()
		if first {
			continue // lost on the way: the client retries
		}
		reply := f.handle(body)
		out, _ := bencode([]byte(cookie+" "), reply)
		f.conn.WriteToUDPAddrPort(out, from)
	}
}

func cut(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == ' ' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func (f *fakeNG) handle(body string) map[string]any {
	v, err := bdecode([]byte(body))
	req, _ := v.(map[string]any)
	if err != nil || req == nil {
		f.badReq.Add(1)
		return map[string]any{"result": "error", "error-reason": "bad bencode"}
	}
	cmd, _ := req["command"].(string)
	if cmd == "ping" {
		return map[string]any{"result": "pong"}
	}
	callID, _ := req["call-id"].(string)
	if cmd == "delete" {
		f.deletes.Add(1)
		return map[string]any{"result": "ok"}
	}
	repl, _ := req["replace"].([]any)
	if req["ICE"] != "remove" || len(repl) != 2 || repl[0] != "origin" || repl[1] != "session-connection" || req["from-tag"] == nil {
		f.badReq.Add(1)
		return map[string]any{"result": "error", "error-reason": "flags"}
	}
	sdp, _ := req["sdp"].(string)
	ep, err := audioAddr(sdp)
	if err != nil {
		f.badReq.Add(1)
		return map[string]any{"result": "error", "error-reason": err.Error()}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch cmd {
	case "offer":
		i := f.next
		if i >= len(f.relay.calls) {
			return map[string]any{"result": "error", "error-reason": "out of ports"}
		}
		f.next++
		f.byCall[callID] = i
		c := f.relay.calls[i]
		c.peerA.Store(&ep) // like rtpengine: trust the SDP address
		return map[string]any{"result": "ok", "sdp": offerSDP(1, c.sockB.LocalAddr().(*net.UDPAddr).AddrPort())}
	case "answer":
		i, ok := f.byCall[callID]
		if !ok || req["to-tag"] == nil {
			return map[string]any{"result": "error", "error-reason": "Unknown call-id"}
		}
		c := f.relay.calls[i]
		c.peerB.Store(&ep)
		return map[string]any{"result": "ok", "sdp": offerSDP(2, c.sockA.LocalAddr().(*net.UDPAddr).AddrPort())}
	}
	return map[string]any{"result": "error", "error-reason": "Unrecognized command"}
}

// dropEveryMeasuredAtoB returns a hook that drops every nth measured A→B
// packet and counts the drops.
func dropEveryMeasuredAtoB(n int64, dropped *atomic.Int64) func(int, bool, []byte) (bool, int) {
	var seen atomic.Int64
	return func(call int, fromA bool, payload []byte) (bool, int) {
		if fromA && measured(payload) && seen.Add(1)%n == 0 {
			dropped.Add(1)
			return true, call
		}
		return false, call
	}
}
