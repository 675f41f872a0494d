package compliance

import (
	"slices"
	"testing"
)

func TestKey(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
	}{
		{"13800138000", 8613800138000},
		{"+86 138-0013-8000", 8613800138000},
		{"010-12345678", 861012345678},
		{"+14155550100", 14155550100},
		{"+442079460000", 442079460000},
	} {
		if got := mustKey(t, tt.in); got != tt.want {
			t.Errorf("ParseKey(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	if _, ok := Key(mustNumber(t, "+999999999999999")); !ok {
		t.Error("15-digit number has no key")
	}
	if FormatKey(8613800138000) != "+8613800138000" {
		t.Error(FormatKey(8613800138000))
	}
}

func TestDNCApply(t *testing.T) {
	type step struct {
		add, remove []uint64
		in, out     []uint64 // checked after the step
		len         int
	}
	tests := []struct {
		name  string
		base  []uint64
		steps []step
	}{
		{"add to empty", nil, []step{
			{add: []uint64{3, 1, 2, 2}, in: []uint64{1, 2, 3}, out: []uint64{0, 4}, len: 3},
		}},
		{"remove from base then re-add", []uint64{10, 20, 30}, []step{
			{remove: []uint64{20}, in: []uint64{10, 30}, out: []uint64{20}, len: 2},
			{add: []uint64{20}, in: []uint64{10, 20, 30}, len: 3},
		}},
		{"remove from delta", []uint64{10}, []step{
			{add: []uint64{5}, in: []uint64{5, 10}, len: 2},
			{remove: []uint64{5}, in: []uint64{10}, out: []uint64{5}, len: 1},
		}},
		{"add then remove in one batch ends removed", []uint64{10}, []step{
			{add: []uint64{7, 10}, remove: []uint64{7, 10}, out: []uint64{7, 10}, len: 0},
		}},
		{"removing what is absent is a no-op", []uint64{10}, []step{
			{remove: []uint64{11}, in: []uint64{10}, out: []uint64{11}, len: 1},
		}},
		{"many steps cross the merge threshold", []uint64{100, 200}, []step{
			{add: []uint64{1, 2, 3}, len: 5},
			{remove: []uint64{100, 2}, in: []uint64{1, 3, 200}, out: []uint64{2, 100}, len: 3},
			{add: []uint64{100, 4, 5, 6}, in: []uint64{1, 3, 4, 5, 6, 100, 200}, out: []uint64{2}, len: 7},
			{remove: []uint64{1, 3, 4, 5, 6, 100, 200}, out: []uint64{1, 100, 200}, len: 0},
		}},
	}
	for _, deltaMax := range []int{1, 4, DefaultDeltaMax} {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := LoadDNC(7, slices.Clone(tt.base))
				d.SetDeltaMax(deltaMax)
				for i, s := range tt.steps {
					v := d.Apply(Batch{Add: s.add, Remove: s.remove})
					if v != uint64(8+i) || d.Version() != v {
						t.Fatalf("deltaMax %d step %d: version %d (Version %d), want %d", deltaMax, i, v, d.Version(), 8+i)
					}
					for _, k := range s.in {
						if !d.Contains(k) {
							t.Errorf("deltaMax %d step %d: %d missing", deltaMax, i, k)
						}
					}
					for _, k := range s.out {
						if listed, ver := d.Lookup(k); listed || ver != v {
							t.Errorf("deltaMax %d step %d: %d listed=%v at version %d", deltaMax, i, k, listed, ver)
						}
					}
					if d.Len() != s.len {
						t.Errorf("deltaMax %d step %d: Len %d, want %d", deltaMax, i, d.Len(), s.len)
					}
				}
			})
		}
	}
}

// A published snapshot never changes: a reader holding an old version
// keeps seeing it while writers move on.
func TestDNCSnapshotsImmutable(t *testing.T) {
	d := LoadDNC(0, []uint64{1, 2, 3})
	d.SetDeltaMax(1)
	old := d.cur.Load()
	d.Apply(Batch{Add: []uint64{4, 5}, Remove: []uint64{1}})
	if !old.contains(1) || old.contains(4) || old.version != 0 {
		t.Fatal("old snapshot changed")
	}
	if d.Contains(1) || !d.Contains(4) {
		t.Fatal("new snapshot wrong")
	}
}

func TestDNCApplyDoesNotModifyBatch(t *testing.T) {
	b := Batch{Add: []uint64{3, 1, 2}}
	NewDNC().Apply(b)
	if !slices.Equal(b.Add, []uint64{3, 1, 2}) {
		t.Fatal(b.Add)
	}
}
