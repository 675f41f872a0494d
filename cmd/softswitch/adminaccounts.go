package main

import (
	"net/http"
	"time"
)

// getAccount shows an account's balance, what its calls in progress hold
// (reserved, and by how many calls), and today's spend.
func (a *admin) getAccount(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	bal, ok := a.balances.Balance(user)
	spent, _ := a.balances.Spent(user, "", time.Now())
	held, calls := a.balances.Reserved(user)
	writeJSON(w, http.StatusOK, map[string]any{"account": user, "credited": ok, "balance": bal.String(), "spent_today": spent.String(),
		"reserved": held.String(), "calls_holding": calls})
}
