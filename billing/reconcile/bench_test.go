package reconcile_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"softswitch/billing/reconcile"
)

// synthetic returns n calls of ours and the carrier's file of the same
// calls, with starts jittered by up to ±1 s, every 1000th call dropped on
// each side and every 500th one 5 s longer there. Callees repeat (n/4
// numbers) so the per-callee windows are exercised.
func synthetic(n int) (ours []reconcile.Call, file []byte) {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("start,caller,callee,duration_s,amount,currency\n")
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i := range n {
		callee := fmt.Sprintf("86138%08d", r.IntN(n/4+1))
		start := t0 + int64(i)*2600 // a month of calls at 1M
		dur := int64(1000 * (1 + r.IntN(600)))
		amount := dur * 100
		if i%1000 != 7 {
			ours = append(ours, reconcile.Call{ID: fmt.Sprint(i), Callee: callee, Start: start, DurationMS: dur, Amount: amount, Currency: "CNY"})
		}
		if i%1000 == 3 {
			continue
		}
		if i%500 == 1 {
			dur += 5000
		}
		jit := int64(r.IntN(2001) - 1000)
		fmt.Fprintf(&b, "%s,8613900000001,%s,%d,%s,CNY\n", time.UnixMilli(start+jit).UTC().Format(time.RFC3339Nano), callee, dur/1000, microsText(amount))
	}
	return ours, b.Bytes()
}

func microsText(v int64) string { return fmt.Sprintf("%d.%06d", v/1_000_000, v%1_000_000) }

// BenchmarkReconcile1M reads a 1M-row carrier file and matches it against
// 1M of our calls: the issue's ≤ 10 s target (docs/benchmarks.md).
func BenchmarkReconcile1M(b *testing.B) {
	ours, file := synthetic(1_000_000)
	b.SetBytes(int64(len(file)))
	b.ResetTimer()
	for b.Loop() {
		theirs, err := reconcile.ReadCSV(bytes.NewReader(file))
		if err != nil {
			b.Fatal(err)
		}
		res, err := reconcile.Match(slices.Clone(ours), theirs, reconcile.DefaultOptions)
		if err != nil {
			b.Fatal(err)
		}
		if res.MissingOurs.Calls != 1000 || res.MissingTheirs.Calls != 1000 || res.DurationMismatch != 2000 {
			b.Fatalf("missing ours %d theirs %d, duration %d", res.MissingOurs.Calls, res.MissingTheirs.Calls, res.DurationMismatch)
		}
	}
}
