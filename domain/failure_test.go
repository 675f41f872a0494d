package domain

import (
	"errors"
	"fmt"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		cause error
		code  int
		disp  string
	}{
		{ErrCalleeBusy, 486, DispositionBusy},
		{ErrNoAnswer, 480, DispositionNoAnswer},
		{ErrCancelled, 487, DispositionCancelled},
		{ErrUnknownCallee, 404, DispositionFailed},
		{ErrCalleeOffline, 480, DispositionFailed},
		{ErrCalleeDeclined, 603, DispositionFailed},
		{ErrCalleeUnreachable, 408, DispositionFailed},
		{ErrForbidden, 403, DispositionFailed},
		{ErrOverloaded, 503, DispositionFailed},
		{ErrMaxDuration, 200, DispositionAnswered},
		{ErrNoRoute, 404, DispositionFailed},
		{ErrTrunksFull, 503, DispositionFailed},
		{ErrCallBarred, 403, DispositionFailed},
		{ErrTrunkUnreachable, 504, DispositionFailed},
		{ErrInvalidNumber, 484, DispositionFailed},
		{ErrInsufficientFunds, 402, DispositionFailed},
		{ErrSpendCap, 403, DispositionFailed},
		{ErrUnratedDestination, 403, DispositionFailed},
		{ErrCreditExhausted, 200, DispositionAnswered},
		{&BarredError{Number: "44", Rule: "international"}, 403, DispositionFailed},
		{errors.New("boom"), 500, DispositionFailed},
		{fmt.Errorf("wrapped: %w", ErrCalleeBusy), 486, DispositionBusy},
	}
	for _, tt := range tests {
		t.Run(tt.cause.Error(), func(t *testing.T) {
			f := Classify(tt.cause)
			if f.Code != tt.code || f.Disposition != tt.disp {
				t.Fatalf("Classify(%v) = %d/%s, want %d/%s", tt.cause, f.Code, f.Disposition, tt.code, tt.disp)
			}
			// Only a full trunk group asks the caller to retry later.
			if wantRetry := errors.Is(tt.cause, ErrTrunksFull); (f.RetryAfter > 0) != wantRetry {
				t.Fatalf("RetryAfter = %v, want one: %v", f.RetryAfter, wantRetry)
			}
			if !errors.Is(f, tt.cause) {
				t.Fatalf("classified failure does not wrap its cause")
			}
			var cf *CallFailure
			if !errors.As(error(f), &cf) || Classify(f) != f {
				t.Fatalf("a CallFailure must classify to itself")
			}
		})
	}
}

func TestClassifyResponse(t *testing.T) {
	tests := []struct {
		code int
		disp string
	}{
		{486, DispositionBusy},
		{600, DispositionBusy},
		{408, DispositionNoAnswer},
		{480, DispositionNoAnswer},
		{487, DispositionCancelled},
		{603, DispositionFailed},
		{404, DispositionFailed},
		{604, DispositionFailed},
		{500, DispositionFailed},
		{503, DispositionFailed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			f := ClassifyResponse(tt.code, "")
			if f.Code != tt.code || f.Disposition != tt.disp {
				t.Fatalf("got %d/%s, want %d/%s", f.Code, f.Disposition, tt.code, tt.disp)
			}
		})
	}
}
