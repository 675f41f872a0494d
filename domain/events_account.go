package domain

// Account events: the money side of a subscriber (spend control, issue 5).
// The aggregate is "account:<user>". Amounts are exact decimal strings
// (billing/rating's Money), never floats.

const (
	TypeAccountCredited             = "account.credited"
	TypeAccountCharged              = "account.charged"
	TypeAccountReservationRequested = "account.reservation_requested"
	TypeAccountReleased             = "account.released"
)

// AccountKey is the aggregate key of an account.
func AccountKey(user string) string { return "account:" + user }

// AccountCredited adds money to a prepaid account (a top-up, or the
// opening balance the config gives it). Ref, when set, makes the credit
// idempotent: the balance folds one credit per (account, ref), whichever
// node recorded it and however often. The opening balance has the ref
// OpeningRef, so nodes that all start and each record it credit it once.
type AccountCredited struct {
	Account  string `json:"account"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	Reason   string `json:"reason,omitempty"`
	Ref      string `json:"ref,omitempty"`
}

// OpeningRef is the ref of an account's opening balance.
const OpeningRef = "opening"

func (AccountCredited) EventType() string      { return TypeAccountCredited }
func (AccountCredited) SchemaVersion() int     { return 1 }
func (e AccountCredited) AggregateKey() string { return AccountKey(e.Account) }

// AccountCharged records the sell-side price of one ended call against the
// caller's account, written by the switch when the call ends, so balances
// and daily spend are a fold of the log on every node.
type AccountCharged struct {
	Account   string `json:"account"`
	CallID    string `json:"call_id"`
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
	Prefix    string `json:"prefix"`
	Deck      string `json:"deck"`
	BillableS int64  `json:"billable_s"`
}

func (AccountCharged) EventType() string      { return TypeAccountCharged }
func (AccountCharged) SchemaVersion() int     { return 1 }
func (e AccountCharged) AggregateKey() string { return AccountKey(e.Account) }

// AccountReservationRequested asks for credit for one call: the first
// slice at call setup, then one slice at a time as the call goes on (as
// an OCS grants units over Diameter Gy, or CGRateS's session manager
// debits per interval). It is a request, not a grant: the balance fold
// decides it in log order (projections.Balances), so every node folding
// the same log, and a replay, reach the same decision. The requester waits
// for the fold to decide before it lets the call go on.
//
// Amount is what the slice costs; Minimum the least worth granting (the
// first rating increment): with less than Amount but at least Minimum
// left, what is left is granted. CreditLimit, Prepaid and MaxCalls are the
// account's policy as the requesting node had it, so the decision never
// depends on a node's configuration.
type AccountReservationRequested struct {
	Account     string `json:"account"`
	CallID      string `json:"call_id"`
	Reservation string `json:"reservation"`
	Amount      string `json:"amount"`
	Minimum     string `json:"minimum"`
	Currency    string `json:"currency"`
	Prepaid     bool   `json:"prepaid,omitempty"`
	CreditLimit string `json:"credit_limit,omitempty"`
	// MaxCalls is the account's max_concurrent_calls, 0 for no limit: a
	// call's first reservation is refused when that many other calls
	// hold one.
	MaxCalls int `json:"max_calls,omitempty"`
}

func (AccountReservationRequested) EventType() string      { return TypeAccountReservationRequested }
func (AccountReservationRequested) SchemaVersion() int     { return 1 }
func (e AccountReservationRequested) AggregateKey() string { return AccountKey(e.Account) }

// AccountReleased frees what a call held without charging it: the call
// was not answered, was refused after its reservation, or its charge is
// nothing. An account.charged event releases the call's reservations too.
type AccountReleased struct {
	Account string `json:"account"`
	CallID  string `json:"call_id"`
	Reason  string `json:"reason,omitempty"`
}

func (AccountReleased) EventType() string      { return TypeAccountReleased }
func (AccountReleased) SchemaVersion() int     { return 1 }
func (e AccountReleased) AggregateKey() string { return AccountKey(e.Account) }
