package domain

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestClickToCallSteps(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	if _, err := NewClickToCall(ClickToCallRequested{ID: "x", Agent: "6001"}, at); !errors.Is(err, ErrInvalidClickToCall) {
		t.Fatalf("no number: %v", err)
	}
	tests := []struct {
		name    string
		steps   []string
		wantErr int // index of the first refused step, -1 for none
	}{
		{"in order", []string{StepAgentDialing, StepAgentAnswered, StepNumberDialing, StepNumberAnswered, StepBridged}, -1},
		{"number before the agent answered", []string{StepAgentDialing, StepNumberDialing}, 1},
		{"bridged without the number", []string{StepAgentDialing, StepAgentAnswered, StepBridged}, 2},
		{"unknown step", []string{"teleported"}, 0},
		{"a step twice", []string{StepAgentDialing, StepAgentDialing}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClickToCall(ClickToCallRequested{ID: "x", Agent: "6001", Number: "13800138000"}, at)
			if err != nil {
				t.Fatal(err)
			}
			refused := -1
			for i, s := range tt.steps {
				if err := c.Step(s, "", at); err != nil {
					if !errors.Is(err, ErrInvalidClickToCall) {
						t.Fatalf("step %s: %v", s, err)
					}
					refused = i
					break
				}
			}
			if refused != tt.wantErr {
				t.Fatalf("refused at %d, want %d (steps %v)", refused, tt.wantErr, c.Steps())
			}
		})
	}
}

func TestClickToCallEndsOnce(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	c, _ := NewClickToCall(ClickToCallRequested{ID: "x", Agent: "6001", Number: "13800138000"}, at)
	_ = c.Step(StepAgentDialing, "a@h", at)
	c.End(ClickToCallEnded{Outcome: OutcomeAgentFailed, Code: 480}, at)
	c.End(ClickToCallEnded{Outcome: OutcomeCompleted}, at)
	if err := c.Step(StepAgentAnswered, "", at); err == nil {
		t.Fatal("a step after the end was taken")
	}
	var types []string
	for _, r := range c.Pending() {
		types = append(types, r.Event.EventType())
		if r.Event.AggregateKey() != "clicktocall:x" {
			t.Fatalf("event under %s", r.Event.AggregateKey())
		}
	}
	want := []string{TypeClickToCallRequested, TypeClickToCallStep, TypeClickToCallEnded}
	if !slices.Equal(types, want) || c.Outcome() != OutcomeAgentFailed || c.Pending() != nil {
		t.Fatalf("recorded %v, outcome %s", types, c.Outcome())
	}
}
