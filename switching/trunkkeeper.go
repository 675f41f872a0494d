package switching

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
)

// TrunkKeeper watches the carriers' trunks: it pings each with OPTIONS
// every options_interval (the keepalive of RFC 3261 §11, as Kamailio's
// dispatcher does) and registers to carriers that ask for it (RFC 3261
// §10.2, with digest answers to their challenges). Every change of state,
// and only a change, becomes an event, so routing (trunk health) and
// auditors see the same history.
type TrunkKeeper struct {
	x       *Interconnect
	cli     *sipgo.Client
	rec     *Recorder
	contact string // host:port the carrier reaches us at
	log     *slog.Logger

	mu       sync.Mutex
	busy     map[string]bool // a check of this trunk is in flight
	nextPing map[string]time.Time
	nextReg  map[string]time.Time
	regState map[string]bool
}

// NewTrunkKeeper returns a keeper; contact is the switch's SIP address.
func NewTrunkKeeper(x *Interconnect, cli *sipgo.Client, rec *Recorder, contact string, log *slog.Logger) *TrunkKeeper {
	return &TrunkKeeper{x: x, cli: cli, rec: rec, contact: contact, log: log,
		busy: map[string]bool{}, nextPing: map[string]time.Time{}, nextReg: map[string]time.Time{}, regState: map[string]bool{}}
}

// Run checks the trunks until ctx ends.
func (k *TrunkKeeper) Run(ctx context.Context) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		for _, def := range k.x.IC.Definitions().Trunks {
			if def.OptionsInterval > 0 && k.due(k.nextPing, def.Name, now) {
				k.schedule(k.nextPing, def.Name, now.Add(def.OptionsInterval))
				wg.Go(func() { k.ping(ctx, def) })
			}
			if def.Register.Enabled && k.due(k.nextReg, def.Name, now) {
				// Refresh at half the granted time; retry a failure in 30 s.
				k.schedule(k.nextReg, def.Name, now.Add(30*time.Second))
				wg.Go(func() { k.register(ctx, def) })
			}
		}
	}
}

func (k *TrunkKeeper) due(next map[string]time.Time, trunk string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !now.Before(next[trunk])
}

func (k *TrunkKeeper) schedule(next map[string]time.Time, trunk string, at time.Time) {
	k.mu.Lock()
	next[trunk] = at
	k.mu.Unlock()
}

// ping sends one OPTIONS; any final answer means the gateway is alive
// (even 404 or 405: it parsed our request), no answer means it is down.
func (k *TrunkKeeper) ping(ctx context.Context, def domain.TrunkDefined) {
	timeout := def.OptionsTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	req := sip.NewRequest(sip.OPTIONS, trunkURI("", def.Address))
	if def.Transport != "" {
		req.SetTransport(transportOf(def.Transport))
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := k.cli.Do(pctx, req)
	if ctx.Err() != nil {
		return
	}
	up, reason := err == nil && res != nil, domain.HealthOptionsOK
	if !up {
		reason = domain.HealthOptionsTimeout
		if pctx.Err() == nil {
			reason = domain.HealthOptionsError
		}
	}
	if up == k.x.Load.Up(def.Name) {
		return
	}
	k.record(ctx, domain.TrunkHealthChanged{Trunk: def.Name, Up: up, Reason: reason})
	k.log.Info("trunk health changed", "trunk", def.Name, "up", up, "reason", reason)
}

// register sends REGISTER for the trunk's account, answering a digest
// challenge with the configured secret.
func (k *TrunkKeeper) register(ctx context.Context, def domain.TrunkDefined) {
	user, pass := k.x.Secret(def.Name)
	if def.Register.Username != "" {
		user = def.Register.Username
	}
	host := def.Register.Realm
	if host == "" {
		host, _, _ = net.SplitHostPort(def.Address)
	}
	expires := def.Register.Expires
	if expires <= 0 {
		expires = 3600
	}
	req := sip.NewRequest(sip.REGISTER, trunkURI("", def.Address))
	aor := sip.Uri{Scheme: "sip", User: user, Host: host}
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: sip.NewParams()})
	req.From().Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	ch, cp, _ := net.SplitHostPort(k.contact)
	port, _ := strconv.Atoi(cp)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: ch, Port: port}})
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	if def.Transport != "" {
		req.SetTransport(transportOf(def.Transport))
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := k.cli.Do(rctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) && pass != "" {
		res, err = k.cli.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: user, Password: pass})
	}
	if ctx.Err() != nil {
		return
	}
	code, granted := 0, 0
	if err == nil && res != nil {
		code = res.StatusCode
		granted = expires
		if h := res.GetHeader("Expires"); h != nil {
			if v, err := strconv.Atoi(h.Value()); err == nil {
				granted = v
			}
		}
	}
	ok := code >= 200 && code < 300
	if ok && granted > 0 {
		k.schedule(k.nextReg, def.Name, time.Now().Add(time.Duration(granted)*time.Second/2))
	}
	k.mu.Lock()
	prev, seen := k.regState[def.Name]
	k.regState[def.Name] = ok
	k.mu.Unlock()
	if seen && prev == ok {
		return
	}
	k.record(ctx, domain.TrunkRegistrationChanged{Trunk: def.Name, Registered: ok, Code: code, Expires: granted})
	k.log.Info("trunk registration changed", "trunk", def.Name, "registered", ok, "code", code, "expires", granted)
}

func (k *TrunkKeeper) record(ctx context.Context, ev domain.Event) {
	seq := k.x.IC.Seq(ev.AggregateKey()) + 1
	if err := k.rec.Record(ctx, domain.Recorded{Event: ev, Seq: seq, At: k.rec.Now()}); err != nil {
		k.log.Warn("trunk state: record failed", "aggregate", ev.AggregateKey(), "error", err)
	}
}

// trunkURI is sip:[user@]host:port of a trunk's gateway.
func trunkURI(user, address string) sip.Uri {
	host, p, _ := net.SplitHostPort(address)
	port, _ := strconv.Atoi(p)
	return sip.Uri{Scheme: "sip", User: user, Host: host, Port: port}
}

func transportOf(t string) string {
	switch t {
	case domain.TransportTCP:
		return "TCP"
	case domain.TransportTLS:
		return "TLS"
	}
	return "UDP"
}
