package compliance

import (
	"errors"
	"testing"
	"time"
)

func TestRetryNext(t *testing.T) {
	r, err := NewRetry(RetryConfig{Rules: map[string]RetryRule{OutcomeBusy: {MaxAttempts: 2, Interval: 5 * time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	last := at(t, time.UTC, "2026-01-05 01:00")
	tests := []struct {
		outcome  string
		attempts int
		retry    bool
		after    time.Duration
	}{
		{OutcomeBusy, 1, true, 5 * time.Minute}, // configured
		{OutcomeBusy, 2, false, 0},
		{OutcomeNoAnswer, 1, true, time.Hour}, // default
		{OutcomeNoAnswer, 2, true, time.Hour},
		{OutcomeNoAnswer, 3, false, 0},
		{OutcomeCongestion, 4, true, 2 * time.Minute},
		{OutcomePoweredOff, 1, true, 2 * time.Hour},
		{OutcomeMachine, 1, true, 4 * time.Hour},
		{OutcomeInvalid, 0, false, 0}, // never, whatever the count
		{OutcomeInvalid, 1, false, 0},
		{OutcomeAnswered, 1, false, 0},
		{OutcomeRejected, 1, false, 0},
		{"cosmic_ray", 1, false, 0},
	}
	for _, tt := range tests {
		got, retry := r.Next(tt.outcome, tt.attempts, last)
		want := time.Time{}
		if tt.retry {
			want = last.Add(tt.after)
		}
		if retry != tt.retry || !got.Equal(want) {
			t.Errorf("Next(%s, %d) = %v %v, want %v %v", tt.outcome, tt.attempts, got, retry, want, tt.retry)
		}
	}
}

func TestRetryValidate(t *testing.T) {
	for _, tt := range []struct {
		rules map[string]RetryRule
		field string
	}{
		{map[string]RetryRule{OutcomeInvalid: {MaxAttempts: 2, Interval: time.Hour}}, "retry.rules[invalid_number].max_attempts"},
		{map[string]RetryRule{"nope": {MaxAttempts: 1}}, "retry.rules[nope]"},
		{map[string]RetryRule{OutcomeBusy: {MaxAttempts: 0}}, "retry.rules[busy].max_attempts"},
		{map[string]RetryRule{OutcomeBusy: {MaxAttempts: 3}}, "retry.rules[busy].interval"},
	} {
		var ce *ConfigError
		if err := (RetryConfig{Rules: tt.rules}).Validate(); !errors.As(err, &ce) || ce.Field != tt.field {
			t.Errorf("%v: %v, want %s", tt.rules, err, tt.field)
		}
	}
}
