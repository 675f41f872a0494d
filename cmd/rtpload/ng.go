package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// rtpengine's ng control protocol: one UDP datagram per message, a cookie,
// a space, and a bencoded dictionary; the reply carries the same cookie, and
// a retransmitted request with the same cookie gets the cached reply
// instead of running the command twice.

var (
	// ErrNG is returned when rtpengine answers a command with an error.
	ErrNG = errors.New("ng: command failed")
	// ErrNGTimeout is returned when no reply came after every retry.
	ErrNGTimeout = errors.New("ng: no reply")
)

// ngClient talks to one rtpengine over UDP.
type ngClient struct {
	addr    netip.AddrPort
	timeout time.Duration // per attempt
	tries   int
	prefix  string
	next    atomic.Uint64
}

func newNGClient(addr netip.AddrPort, timeout time.Duration, tries int) *ngClient {
	return &ngClient{addr: addr, timeout: timeout, tries: max(tries, 1), prefix: "rtpload" + strconv.Itoa(os.Getpid()) + "_"}
}

// ngConn is one socket; each worker owns one so that replies need no demux
// beyond the cookie check.
type ngConn struct {
	c   *net.UDPConn
	buf []byte
}

func (c *ngClient) dial(ctx context.Context) (*ngConn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", c.addr.String())
	if err != nil {
		return nil, fmt.Errorf("ng: dial %s: %w", c.addr, err)
	}
	return &ngConn{c: conn.(*net.UDPConn), buf: make([]byte, 65536)}, nil
}

// do sends one command and returns the reply dictionary; result "error"
// becomes ErrNG with rtpengine's error-reason.
func (c *ngClient) do(ctx context.Context, nc *ngConn, req map[string]any) (map[string]any, error) {
	cookie := c.prefix + strconv.FormatUint(c.next.Add(1), 10)
	msg, err := bencode([]byte(cookie+" "), req)
	if err != nil {
		return nil, err
	}
	for range c.tries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := nc.c.Write(msg); err != nil {
			return nil, fmt.Errorf("ng: send: %w", err)
		}
		deadline := time.Now().Add(c.timeout)
		if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
			deadline = dl
		}
		if err := nc.c.SetReadDeadline(deadline); err != nil {
			return nil, err
		}
		for {
			n, err := nc.c.Read(nc.buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break // retransmit
				}
				return nil, fmt.Errorf("ng: read: %w", err)
			}
			ck, body, ok := strings.Cut(string(nc.buf[:n]), " ")
			if !ok || ck != cookie {
				continue // a late reply to an earlier attempt or request
			}
			v, err := bdecode([]byte(body))
			if err != nil {
				return nil, err
			}
			reply, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: reply is not a dictionary", ErrBencode)
			}
			if r, _ := reply["result"].(string); r == "error" {
				reason, _ := reply["error-reason"].(string)
				return reply, fmt.Errorf("%w: %s: %s", ErrNG, req["command"], reason)
			}
			return reply, nil
		}
	}
	return nil, fmt.Errorf("%w: %s after %d tries", ErrNGTimeout, req["command"], c.tries)
}

// ngFlags makes rtpengine a plain userspace relay for an RTP/AVP PCMU call:
// its own addresses in the SDP (replace origin and session-connection), no
// ICE candidates added, no change of transport, so no transcoding, no SRTP.
func ngFlags(cmd, callID, fromTag, toTag, sdp string) map[string]any {
	m := map[string]any{
		"command":            cmd,
		"call-id":            callID,
		"from-tag":           fromTag,
		"sdp":                sdp,
		"replace":            []string{"origin", "session-connection"},
		"ICE":                "remove",
		"transport-protocol": "RTP/AVP",
	}
	if toTag != "" {
		m["to-tag"] = toTag
	}
	return m
}

// ngSource creates calls in rtpengine (offer with the A endpoint's SDP,
// answer with the B endpoint's) and deletes them afterwards.
type ngSource struct {
	log      *slog.Logger
	client   *ngClient
	parallel int

	mu      sync.Mutex
	created []ngCall
}

type ngCall struct{ callID, fromTag string }

func (s *ngSource) Name() string { return "rtpengine" }

// Sessions returns one relay pair per endpoint pair: the offer's reply SDP
// holds rtpengine's port facing B (where B sends), the answer's reply the
// port facing A.
func (s *ngSource) Sessions(ctx context.Context, eps []endpointPair) ([]relayPair, error) {
	nc, err := s.client.dial(ctx)
	if err != nil {
		return nil, err
	}
	if r, err := s.client.do(ctx, nc, map[string]any{"command": "ping"}); err != nil {
		nc.c.Close()
		return nil, err
	} else if r["result"] != "pong" {
		nc.c.Close()
		return nil, fmt.Errorf("%w: ping answered %v", ErrNG, r["result"])
	}
	nc.c.Close()

	out := make([]relayPair, len(eps))
	jobs := make(chan int)
	errc := make(chan error, s.parallel)
	var wg sync.WaitGroup
	for range s.parallel {
		nc, err := s.client.dial(ctx)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer nc.c.Close()
			for i := range jobs {
				rp, err := s.setup(ctx, nc, i, eps[i])
				if err != nil {
					errc <- err
					// drain so the producer is not stuck
					for range jobs {
					}
					return
				}
				out[i] = rp
			}
		}()
	}
	t0 := time.Now()
feed:
	for i := range eps {
		select {
		case jobs <- i:
		case err := <-errc:
			close(jobs)
			wg.Wait()
			return nil, err
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.log.Info("rtpengine sessions created", "calls", len(eps), "took", time.Since(t0).Round(time.Millisecond))
	return out, nil
}

func (s *ngSource) setup(ctx context.Context, nc *ngConn, i int, ep endpointPair) (relayPair, error) {
	callID := fmt.Sprintf("rtpload-%d-%d", os.Getpid(), i)
	from, to := "a"+strconv.Itoa(i), "b"+strconv.Itoa(i)
	r, err := s.client.do(ctx, nc, ngFlags("offer", callID, from, "", offerSDP(2*i+1, ep.A)))
	if err != nil {
		return relayPair{}, fmt.Errorf("call %d: %w", i, err)
	}
	s.mu.Lock()
	s.created = append(s.created, ngCall{callID, from})
	s.mu.Unlock()
	sdp, _ := r["sdp"].(string)
	bSide, err := audioAddr(sdp)
	if err != nil {
		return relayPair{}, fmt.Errorf("call %d offer reply: %w", i, err)
	}
	r, err = s.client.do(ctx, nc, ngFlags("answer", callID, from, to, offerSDP(2*i+2, ep.B)))
	if err != nil {
		return relayPair{}, fmt.Errorf("call %d: %w", i, err)
	}
	sdp, _ = r["sdp"].(string)
	aSide, err := audioAddr(sdp)
	if err != nil {
		return relayPair{}, fmt.Errorf("call %d answer reply: %w", i, err)
	}
	return relayPair{A: aSide, B: bSide, ID: callID}, nil
}

// Close deletes every call that an offer created, even after a failure.
func (s *ngSource) Close(ctx context.Context) error {
	s.mu.Lock()
	calls := s.created
	s.created = nil
	s.mu.Unlock()
	if len(calls) == 0 {
		return nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		errs  []error
		jobs  = make(chan ngCall)
		nconn = min(s.parallel, len(calls))
	)
	for range nconn {
		nc, err := s.client.dial(ctx)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer nc.c.Close()
			for c := range jobs {
				_, err := s.client.do(ctx, nc, map[string]any{"command": "delete", "call-id": c.callID, "from-tag": c.fromTag})
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, c := range calls {
		jobs <- c
	}
	close(jobs)
	wg.Wait()
	if len(errs) > 0 {
		s.log.Warn("rtpengine delete failures", "failed", len(errs), "of", len(calls))
		return fmt.Errorf("%d of %d deletes failed, first: %w", len(errs), len(calls), errs[0])
	}
	s.log.Info("rtpengine sessions deleted", "calls", len(calls))
	return nil
}
