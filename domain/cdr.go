package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// ErrCallOpen is returned by CDR for a call that has not ended.
var ErrCallOpen = errors.New("domain: call has not ended")

// Timestamp is a UTC instant that encodes as RFC 3339 with milliseconds,
// and as null when zero.
type Timestamp time.Time

// TimestampLayout is the CDR time format: RFC 3339 with milliseconds.
const TimestampLayout = "2006-01-02T15:04:05.000Z07:00"

func (t Timestamp) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Time(t).UTC().Format(TimestampLayout) + `"`), nil
}

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Timestamp{}
		return nil
	}
	v, err := time.Parse(`"`+time.RFC3339Nano+`"`, string(b))
	if err != nil {
		return err
	}
	*t = Timestamp(v.UTC())
	return nil
}

// Time returns the instant.
func (t Timestamp) Time() time.Time { return time.Time(t) }

// CDRLeg is one leg in a CDR.
type CDRLeg struct {
	Leg       string    `json:"leg"`
	Side      string    `json:"side"`
	SIPCallID string    `json:"sip_call_id"`
	Peer      string    `json:"peer"`
	Target    string    `json:"target,omitempty"`
	Trunk     string    `json:"trunk,omitempty"`
	Carrier   string    `json:"carrier,omitempty"`
	Start     Timestamp `json:"start"`
	Answer    Timestamp `json:"answer"`
	End       Timestamp `json:"end"`
	SIPCode   int       `json:"sip_code"`
	Reason    string    `json:"reason"`
	EndedBy   string    `json:"ended_by"`
}

// CDR is the call detail record of one call.
type CDR struct {
	ID string `json:"id"`
	// CallID is the switch's own call id; SIPCallID the Call-ID the
	// caller sent (each leg's is in Legs).
	CallID      string    `json:"call_id"`
	SIPCallID   string    `json:"sip_call_id"`
	Caller      string    `json:"caller"`
	Callee      string    `json:"callee"`
	Source      string    `json:"source"`
	Start       Timestamp `json:"start"`
	Answer      Timestamp `json:"answer"`
	End         Timestamp `json:"end"`
	DurationMS  int64     `json:"duration_ms"`
	BillableS   int64     `json:"billable_s"`
	Disposition string    `json:"disposition"`
	SIPCode     int       `json:"sip_code"`
	Reason      string    `json:"reason"`
	EndedBy     string    `json:"ended_by"`
	// Carrier and Trunk of the answered leg, else of the last trunk leg
	// attempted; empty for a call that never left through a trunk.
	Carrier string   `json:"carrier"`
	Trunk   string   `json:"trunk"`
	Legs    []CDRLeg `json:"legs"`
	// Media is the call's last media quality snapshot (MediaStats), one
	// entry per anchored leg; empty for a call whose media did not go
	// through the switch. Recording and RecordingSHA256 name its WAV.
	Media           []MediaLeg `json:"media,omitempty"`
	Recording       string     `json:"recording,omitempty"`
	RecordingSHA256 string     `json:"recording_sha256,omitempty"`
	Rating
}

// Rating is what rating adds to a CDR (billing/rating): the sell side
// (Price, what the account is charged) and the buy side (Cost, what the
// carrier charges us), each from the deck in force at the call's start.
// Amounts are exact decimal strings in Currency, never floats. A CDR the
// rater has not seen has RatingStatus "".
type Rating struct {
	// RatingStatus is "rated", "unrated" (no rate for the number on a
	// side that needs one: flagged and counted, never dropped) or
	// "not_billable" (not answered, nothing to charge).
	RatingStatus string `json:"rating_status,omitempty"`
	// RatingVersion grows with every re-rating of the call; the store
	// keeps the highest, auditors can read every version.
	RatingVersion int `json:"rating_version,omitempty"`
	// Price, Currency, RateDeck ("name@vN") and RatePrefix are the sell
	// side; BillableS (above) is the sell side's billable seconds after
	// its increments and minimum.
	Price      string `json:"price,omitempty"`
	Currency   string `json:"currency,omitempty"`
	RateDeck   string `json:"rate_deck,omitempty"`
	RatePrefix string `json:"rate_prefix,omitempty"`
	// Cost, CostDeck, CostPrefix and CostBillableS are the buy side.
	Cost          string `json:"cost,omitempty"`
	CostCurrency  string `json:"cost_currency,omitempty"`
	CostDeck      string `json:"cost_deck,omitempty"`
	CostPrefix    string `json:"cost_prefix,omitempty"`
	CostBillableS int64  `json:"cost_billable_s,omitempty"`
}

// CDRID is the deterministic id of the CDR of a call's leg, so that replay
// and redelivery can never produce a second record for the same call.
func CDRID(callID, leg string) string {
	h := sha256.Sum256([]byte(callID + "\x00" + leg))
	return hex.EncodeToString(h[:16])
}

// CDR builds the call's record. Billable seconds are the answered time
// rounded up to whole seconds (a 1/1 increment); rating applies the
// carrier's increments later.
func (c *Call) CDR() (CDR, error) {
	if !c.Ended() {
		return CDR{}, ErrCallOpen
	}
	r := CDR{
		ID:          CDRID(c.id, SideA),
		CallID:      c.id,
		SIPCallID:   c.sipCallID,
		Caller:      c.caller,
		Callee:      c.callee,
		Source:      c.source,
		Start:       Timestamp(c.start),
		Answer:      Timestamp(c.answer),
		End:         Timestamp(c.end),
		DurationMS:  c.end.Sub(c.start).Milliseconds(),
		Disposition: c.disposition,
		SIPCode:     c.code,
		Reason:      c.reason,
		EndedBy:     c.endedBy,
		Legs:        make([]CDRLeg, 0, len(c.legs)),
	}
	if c.Answered() {
		ms := c.end.Sub(c.answer).Milliseconds()
		r.BillableS = (ms + 999) / 1000
	}
	for _, l := range c.legs {
		r.Legs = append(r.Legs, CDRLeg{
			Leg: l.ID, Side: l.Side, SIPCallID: l.SIPCallID, Peer: l.Peer, Target: l.Target, Trunk: l.Trunk, Carrier: l.Carrier,
			Start: Timestamp(l.Start), Answer: Timestamp(l.Answer), End: Timestamp(l.End),
			SIPCode: l.Code, Reason: l.Reason, EndedBy: l.By,
		})
	}
	r.Carrier, r.Trunk = c.billedTrunk()
	r.Media = append([]MediaLeg(nil), c.media...)
	if c.recording != nil {
		r.Recording, r.RecordingSHA256 = c.recording.Path, c.recording.SHA256
	}
	return r, nil
}

// billedTrunk is the carrier and trunk a CDR names: the answered leg's
// (empty when a registered user answered), else the last trunk leg
// attempted, whose failure is the one the caller heard.
func (c *Call) billedTrunk() (carrier, trunk string) {
	for _, l := range c.legs {
		if c.Answered() {
			if l.ID == c.answeredLeg {
				return l.Carrier, l.Trunk
			}
			continue
		}
		if l.Trunk != "" {
			carrier, trunk = l.Carrier, l.Trunk
		}
	}
	return carrier, trunk
}
