package switching

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"softswitch/domain"
	"softswitch/projections"
)

// RegistrarConfig bounds the expiry a terminal may ask for (RFC 3261 §10.3
// steps 7–8). All values are seconds.
type RegistrarConfig struct {
	MinExpires     int
	MaxExpires     int
	DefaultExpires int
	// MaxContacts caps the bindings of one AOR; beyond it REGISTER gets 403.
	MaxContacts int
	// Edge says where a subscriber may register from and point its
	// Contacts to (docs/security.md).
	Edge RegistrationEdge
}

// Registrar handles REGISTER: digest auth, then binding updates recorded as
// events; the location projection answers the 200's Contact list.
type Registrar struct {
	cfg   RegistrarConfig
	guard *Guard
	rec   *Recorder
	loc   *projections.Location
	subs  *projections.Subscribers
	locks *keyLocks
	m     *Metrics
	log   *slog.Logger
}

// NewRegistrar wires a registrar.
func NewRegistrar(cfg RegistrarConfig, guard *Guard, rec *Recorder, loc *projections.Location, subs *projections.Subscribers, m *Metrics, log *slog.Logger) *Registrar {
	return &Registrar{cfg: cfg, guard: guard, rec: rec, loc: loc, subs: subs, locks: newKeyLocks(), m: m, log: log}
}

// errIntervalTooBrief asks for 423 (RFC 3261 §10.3 step 7).
var errIntervalTooBrief = errors.New("interval too brief")

type bindingChange struct {
	contact string
	expires int // 0 unbinds
}

// Handle serves one REGISTER transaction.
func (r *Registrar) Handle(ctx context.Context, req *sip.Request, tx sip.ServerTransaction) {
	if r.guard.RefuseNewWork(req, tx) {
		return
	}
	started := r.rec.Now()
	to := req.To()
	if to == nil || req.CallID() == nil || req.CSeq() == nil {
		r.reply(tx, req, 400, "Bad Request")
		return
	}
	aor := to.Address.User
	user, ok := r.guard.Authenticate(ctx, req, tx, "Authorization", 401)
	if !ok {
		r.recordChallenge(ctx, req, aor, started)
		return
	}
	if user != aor {
		// A subscriber may only bind its own AOR.
		r.reply(tx, req, 403, "Forbidden")
		return
	}
	changes, wildcard, err := r.parseContacts(req)
	if err == nil {
		if why := r.cfg.Edge.refuse(req, aor, changes); why != "" {
			r.m.registrationsRefused.Add(1)
			r.log.Info("register: refused", "aor", aor, "source", req.Source(), "reason", why)
			r.reply(tx, req, 403, "Forbidden ("+why+")")
			return
		}
	}
	if errors.Is(err, errIntervalTooBrief) {
		res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
		res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(r.cfg.MinExpires)))
		r.send(tx, res)
		return
	}
	if err != nil {
		r.reply(tx, req, 400, "Bad Request")
		return
	}

	unlock := r.locks.lock(domain.AORKey(aor))
	defer unlock()
	now := r.rec.Now()
	current := r.loc.Lookup(aor, now)
	// A Contact names the binding it refreshes or removes by URI
	// equality (RFC 3261 §10.3 step 7, §19.1.4), not by its text:
	// ";transport=udp" removes the binding stored as ";transport=UDP".
	for i := range changes {
		changes[i].contact = boundAs(current, changes[i].contact)
	}
	if wildcard {
		changes = changes[:0]
		for _, b := range current {
			changes = append(changes, bindingChange{contact: b.Contact})
		}
	}
	if n := countAfter(current, changes); n > r.cfg.MaxContacts {
		r.reply(tx, req, 403, "Too Many Contacts")
		return
	}
	seq := r.loc.Version(aor)
	var recs []domain.Recorded
	add := func(ev domain.Event) {
		seq++
		recs = append(recs, domain.Recorded{Event: ev, Seq: seq, At: now})
	}
	src := req.Source()
	for _, c := range changes {
		if c.expires == 0 {
			if hasBinding(current, c.contact) {
				add(domain.ContactUnbound{AOR: aor, Contact: c.contact, Reason: domain.UnbindRequested})
				r.m.unregistrations.Add(1)
			}
			continue
		}
		add(domain.ContactBound{
			AOR: aor, Contact: c.contact, Expires: c.expires,
			ExpiresAt: now.Add(time.Duration(c.expires) * time.Second),
			CallID:    req.CallID().Value(), CSeq: req.CSeq().SeqNo,
			Source: src, Transport: strings.ToLower(req.Transport()), UserAgent: headerValue(req, "User-Agent"),
		})
		r.m.registrations.Add(1)
	}
	add(transaction(domain.AORKey(aor), "", domain.DirIn, req, 200, "OK", started, now))
	if err := r.rec.Record(ctx, recs...); err != nil {
		r.log.Error("register: record failed", "aor", aor, "error", err)
		r.reply(tx, req, 500, "Server Internal Error")
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	// RFC 3261 §10.3 step 8: the 200 lists every current binding with
	// its remaining expiry.
	for _, b := range r.loc.Lookup(aor, now) {
		left := int(b.ExpiresAt.Sub(now).Round(time.Second) / time.Second)
		res.AppendHeader(sip.NewHeader("Contact", "<"+b.Contact+">;expires="+strconv.Itoa(left)))
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	r.send(tx, res)
}

// recordChallenge records the challenge transaction of a known AOR. Those
// of unknown users are only counted, so a scanner cannot grow the log with
// made-up names; the SIP answer is the same either way.
func (r *Registrar) recordChallenge(ctx context.Context, req *sip.Request, aor string, started time.Time) {
	if _, known := r.subs.Lookup(aor); !known {
		return
	}
	unlock := r.locks.lock(domain.AORKey(aor))
	defer unlock()
	now := r.rec.Now()
	ev := transaction(domain.AORKey(aor), "", domain.DirIn, req, 401, "Unauthorized", started, now)
	if err := r.rec.Record(ctx, domain.Recorded{Event: ev, Seq: r.loc.Version(aor) + 1, At: now}); err != nil {
		r.log.Warn("register: record challenge failed", "aor", aor, "error", err)
	}
}

// parseContacts reads the Contact headers and their expiry (RFC 3261
// §10.3 steps 6–7): the contact's expires param, else the Expires header,
// else the default.
func (r *Registrar) parseContacts(req *sip.Request) ([]bindingChange, bool, error) {
	headerExp := -1
	if h := req.GetHeader("Expires"); h != nil {
		v, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || v < 0 {
			return nil, false, fmt.Errorf("bad Expires %q", h.Value())
		}
		headerExp = v
	}
	var out []bindingChange
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return nil, false, errors.New("bad Contact")
		}
		if c.Address.Wildcard {
			// "*" is only valid alone and with Expires: 0 (§10.3 step 6).
			if headerExp != 0 || len(req.GetHeaders("Contact")) != 1 {
				return nil, false, errors.New("wildcard contact without Expires: 0")
			}
			return nil, true, nil
		}
		exp := headerExp
		if v, ok := c.Params.Get("expires"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, false, fmt.Errorf("bad contact expires %q", v)
			}
			exp = n
		}
		if exp < 0 {
			exp = r.cfg.DefaultExpires
		}
		if exp > 0 && exp < r.cfg.MinExpires {
			return nil, false, errIntervalTooBrief
		}
		if exp > r.cfg.MaxExpires {
			exp = r.cfg.MaxExpires
		}
		out = append(out, bindingChange{contact: c.Address.String(), expires: exp})
	}
	return out, false, nil
}

func countAfter(current []projections.Binding, changes []bindingChange) int {
	set := make(map[string]bool, len(current)+len(changes))
	for _, b := range current {
		set[b.Contact] = true
	}
	for _, c := range changes {
		set[c.contact] = c.expires > 0
	}
	n := 0
	for _, live := range set {
		if live {
			n++
		}
	}
	return n
}

// boundAs is the text of the binding equal to contact, or contact itself.
func boundAs(bs []projections.Binding, contact string) string {
	for _, b := range bs {
		if sameURIString(b.Contact, contact) {
			return b.Contact
		}
	}
	return contact
}

func hasBinding(bs []projections.Binding, contact string) bool {
	for _, b := range bs {
		if b.Contact == contact {
			return true
		}
	}
	return false
}

func (r *Registrar) reply(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	r.send(tx, sip.NewResponseFromRequest(req, code, reason, nil))
}

func (r *Registrar) send(tx sip.ServerTransaction, res *sip.Response) {
	r.m.response(res.StatusCode)
	if err := tx.Respond(res); err != nil {
		r.log.Debug("register: respond failed", "error", err)
	}
}

// SweepExpired unbinds expired contacts, recording why, so the log (not a
// timer in memory) says when a binding ended.
func (r *Registrar) SweepExpired(ctx context.Context) {
	now := r.rec.Now()
	for _, e := range r.loc.Expired(now, r.rec.Node(), 1000) {
		unlock := r.locks.lock(domain.AORKey(e.AOR))
		if stillExpired(r.loc, e.AOR, e.Contact, now) {
			ev := domain.ContactUnbound{AOR: e.AOR, Contact: e.Contact, Reason: domain.UnbindExpired}
			if err := r.rec.Record(ctx, domain.Recorded{Event: ev, Seq: r.loc.Version(e.AOR) + 1, At: now}); err != nil {
				r.log.Warn("expiry sweep: record failed", "aor", e.AOR, "error", err)
			} else {
				r.m.expirations.Add(1)
			}
		}
		unlock()
	}
}

// stillExpired re-checks under the AOR lock: a REGISTER may have refreshed
// the binding since the sweep listed it.
func stillExpired(loc *projections.Location, aor, contact string, now time.Time) bool {
	b, ok := loc.Binding(aor, contact)
	return ok && !b.ExpiresAt.After(now)
}

func headerValue(req *sip.Request, name string) string {
	if h := req.GetHeader(name); h != nil {
		return h.Value()
	}
	return ""
}

// transaction builds the event of one completed transaction.
func transaction(key, leg, dir string, req *sip.Request, code int, reason string, started, now time.Time) domain.SIPTransaction {
	t := domain.SIPTransaction{Key: key, Leg: leg, Direction: dir, Method: string(req.Method),
		Code: code, Reason: reason, Started: started, Duration: now.Sub(started)}
	if cs := req.CSeq(); cs != nil {
		t.CSeq = cs.SeqNo
	}
	if dir == domain.DirIn {
		t.Peer = req.Source()
	} else {
		t.Peer = req.Destination()
	}
	return redactCredentials(t) // a no-op while no message is captured here; covers one captured later
}
