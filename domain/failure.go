package domain

import (
	"errors"
	"fmt"
	"time"
)

// CDR dispositions, as billing teams query them.
const (
	DispositionAnswered  = "answered"
	DispositionBusy      = "busy"
	DispositionNoAnswer  = "no_answer"
	DispositionCancelled = "cancelled"
	DispositionFailed    = "failed"
)

// Sentinel causes of call failure. Each one classifies into a SIP code, a
// CDR disposition and a reason through Classify.
var (
	ErrCalleeBusy        = errors.New("callee busy")
	ErrNoAnswer          = errors.New("no answer")
	ErrCancelled         = errors.New("cancelled by caller")
	ErrUnknownCallee     = errors.New("unknown callee")
	ErrCalleeOffline     = errors.New("callee not registered")
	ErrCalleeDeclined    = errors.New("callee declined")
	ErrCalleeUnreachable = errors.New("callee unreachable")
	ErrMaxDuration       = errors.New("maximum call duration reached")
	ErrForbidden         = errors.New("forbidden")
	ErrOverloaded        = errors.New("switch overloaded")

	// Interconnect causes: calls to numbers through carriers' trunks.
	ErrNoRoute          = errors.New("no route for the number")
	ErrTrunksFull       = errors.New("every candidate trunk at capacity")
	ErrCallBarred       = errors.New("call barred by subscriber policy")
	ErrTrunkUnreachable = errors.New("trunk unreachable")
	ErrInvalidNumber    = errors.New("invalid number")

	// Spend control causes (billing): what an account may still spend.
	ErrInsufficientFunds  = errors.New("prepaid balance exhausted")
	ErrSpendCap           = errors.New("daily spend cap reached")
	ErrUnratedDestination = errors.New("no rate for the destination")
	ErrCreditExhausted    = errors.New("credit ran out during the call")
	// ErrAccountBusy: the account already has its max_concurrent_calls.
	ErrAccountBusy = errors.New("account at its concurrent call limit")
	// ErrLedgerUnavailable: the account's reservation was not decided in
	// time (the shared log is unreachable); the call is refused, never
	// let through unbilled.
	ErrLedgerUnavailable = errors.New("account ledger unavailable")

	// Dead-call causes (RFC 4028 session timers, crash recovery).
	ErrSessionExpired          = errors.New("session refresh failed or the session interval lapsed")
	ErrNodeRestarted           = errors.New("the node handling the call restarted")
	ErrSessionIntervalTooSmall = errors.New("session interval below the switch's Min-SE")
	// ErrMediaTimeout: an answered call's relay received no RTP from
	// either leg for media.timeout (media.hold_timeout while on hold).
	ErrMediaTimeout = errors.New("no media from either side within the media timeout")
	// ErrMediaUnavailable: no RTP port pair was free for the call.
	ErrMediaUnavailable = errors.New("no media port free")
)

// LedgerRetryAfter is the Retry-After sent when the ledger did not decide.
const LedgerRetryAfter = 5 * time.Second

// TrunksFullRetryAfter is the Retry-After the switch suggests when every
// trunk is full: long enough for a few calls to end or a second of CPS
// to pass, short enough that a retried call is still wanted.
const TrunksFullRetryAfter = 5 * time.Second

// CallFailure is a call's failure as the switch reports it: the code sent to
// the caller, the disposition written in the CDR, and a reason for people.
type CallFailure struct {
	Code        int
	Disposition string
	Reason      string
	Cause       error
	// RetryAfter, when positive, is sent as a Retry-After header (whole
	// seconds, RFC 3261 §20.33) with the final response.
	RetryAfter time.Duration
}

func (f *CallFailure) Error() string {
	return fmt.Sprintf("call failed: %d %s (%s)", f.Code, f.Reason, f.Disposition)
}

func (f *CallFailure) Unwrap() error { return f.Cause }

// Classify maps a cause to its failure. Unknown causes are 500/failed.
func Classify(cause error) *CallFailure {
	var cf *CallFailure
	if errors.As(cause, &cf) {
		return cf
	}
	f := func(code int, disp, reason string) *CallFailure {
		return &CallFailure{Code: code, Disposition: disp, Reason: reason, Cause: cause}
	}
	switch {
	case errors.Is(cause, ErrCalleeBusy):
		return f(486, DispositionBusy, "Busy Here")
	case errors.Is(cause, ErrNoAnswer):
		return f(480, DispositionNoAnswer, "Temporarily Unavailable")
	case errors.Is(cause, ErrCancelled):
		return f(487, DispositionCancelled, "Request Terminated")
	case errors.Is(cause, ErrUnknownCallee):
		return f(404, DispositionFailed, "Not Found")
	case errors.Is(cause, ErrCalleeOffline):
		return f(480, DispositionFailed, "Temporarily Unavailable")
	case errors.Is(cause, ErrCalleeDeclined):
		return f(603, DispositionFailed, "Decline")
	case errors.Is(cause, ErrCalleeUnreachable):
		return f(408, DispositionFailed, "Request Timeout")
	case errors.Is(cause, ErrForbidden):
		return f(403, DispositionFailed, "Forbidden")
	case errors.Is(cause, ErrOverloaded):
		return f(503, DispositionFailed, "Service Unavailable")
	case errors.Is(cause, ErrMaxDuration):
		return f(200, DispositionAnswered, "Maximum Duration")
	case errors.Is(cause, ErrNoRoute):
		// 404 (§21.4.5), not 503: nothing here will reach this number
		// later either, and 503 would invite the caller's proxy to retry
		// (RFC 3263 §4.3). RFC 3398 §8.2.6.1 maps ISUP cause 3 "no route
		// to destination" to 404 too.
		return f(404, DispositionFailed, "No Route")
	case errors.Is(cause, ErrTrunksFull):
		// 503 (§21.5.4): the switch is temporarily unable to place the
		// call; Retry-After tells the caller when capacity may be back.
		r := f(503, DispositionFailed, "Service Unavailable")
		r.RetryAfter = TrunksFullRetryAfter
		return r
	case errors.Is(cause, ErrCallBarred):
		// 403 (§21.4.4): the switch understood and refuses; RFC 3398
		// maps the barring causes (55, 57) to 403 as well.
		return f(403, DispositionFailed, "Call Barred")
	case errors.Is(cause, ErrTrunkUnreachable):
		// 504 (§21.5.5): "did not receive a timely response from an
		// external server it accessed", which is what a transport error
		// or Timer B on the last trunk is. Not 503: that would say this
		// switch is overloaded and share ErrTrunksFull's code; not 502:
		// that is an invalid answer, and there was none.
		return f(504, DispositionFailed, "Server Time-out")
	case errors.Is(cause, ErrInsufficientFunds):
		// 402 Payment Required (§21.4.3, "reserved for future use" but
		// what softswitches send for an empty prepaid account).
		return f(402, DispositionFailed, "Payment Required")
	case errors.Is(cause, ErrSpendCap):
		// 403 (§21.4.4): refused by policy, the toll-fraud guard.
		return f(403, DispositionFailed, "Spend Cap Reached")
	case errors.Is(cause, ErrUnratedDestination):
		// 403: a call that cannot be priced is not placed.
		return f(403, DispositionFailed, "Destination Not Rated")
	case errors.Is(cause, ErrCreditExhausted):
		// The call was answered and is cut with BYE; 200 is its code.
		return f(200, DispositionAnswered, "Credit Exhausted")
	case errors.Is(cause, ErrAccountBusy):
		// 486 (§21.4.24): the caller's side is busy, not the callee; no
		// proxy fails 486 over to another route, unlike a 503, which is
		// what a per-account channel limit must not invite.
		return f(486, DispositionFailed, "Account Call Limit")
	case errors.Is(cause, ErrLedgerUnavailable):
		r := f(503, DispositionFailed, "Service Unavailable")
		r.RetryAfter = LedgerRetryAfter
		return r
	case errors.Is(cause, ErrSessionExpired):
		// RFC 4028 §10: the session is over; 408 is what ended it.
		return f(408, DispositionFailed, "Session Expired")
	case errors.Is(cause, ErrMediaTimeout):
		// The switch hangs up with BYE, as rtpengine's timeout makes
		// Kamailio do; answered, so billed to the last packet.
		return f(200, DispositionAnswered, "Media Timeout")
	case errors.Is(cause, ErrMediaUnavailable):
		// 503 (§21.5.4): this node is out of media ports, another may not be.
		return f(503, DispositionFailed, "Media Ports Exhausted")
	case errors.Is(cause, ErrNodeRestarted):
		return f(500, DispositionFailed, "Node Restarted")
	case errors.Is(cause, ErrSessionIntervalTooSmall):
		// RFC 4028 §6: 422 carries the switch's Min-SE.
		return f(422, DispositionFailed, "Session Interval Too Small")
	case errors.Is(cause, ErrInvalidNumber):
		// 484 (§21.4.22): the number is too short or malformed to
		// route; RFC 3398 maps cause 28 "invalid number format" to 484.
		return f(484, DispositionFailed, "Address Incomplete")
	}
	return f(500, DispositionFailed, "Server Internal Error")
}

// ClassifyResponse maps a callee's final failure response (RFC 3261 §21) to
// the failure the caller sees. The callee's code is relayed as is; only the
// disposition is derived.
func ClassifyResponse(code int, reason string) *CallFailure {
	disp := DispositionFailed
	var cause error
	switch code {
	case 486, 600:
		disp, cause = DispositionBusy, ErrCalleeBusy
	case 408, 480:
		disp, cause = DispositionNoAnswer, ErrNoAnswer
	case 487:
		disp, cause = DispositionCancelled, ErrCancelled
	case 603:
		cause = ErrCalleeDeclined
	case 404, 604:
		cause = ErrUnknownCallee
	default:
		cause = fmt.Errorf("callee answered %d", code)
	}
	if reason == "" {
		reason = fmt.Sprintf("SIP %d", code)
	}
	return &CallFailure{Code: code, Disposition: disp, Reason: reason, Cause: cause}
}
