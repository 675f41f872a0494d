package main

import (
	"testing"

	"softswitch/domain"
)

func TestCompareCDRs(t *testing.T) {
	cdr := func(id string, billable int64, rv int, price string) domain.CDR {
		return domain.CDR{ID: id, CallID: "c-" + id, BillableS: billable, Rating: domain.Rating{RatingVersion: rv, Price: price}}
	}
	tests := []struct {
		name          string
		rebuilt, live []domain.CDR
		want          []string // kind:id
	}{
		{"identical", []domain.CDR{cdr("a", 5, 1, "1.00")}, []domain.CDR{cdr("a", 5, 1, "1.00")}, nil},
		{"missing from the store", []domain.CDR{cdr("a", 5, 1, ""), cdr("b", 1, 1, "")}, []domain.CDR{cdr("a", 5, 1, "")}, []string{"missing:b"}},
		{"extra in the store", []domain.CDR{cdr("a", 5, 1, "")}, []domain.CDR{cdr("a", 5, 1, ""), cdr("z", 1, 1, "")}, []string{"extra:z"}},
		{"changed in the store", []domain.CDR{cdr("a", 5, 1, "")}, []domain.CDR{cdr("a", 999, 1, "")}, []string{"different:a"}},
		{"re-rated since: rating not compared", []domain.CDR{cdr("a", 5, 1, "2.00")}, []domain.CDR{cdr("a", 5, 2, "1.00")}, nil},
		{"same version, other price", []domain.CDR{cdr("a", 5, 1, "2.00")}, []domain.CDR{cdr("a", 5, 1, "1.00")}, []string{"different:a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := compareCDRs(tt.rebuilt, tt.live)
			var got []string
			for _, d := range rep.Differences {
				got = append(got, d.Kind+":"+d.ID)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("differences %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("differences %v, want %v", got, tt.want)
				}
			}
		})
	}
}
