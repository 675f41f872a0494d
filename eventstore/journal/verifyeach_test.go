package journal_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

// TestVerifyEach: the records of the wanted types in the checked range
// reach fn whole, in log order, in the pass that verifies them; fn's
// error ends it; other records are only verified.
func TestVerifyEach(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(t.Context(), dir, journal.Options{SegmentBytes: 8 << 10, NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var envs []domain.Envelope
	for i := range 200 {
		env := storetest.Envelope(i, "call:v", uint64(i+1))
		switch i % 10 {
		case 3:
			env.Type = domain.TypeRecording
		case 7:
			env.Type = domain.TypeDTMF
		}
		envs = append(envs, env)
	}
	if err := j.Append(t.Context(), envs); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		from, to uint64
		types    []string
		want     []uint64 // positions
	}{
		{"whole log, one type", 0, 0, []string{domain.TypeRecording}, every(4, 200, 10)},
		{"two types", 0, 0, []string{domain.TypeDTMF, domain.TypeRecording}, merge(every(4, 200, 10), every(8, 200, 10))},
		{"a range", 50, 120, []string{domain.TypeRecording}, every(54, 120, 10)},
		{"no such type", 0, 0, []string{"call.nothing"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []uint64
			res, err := journal.VerifyEach(t.Context(), dir, tc.from, tc.to, tc.types, func(env domain.Envelope) error {
				// Whole: what was appended at that position.
				w := envs[env.Position-1]
				if env.ID != w.ID || env.Type != w.Type || string(env.Payload) != string(w.Payload) || !env.Time.Equal(w.Time) {
					t.Errorf("position %d: %+v, want %+v", env.Position, env, w)
				}
				if !slices.Contains(tc.types, env.Type) {
					t.Errorf("position %d: type %s", env.Position, env.Type)
				}
				got = append(got, env.Position)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Head == 0 || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("visited %v (head %d), want %v", got, res.Head, tc.want)
			}
		})
	}

	stop := errors.New("stop")
	n := 0
	_, err = journal.VerifyEach(t.Context(), dir, 0, 0, []string{domain.TypeRecording}, func(domain.Envelope) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("err %v after %d records, want fn's error after 3", err, n)
	}
}

// every is first, first+step, ... up to last.
func every(first, last, step uint64) []uint64 {
	var out []uint64
	for p := first; p <= last; p += step {
		out = append(out, p)
	}
	return out
}

func merge(a, b []uint64) []uint64 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return out
}
