package routing

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestDefaultSegments: the embedded table is the testdata copy of
// ../shared/data/cn-number-segments.tsv, parses, and compiles alone.
func TestDefaultSegments(t *testing.T) {
	want, err := os.ReadFile("testdata/cn-number-segments.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, cnSegments) {
		t.Fatal("segments/cn.tsv differs from testdata/cn-number-segments.tsv")
	}
	segs := DefaultSegments()
	if len(segs) != 71 {
		t.Fatalf("%d segments", len(segs))
	}
	mvno := 0
	for _, s := range segs {
		if s.Kind == KindMVNO {
			mvno++
			if s.Host == "" {
				t.Fatalf("mvno segment %s without host", s.Prefix)
			}
		} else if s.Host != "" {
			t.Fatalf("mno segment %s with host %q", s.Prefix, s.Host)
		}
	}
	if mvno != 14 {
		t.Fatalf("%d mvno segments", mvno)
	}
	if _, err := Compile(Plan{Segments: segs}); err != nil {
		t.Fatal(err)
	}
	segs[0].Carrier = "changed"
	if DefaultSegments()[0].Carrier == "changed" {
		t.Fatal("DefaultSegments shares its slice")
	}
}

func TestParseSegments(t *testing.T) {
	in := "prefix\tcarrier\tkind\thost_carrier\tnote\r\n# comment\n\n1703\tmvno-a\tmvno\tchina-mobile\n139\tchina-mobile\tmno\t-\tmobile\n"
	segs, err := ParseSegments(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Segment{{"1703", "mvno-a", KindMVNO, "china-mobile"}, {"139", "china-mobile", KindMNO, ""}}
	if !slices.Equal(segs, want) {
		t.Fatalf("%+v", segs)
	}
	_, err = ParseSegments(strings.NewReader("header\n139\tchina-mobile\n"))
	if err == nil || !strings.Contains(err.Error(), "segments line 2: 2 columns") {
		t.Fatalf("err = %v", err)
	}
}
