package chstore_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"softswitch/billing/cdr"
	"softswitch/billing/cdr/cdrtest"
	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
)

// proxy forwards a local port to the ClickHouse server until stopped, so a
// test can take "the server" away and bring it back on the same address.
type proxy struct {
	t      testing.TB
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func (p *proxy) start() {
	p.t.Helper()
	addr := p.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

// stop closes the listener and cuts every connection, like a server that
// went away.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.ln.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func withHost(t testing.TB, dsn, host string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = host
	return u.String()
}

func TestOpenUnreachable(t *testing.T) {
	cfg := chstore.Config{DSN: "clickhouse://127.0.0.1:1/default?dial_timeout=1s"}
	if s, err := chstore.Open(context.Background(), cfg, testLogger(t)); err == nil {
		s.Close()
		t.Fatal("Open against a closed port succeeded")
	}
}

// TestOutage: while the server is unreachable Put fails (the consumer
// retries), and once it is back the same Store works again.
func TestOutage(t *testing.T) {
	ctx := context.Background()
	cfg := newDatabase(t)
	u, err := url.Parse(cfg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, target: u.Host}
	p.start()
	t.Cleanup(p.stop)
	cfg.DSN = withHost(t, cfg.DSN, p.addr) + "?dial_timeout=1s&read_timeout=5s"
	s, err := chstore.Open(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r1 := cdrtest.Record("before", 0, "alice", "bob", domain.DispositionAnswered)
	if err := s.Put(ctx, []domain.CDR{r1}, 1); err != nil {
		t.Fatal(err)
	}
	p.stop()
	r2 := cdrtest.Record("during", time.Second, "alice", "bob", domain.DispositionAnswered)
	if err := s.Put(ctx, []domain.CDR{r2}, 2); err == nil {
		t.Fatal("Put with the server gone succeeded")
	} else if errors.Is(err, cdr.ErrClosed) || errors.Is(err, cdr.ErrInvalidCDR) {
		t.Fatalf("Put during outage: %v, want a connection error", err)
	}
	p.start() // same address
	var err2 error
	for range 20 { // the pool may hand out a dead connection first
		if err2 = s.Put(ctx, []domain.CDR{r2}, 2); err2 == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err2 != nil {
		t.Fatalf("Put after the server came back: %v", err2)
	}
	got, err := s.List(ctx, cdr.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("after recovery: %d records, want 2", len(got))
	}
	if cp, err := s.Checkpoint(ctx); err != nil || cp != 2 {
		t.Fatalf("checkpoint = %d, %v; want 2", cp, err)
	}
}
