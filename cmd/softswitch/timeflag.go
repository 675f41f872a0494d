package main

import (
	"fmt"
	"time"
)

// timeFlag is a flag.Value holding an RFC 3339 time; the zero time means
// the flag was not given.
type timeFlag time.Time

func (f *timeFlag) String() string {
	if f == nil || time.Time(*f).IsZero() {
		return ""
	}
	return time.Time(*f).Format(time.RFC3339Nano)
}

func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("want an RFC 3339 time such as 2026-11-24T10:00:00Z: %w", err)
	}
	*f = timeFlag(t)
	return nil
}
