package replay

import (
	"reflect"
	"testing"
)

// TestLadderDiagram: the diagram has the ladder's columns and arrows, in
// time order, with offsets from the call's origin (the earliest instant
// the log knows: the A-leg INVITE, 3 ms before call.started).
func TestLadderDiagram(t *testing.T) {
	h, err := Build(callID, failoverCall(t))
	if err != nil {
		t.Fatal(err)
	}
	d := Ladder(h)
	if want := []string{"caller", "switch", "trunk-a", "trunk-b"}; !reflect.DeepEqual(d.Columns, want) {
		t.Fatalf("columns %v, want %v", d.Columns, want)
	}
	type arrow struct {
		from, to int
		label    string
	}
	want := []arrow{
		{0, 1, "INVITE"}, {1, 2, "INVITE"}, {2, 1, "503 Service Unavailable"}, {1, 3, "INVITE"}, {3, 1, "180 Ringing"},
		{3, 1, "200 OK"}, {1, 0, "200 OK"}, {0, 1, "BYE"}, {1, 0, "200 OK"}, {1, 3, "BYE"}, {3, 1, "200 OK"},
	}
	var got []arrow
	for i, a := range d.Arrows {
		got = append(got, arrow{a.From, a.To, a.Label})
		if i > 0 && a.OffsetMs < d.Arrows[i-1].OffsetMs {
			t.Errorf("arrow %d at %v ms before arrow %d at %v ms", i, a.OffsetMs, i-1, d.Arrows[i-1].OffsetMs)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("arrows\n got %v\nwant %v", got, want)
	}
	if d.Arrows[0].OffsetMs != 0 || d.Arrows[1].OffsetMs != 5 {
		t.Errorf("first arrows at %v and %v ms, want 0 and 5", d.Arrows[0].OffsetMs, d.Arrows[1].OffsetMs)
	}
}
