package main

import (
	"net/http"
	"time"
)

// getAccount shows an account's balance and today's spend.
func (a *admin) getAccount(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("user")
	bal, ok := a.balances.Balance(user)
	spent, _ := a.balances.Spent(user, "", time.Now())
	writeJSON(w, http.StatusOK, map[string]any{"account": user, "credited": ok, "balance": bal.String(), "spent_today": spent.String()})
}
