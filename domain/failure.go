package domain

import (
	"errors"
	"fmt"
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
)

// CallFailure is a call's failure as the switch reports it: the code sent to
// the caller, the disposition written in the CDR, and a reason for people.
type CallFailure struct {
	Code        int
	Disposition string
	Reason      string
	Cause       error
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
