package domain

// Account events: the money side of a subscriber (spend control, issue 5).
// The aggregate is "account:<user>". Amounts are exact decimal strings
// (billing/rating's Money), never floats.

const (
	TypeAccountCredited = "account.credited"
	TypeAccountCharged  = "account.charged"
)

// AccountKey is the aggregate key of an account.
func AccountKey(user string) string { return "account:" + user }

// AccountCredited adds money to a prepaid account (a top-up, or the
// opening balance the config gives it).
type AccountCredited struct {
	Account  string `json:"account"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	Reason   string `json:"reason,omitempty"`
}

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
