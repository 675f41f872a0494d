package main

import (
	"net/http"
	"time"

	"softswitch/audit/replay"
	"softswitch/billing/cdr"
	"softswitch/domain"
)

// ladderDoc is GET /api/v1/calls/{id}/ladder: what `softswitch replay`
// prints, as data the console draws: the SIP ladder, legs, route
// decisions, media events and the rating of the call's CDR.
type ladderDoc struct {
	CallID    string            `json:"call_id"`
	SIPCallID string            `json:"sip_call_id"`
	Caller    string            `json:"caller"`
	Callee    string            `json:"callee"`
	Source    string            `json:"source"`
	Start     time.Time         `json:"start"`
	Ladder    replay.Diagram    `json:"ladder"`
	Legs      []ladderLeg       `json:"legs"`
	Routes    []ladderRoute     `json:"routes"`
	Media     []ladderMedia     `json:"media"`
	Outcome   *ladderOutcome    `json:"outcome,omitempty"`
	Rating    *domain.Rating    `json:"rating,omitempty"`
	Quality   []domain.MediaLeg `json:"quality,omitempty"`
}

type ladderLeg struct {
	Leg     string `json:"leg"`
	Side    string `json:"side"`
	Peer    string `json:"peer"`
	Trunk   string `json:"trunk,omitempty"`
	Carrier string `json:"carrier,omitempty"`
	Result  string `json:"result"`
}

type ladderRoute struct {
	OffsetMs float64 `json:"offset_ms"`
	domain.RouteDecision
}

type ladderMedia struct {
	OffsetMs float64 `json:"offset_ms"`
	Text     string  `json:"text"`
}

type ladderOutcome struct {
	Disposition string `json:"disposition"`
	Code        string `json:"code"`
	Reason      string `json:"reason,omitempty"`
	By          string `json:"by"`
	BillableS   int64  `json:"billable_s"`
}

func (a *admin) callLadder(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var envs []domain.Envelope
	err := a.journal.ReadAggregate(r.Context(), domain.CallKey(id), func(env domain.Envelope) error {
		envs = append(envs, domain.RedactSecrets(env))
		return nil
	})
	if err != nil {
		http.Error(w, "read the journal: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if len(envs) == 0 {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	h, err := replay.Build(id, envs)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	doc := ladderFrom(h)
	if c := a.cdrOf(r, h); c != nil {
		doc.Rating, doc.Quality = &c.Rating, c.Media
	}
	writeJSON(w, http.StatusOK, doc)
}

// ladderFrom turns a history into the document, offsets from its origin.
func ladderFrom(h replay.History) ladderDoc {
	t0 := h.Origin()
	off := func(t time.Time) float64 {
		if t.IsZero() || t0.IsZero() {
			return 0
		}
		return float64(t.Sub(t0)) / float64(time.Millisecond)
	}
	doc := ladderDoc{CallID: h.CallID, SIPCallID: h.SIPCallID, Caller: h.Caller, Callee: h.Callee, Source: h.Source,
		Start: t0, Ladder: replay.Ladder(h), Legs: []ladderLeg{}, Routes: []ladderRoute{}, Media: []ladderMedia{}}
	for _, l := range h.Legs {
		res := "open"
		if !l.Ended.IsZero() {
			res = "ended " + replay.CodeText(l.Code, l.Reason) + " by " + l.By
		}
		if !l.Answered.IsZero() {
			res = "answered; " + res
		}
		doc.Legs = append(doc.Legs, ladderLeg{Leg: l.ID, Side: l.Side, Peer: l.Peer, Trunk: l.Trunk, Carrier: l.Carrier, Result: res})
	}
	for _, rt := range h.Routes {
		doc.Routes = append(doc.Routes, ladderRoute{OffsetMs: off(rt.At), RouteDecision: rt.RouteDecision})
	}
	for _, m := range h.Media {
		doc.Media = append(doc.Media, ladderMedia{OffsetMs: off(m.At), Text: replay.MediaLine(m.Event)})
	}
	if h.End != nil {
		doc.Outcome = &ladderOutcome{Disposition: h.End.Disposition, Code: replay.CodeText(h.End.Code, ""), Reason: h.End.Reason,
			By: h.End.By}
		if h.AnsweredLeg != "" {
			doc.Outcome.BillableS = h.BillableS()
		}
	}
	return doc
}

// cdrOf finds the call's CDR in the store (by caller and callee, then its
// call id), nil when there is none yet: rating is optional on the page.
func (a *admin) cdrOf(r *http.Request, h replay.History) *domain.CDR {
	store := a.pipe.store()
	if store == nil {
		return nil
	}
	list, err := store.List(r.Context(), cdr.Filter{Caller: h.Caller, Callee: h.Callee, Since: h.Origin().Add(-time.Minute)})
	if err != nil {
		return nil
	}
	for i := range list {
		if list[i].CallID == h.CallID {
			return &list[i]
		}
	}
	return nil
}
