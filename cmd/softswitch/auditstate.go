package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"softswitch/domain"
	"softswitch/projections"
)

// stateAt is the node's state as it was at an instant.
type stateAt struct {
	At            time.Time                  `json:"at"`
	Position      uint64                     `json:"position"`
	Registrations []projections.Registration `json:"registrations"`
	Trunks        []projections.TrunkStatus  `json:"trunks"`
	Balances      map[string]accountStateAt  `json:"balances"`
}

type accountStateAt struct {
	Balance    string `json:"balance"`
	SpentToday string `json:"spent_today"`
}

// cmdAuditState rebuilds the registrations, trunk load and health, and
// account balances as they were at --at, by replaying the log up to that
// instant into fresh projections.
func cmdAuditState(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cf commonFlags
	fs := newFlagSet("audit state", &cf)
	atS := fs.String("at", "", "the RFC 3339 instant (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	at, err := time.Parse(time.RFC3339, *atS)
	if err != nil {
		return usageError("--at: an RFC 3339 time is required")
	}
	cfg, err := loadConfig(cf)
	if err != nil {
		return err
	}
	src, err := auditSource(ctx, cfg, newLogger(cfg.Log, stderr))
	if err != nil {
		return err
	}
	defer src.Close()
	loc, ic, load, bal := projections.NewLocation(), projections.NewInterconnect(), projections.NewTrunkLoad(func() time.Time { return at }), projections.NewBalances()
	set := projections.Set{loc, ic, load, bal}
	var last uint64
	accounts := map[string]bool{}
	err = src.Read(ctx, 1, func(env domain.Envelope) error {
		// Concurrent writers stamp events a moment before the journal
		// orders them, so the log is only nearly in time order: every event
		// is looked at, and those stamped after the instant are left out.
		if env.Time.After(at) {
			return nil
		}
		last = max(last, env.Position)
		if env.Type == domain.TypeAccountCredited || env.Type == domain.TypeAccountCharged {
			accounts[env.Aggregate[len("account:"):]] = true
		}
		return set.Apply(env, nil)
	})
	if err != nil {
		return err
	}
	st := stateAt{At: at, Position: last, Registrations: loc.All(at), Balances: map[string]accountStateAt{}}
	for _, t := range ic.Definitions().Trunks {
		st.Trunks = append(st.Trunks, load.Status(t.Name, at))
	}
	for a := range accounts {
		b, _ := bal.Balance(a)
		spent, _ := bal.Spent(a, "", at)
		st.Balances[a] = accountStateAt{Balance: b.String(), SpentToday: spent.String()}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(st); err != nil {
		return fmt.Errorf("audit state: %w", err)
	}
	return nil
}
