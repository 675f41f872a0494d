package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"softswitch/domain"
)

// adminAudit records every admin API write that succeeded as an
// admin.changed event: who (the token's name), what (method, path, and
// the events recorded while it ran), when (the event's time). The web
// console's audit log reads them back (GET /api/v1/audit).
type adminAudit struct {
	mu   sync.Mutex
	seq  uint64 // the last sequence of this node's admin aggregate
	read bool   // seq was read from the journal
}

var audit adminAudit

// auditWrites wraps the routes: a write (not a read, not /debug/) whose
// answer is below 400 is recorded after its handler returns.
func (a *admin) auditWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !needsWrite(r) || strings.HasPrefix(r.URL.Path, "/debug/") {
			next.ServeHTTP(w, r)
			return
		}
		from := a.store.Head() + 1
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		if sw.code >= 400 {
			return
		}
		ev := domain.AdminChanged{Node: a.decks.rec.Node(), By: callerOf(r.Context()).Name, Method: r.Method, Path: r.URL.Path,
			Status: sw.code, Remote: r.RemoteAddr, Changes: a.changesSince(context.WithoutCancel(r.Context()), from)}
		if err := a.recordAdmin(context.WithoutCancel(r.Context()), ev); err != nil {
			a.log.Error("admin http: audit record", "error", err, "path", r.URL.Path)
		}
	})
}

// statusWriter keeps the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int)        { s.code = code; s.ResponseWriter.WriteHeader(code) }
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// notChanges are events no operator made: calls, registrations,
// heartbeats, trunk health, dialing attempts and money moving with calls.
var notChanges = []string{"call.", "node.", "contact.", "auth.", "source.", "admin.", "audit.",
	domain.TypeAttemptDecided, domain.TypeAttemptEnded, domain.TypeClickToCallStep, domain.TypeClickToCallEnded,
	domain.TypeTrunkHealthChanged, domain.TypeTrunkRegistrationChanged, domain.TypeAccountCharged,
	domain.TypeAccountReservationRequested, domain.TypeAccountReleased, domain.TypeSIPTransaction}

// maxAuditChanges bounds what one record lists (a big interconnect PUT).
const maxAuditChanges = 50

// changesSince lists the change events the journal holds from position
// from on: "type aggregate".
func (a *admin) changesSince(ctx context.Context, from uint64) []string {
	var out []string
	err := a.store.Read(ctx, from, func(env domain.Envelope) error {
		for _, p := range notChanges {
			if strings.HasPrefix(env.Type, p) {
				return nil
			}
		}
		if len(out) == maxAuditChanges {
			out = append(out, "…")
			return errEnough
		}
		out = append(out, env.Type+" "+env.Aggregate)
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		a.log.Warn("admin http: audit changes", "error", err)
	}
	return out
}

// recordAdmin appends ev as the next event of the node's admin aggregate;
// the first time, the aggregate's last sequence is read from the journal.
func (a *admin) recordAdmin(ctx context.Context, ev domain.AdminChanged) error {
	audit.mu.Lock()
	defer audit.mu.Unlock()
	if !audit.read {
		err := a.journal.ReadAggregate(ctx, domain.AdminKey(ev.Node), func(env domain.Envelope) error {
			audit.seq = max(audit.seq, env.Seq)
			return nil
		})
		if err != nil {
			return err
		}
		audit.read = true
	}
	rec := a.decks.rec
	if err := rec.Record(ctx, domain.Recorded{Event: ev, Seq: audit.seq + 1, At: rec.Now()}); err != nil {
		return err
	}
	audit.seq++
	return nil
}

// auditEntry is one row of the audit log.
type auditEntry struct {
	Time time.Time `json:"time"`
	domain.AdminChanged
}

// auditLog is GET /api/v1/audit: this node's admin changes, oldest first,
// through the journal's aggregate index.
func (a *admin) auditLog(w http.ResponseWriter, r *http.Request) {
	out := []auditEntry{}
	err := a.journal.ReadAggregate(r.Context(), domain.AdminKey(a.decks.rec.Node()), func(env domain.Envelope) error {
		ev, err := domain.Decode(env)
		if err != nil {
			return err
		}
		if c, ok := ev.(domain.AdminChanged); ok {
			out = append(out, auditEntry{Time: env.Time, AdminChanged: c})
		}
		return nil
	})
	if err != nil {
		http.Error(w, "read the journal: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
