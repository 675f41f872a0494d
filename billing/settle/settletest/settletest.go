// Package settletest is the dataset and hand-computed statements every
// settle.Source is tested against, so the embedded fold and the
// ClickHouse SQL are held to the same figures.
package settletest

import (
	"fmt"
	"time"

	"softswitch/billing/settle"
	"softswitch/domain"
)

var base = time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)

// at is base + d.
func at(d time.Duration) domain.Timestamp { return domain.Timestamp(base.Add(d)) }

// call is an answered (answerMS > 0) or busy CDR.
func call(id, carrier, callee string, start time.Duration, answerMS int64, status, prefix, cost, cur string, billS int64) domain.CDR {
	r := domain.CDR{
		ID: domain.CDRID(id, domain.SideA), CallID: id, Caller: "8613900000001", Callee: callee, Carrier: carrier, Trunk: carrier + "-gw1",
		Start: at(start), Disposition: "busy", SIPCode: 486,
		Rating: domain.Rating{RatingStatus: status, RatingVersion: 1, Cost: cost, CostCurrency: cur, CostPrefix: prefix, CostBillableS: billS},
	}
	if answerMS > 0 {
		r.Disposition, r.SIPCode = "answered", 200
		r.Answer = at(start + 5*time.Second)
		r.End = domain.Timestamp(r.Answer.Time().Add(time.Duration(answerMS) * time.Millisecond))
		r.BillableS = (answerMS + 999) / 1000
	}
	r.End = orEnd(r)
	r.DurationMS = r.End.Time().Sub(r.Start.Time()).Milliseconds()
	return r
}

func orEnd(r domain.CDR) domain.Timestamp {
	if r.End.Time().IsZero() {
		return domain.Timestamp(r.Start.Time().Add(3 * time.Second))
	}
	return r.End
}

// CDRs are the dataset: carrier cm's calls over 14-16 March 2025 around
// the period [14 Mar 12:00, 16 Mar 06:00), with calls just outside it,
// another carrier's call and one to an MVNO range (8617030…).
func CDRs() []domain.CDR {
	h := time.Hour
	return []domain.CDR{
		call("c1", "cm", "8613800000001", 13*h, 60500, "rated", "86138", "0.123456", "CNY", 66),
		call("c2", "cm", "8613800000002", 14*h, 0, "not_billable", "86138", "", "", 0),
		call("c3", "cm", "8613900000003", 34*h, 120000, "rated", "86139", "1.5", "CNY", 120),
		call("c4", "cm", "8613800000004", 48*h-time.Millisecond, 30000, "rated", "86138", "0.05", "CNY", 30),
		call("c5", "cm", "8699900000005", 53*h, 10000, "unrated", "", "", "", 0),
		call("c6", "cm", "8613800000006", 55*h, 10000, "rated", "86138", "1", "CNY", 10),
		call("c7", "cm", "8613800000007", 12*h-time.Millisecond, 10000, "rated", "86138", "1", "CNY", 10),
		call("c8", "cu", "8613800000008", 36*h, 10000, "rated", "86138", "2", "CNY", 10),
		call("c9", "cm", "8617030001234", 33*h, 45000, "rated", "86170", "0.45", "CNY", 45),
	}
}

// Period is the statement period of Want.
var Period = settle.Query{Carrier: "cm", From: base.Add(12 * time.Hour), To: base.Add(54 * time.Hour)}

// WholesaleRanges is the MVNO's number range in the dataset.
var WholesaleRanges = []string{"8617030"}

// Want is cm's statement over Period, computed by hand:
//
//	""     c5           1 call, 1 answered unrated, 0 s, 10 s talk, 0
//	86138  c1 c2 c4     3 calls, 2 answered, 66+30 s, 60.5+30 s talk, 0.123456+0.05
//	86139  c3           1, 1, 120 s, 120 s, 1.5
//	86170  c9           1, 1, 45 s, 45 s, 0.45
//
// ACD 86138 = 90.5/2 = 45.25 -> 45.3 (half up); total ACD 265.5/5 = 53.1.
const Want = `cm CNY calls=6 answered=5 unrated=1 billable_s=261 minutes=4.35 amount=2.123456 asr=0.8333 acd=53.1
 "" 1 1 1 0 0 0.00 1 10
 "86138" 3 2 0 96 1.6 0.173456 0.6667 45.3
 "86139" 1 1 0 120 2 1.50 1 120
 "86170" 1 1 0 45 0.75 0.45 1 45`

// WantWholesale is the statement of Period narrowed to WholesaleRanges.
const WantWholesale = `cm CNY calls=1 answered=1 unrated=0 billable_s=45 minutes=0.75 amount=0.45 asr=1 acd=45
 "86170" 1 1 0 45 0.75 0.45 1 45`

// Late is a CDR that arrives after a first statement (day 15): a source
// must include it in the next one.
func Late() domain.CDR {
	return call("c10", "cm", "8613900000010", 40*time.Hour, 60000, "rated", "86139", "0.6", "CNY", 60)
}

// WantWithLate is Want after Late.
const WantWithLate = `cm CNY calls=7 answered=6 unrated=1 billable_s=321 minutes=5.35 amount=2.723456 asr=0.8571 acd=54.3
 "" 1 1 1 0 0 0.00 1 10
 "86138" 3 2 0 96 1.6 0.173456 0.6667 45.3
 "86139" 2 2 0 180 3 2.10 1 90
 "86170" 1 1 0 45 0.75 0.45 1 45`

// Format renders a statement the way Want is written.
func Format(st settle.Statement) string {
	s := fmt.Sprintf("%s %s calls=%d answered=%d unrated=%d billable_s=%d minutes=%s amount=%s asr=%s acd=%s",
		st.Carrier, st.Currency, st.Calls, st.Answered, st.Unrated, st.BillableS, st.Minutes, st.Amount, st.ASR, st.ACD)
	for _, l := range st.Lines {
		s += fmt.Sprintf("\n %q %d %d %d %d %s %s %s %s", l.Prefix, l.Calls, l.Answered, l.Unrated, l.BillableS, l.Minutes, l.Amount, l.ASR, l.ACD)
	}
	return s
}
