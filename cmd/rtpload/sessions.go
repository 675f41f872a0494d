package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"
)

// ErrSessions is returned when a source cannot give the sessions asked for.
var ErrSessions = errors.New("sessions")

// endpointPair is one call's two load endpoints: A plays the caller, B the
// callee.
type endpointPair struct{ A, B netip.AddrPort }

// relayPair is one call through the relay: A is the relay address the A
// endpoint sends to (the leg facing the caller), B the one the B endpoint
// sends to. The relay forwards each side's packets to the other endpoint.
type relayPair struct {
	A, B netip.AddrPort
	ID   string // the relay's name for the call, for logs
}

// source yields relay sessions for bound endpoints. Some sources create
// them (rtpengine via ng), others find existing ones and ignore the
// endpoint addresses (the relay latches on our source addresses).
type source interface {
	Name() string
	Sessions(ctx context.Context, eps []endpointPair) ([]relayPair, error)
	Close(ctx context.Context) error
}

// directSource sends endpoint to endpoint with no relay: the tool's own
// cost and latency floor.
type directSource struct{}

func (directSource) Name() string { return "direct" }
func (directSource) Sessions(_ context.Context, eps []endpointPair) ([]relayPair, error) {
	out := make([]relayPair, len(eps))
	for i, ep := range eps {
		// A sends to "A-side relay" = B endpoint, and the other way round.
		out[i] = relayPair{A: ep.B, B: ep.A, ID: fmt.Sprintf("direct-%d", i)}
	}
	return out, nil
}
func (directSource) Close(context.Context) error { return nil }

// fixedSource serves pairs known up front (a --pairs file).
type fixedSource struct {
	name  string
	pairs []relayPair
}

func (f fixedSource) Name() string { return f.name }
func (f fixedSource) Sessions(_ context.Context, eps []endpointPair) ([]relayPair, error) {
	if len(f.pairs) < len(eps) {
		return nil, fmt.Errorf("%w: %s has %d pairs, %d calls asked", ErrSessions, f.name, len(f.pairs), len(eps))
	}
	return f.pairs[:len(eps)], nil
}
func (fixedSource) Close(context.Context) error { return nil }

// readPairs parses lines "A_RELAY B_RELAY" (host:port each); blank lines and
// lines starting with # are skipped.
func readPairs(r io.Reader) ([]relayPair, error) {
	var out []relayPair
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: line %d: want two addresses, got %q", ErrSessions, n, line)
		}
		a, errA := netip.ParseAddrPort(f[0])
		b, errB := netip.ParseAddrPort(f[1])
		if err := errors.Join(errA, errB); err != nil {
			return nil, fmt.Errorf("%w: line %d: %w", ErrSessions, n, err)
		}
		out = append(out, relayPair{A: a, B: b, ID: fmt.Sprintf("pair-%d", len(out))})
	}
	return out, sc.Err()
}

func loadPairsFile(path string) (fixedSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return fixedSource{}, err
	}
	defer f.Close()
	pairs, err := readPairs(f)
	return fixedSource{name: "pairs", pairs: pairs}, err
}

// switchSource reads the anchored calls from the softswitch admin API:
// GET URL/api/v1/calls (Bearer token) returns a JSON array of calls, each
// with "media": [{"leg": "a", "local": "ip:port"}, {"leg": "b", ...}], the
// relay's RTP address per leg; leg a faces the caller.
type switchSource struct {
	log     *slog.Logger
	baseURL string
	token   string
	client  *http.Client
	// wait polls until enough calls carry media, up to this long: SIPp
	// sets the calls up over a few seconds.
	wait time.Duration
}

type apiCall struct {
	ID     string     `json:"id"`
	CallID string     `json:"call_id"`
	Media  []apiMedia `json:"media"`
}

type apiMedia struct {
	Leg   string `json:"leg"`
	Local string `json:"local"`
}

func (s *switchSource) Name() string { return "switch" }

func (s *switchSource) Sessions(ctx context.Context, eps []endpointPair) ([]relayPair, error) {
	deadline := time.Now().Add(s.wait)
	for {
		pairs, listed, err := s.fetch(ctx)
		if err == nil && len(pairs) >= len(eps) {
			return pairs[:len(eps)], nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w: switch lists %d calls, %d with both legs' media, %d asked", ErrSessions, listed, len(pairs), len(eps))
		}
		s.log.Info("waiting for anchored calls", "listed", listed, "with_media", len(pairs), "want", len(eps), "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// fetch returns one pair per call that has both legs' relay addresses, and
// how many calls the switch listed in all.
func (s *switchSource) fetch(ctx context.Context) ([]relayPair, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(s.baseURL, "/")+"/api/v1/calls", nil)
	if err != nil {
		return nil, 0, err
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrSessions, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, 0, fmt.Errorf("%w: GET /api/v1/calls: %s: %s", ErrSessions, resp.Status, strings.TrimSpace(string(b)))
	}
	var calls []apiCall
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&calls); err != nil {
		return nil, 0, fmt.Errorf("%w: /api/v1/calls: %w", ErrSessions, err)
	}
	var out []relayPair
	for _, c := range calls {
		var a, b netip.AddrPort
		for _, m := range c.Media {
			ap, err := netip.ParseAddrPort(m.Local)
			if err != nil {
				continue
			}
			switch strings.ToLower(m.Leg) {
			case "a":
				a = ap
			case "b":
				b = ap
			}
		}
		if !a.IsValid() || !b.IsValid() {
			continue
		}
		id := c.ID
		if id == "" {
			id = c.CallID
		}
		out = append(out, relayPair{A: a, B: b, ID: id})
	}
	return out, len(calls), nil
}

func (s *switchSource) Close(context.Context) error { return nil }
