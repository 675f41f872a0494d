package compliance

import (
	"errors"
	"strings"
	"testing"
)

// FuzzDNCImport feeds ParseDNCCSV arbitrary files. It must not panic;
// on a fatal error nothing is returned; otherwise every row is either
// loaded or rejected with a cause, a line within the file and a column
// 1–3, and every loaded key is a valid E.164 key that ImportCSV then finds
// in the list. Seeds are in testdata/fuzz/FuzzDNCImport.
func FuzzDNCImport(f *testing.F) {
	f.Add([]byte("\ufeffnumber,reason\n13800138000,complaint\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, rejected, err := ParseDNCCSV(strings.NewReader(string(in)))
		if err != nil {
			if !errors.Is(err, ErrImport) || len(b.Add) != 0 || rejected != nil {
				t.Fatalf("fatal %v with %d rows and %d rejected", err, len(b.Add), len(rejected))
			}
			return
		}
		lines := strings.Count(string(in), "\n") + 1
		for _, r := range rejected {
			if r.Line < 1 || r.Line > lines || r.Column < 1 || r.Column > 3 || r.Err == nil || !errors.Is(r, ErrRejectedRow) {
				t.Fatalf("bad rejection %+v (file has %d lines)", r, lines)
			}
		}
		if b.Reasons != nil && len(b.Reasons) != len(b.Add) {
			t.Fatalf("%d reasons for %d numbers", len(b.Reasons), len(b.Add))
		}
		for _, k := range b.Add {
			if k < 1_000_000 || k >= 1e15 {
				t.Fatalf("key %d is not 7–15 digits", k)
			}
			if back, err := ParseKey(FormatKey(k)); err != nil || back != k {
				t.Fatalf("key %d reads back as %d, %v", k, back, err)
			}
		}
		d := NewDNC()
		d.SetDeltaMax(2)
		if v, _, err := d.ImportCSV(strings.NewReader(string(in))); err != nil || v != 1 {
			t.Fatalf("ImportCSV: %d, %v", v, err)
		}
		for _, k := range b.Add {
			if !d.Contains(k) {
				t.Fatalf("%d loaded but not listed", k)
			}
		}
	})
}
