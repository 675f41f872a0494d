package compliance

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"softswitch/interconnect/number"
)

func TestParseDNCCSV(t *testing.T) {
	type rej struct {
		line, col int
		cause     error
	}
	tests := []struct {
		name     string
		in       string
		add      []uint64
		reasons  []string
		rejected []rej
	}{
		{name: "plain numbers", in: "13800138000\n+8613900139000\n",
			add: []uint64{8613800138000, 8613900139000}},
		{name: "BOM, header and reasons", in: "\ufeffnumber,reason\n13800138000,complaint\n010-12345678, 投诉\n",
			add: []uint64{8613800138000, 861012345678}, reasons: []string{"complaint", "投诉"}},
		{name: "BOM before a quoted header", in: "\ufeff\"phone\"\n13800138000\n", add: []uint64{8613800138000}},
		{name: "CRLF and blank lines", in: "13800138000\r\n\r\n13900139000\r\n", add: []uint64{8613800138000, 8613900139000}},
		{name: "bad numbers rejected, rest loaded", in: "13800138000\n12345\nabc123\n13900139000\n",
			add:      []uint64{8613800138000, 8613900139000},
			rejected: []rej{{2, 1, number.ErrInvalidNumber}, {3, 1, number.ErrInvalidNumber}}},
		{name: "wrong column count", in: "13800138000,a,b\n13900139000\n",
			add: []uint64{8613900139000}, rejected: []rej{{1, 3, ErrColumns}}},
		{name: "reason too long", in: "13800138000," + strings.Repeat("x", MaxReasonLen+1) + "\n",
			rejected: []rej{{1, 2, ErrReason}}},
		{name: "header only", in: "number\n"},
		{name: "first row with digits is data", in: "13800138000,x\n", add: []uint64{8613800138000}, reasons: []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, rejected, err := ParseDNCCSV(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(b.Add, tt.add) || !slices.Equal(b.Reasons, tt.reasons) {
				t.Errorf("Add %v Reasons %q, want %v %q", b.Add, b.Reasons, tt.add, tt.reasons)
			}
			if len(rejected) != len(tt.rejected) {
				t.Fatalf("rejected %v, want %v", rejected, tt.rejected)
			}
			for i, r := range rejected {
				w := tt.rejected[i]
				if r.Line != w.line || r.Column != w.col || !errors.Is(r, w.cause) || !errors.Is(r, ErrRejectedRow) {
					t.Errorf("rejected[%d] = %v, want line %d column %d %v", i, r, w.line, w.col, w.cause)
				}
			}
		})
	}
}

// A fatal error applies nothing: the version and the list are unchanged,
// even when the good rows came before the broken one.
func TestImportCSVFatalAppliesNothing(t *testing.T) {
	d := LoadDNC(3, []uint64{8613700137000})
	v, rejected, err := d.ImportCSV(strings.NewReader("13800138000\n13900139000\n\"1360013600\"0\n"))
	if !errors.Is(err, ErrImport) || rejected != nil {
		t.Fatalf("err %v rejected %v, want ErrImport", err, rejected)
	}
	if v != 3 || d.Version() != 3 || d.Len() != 1 || d.Contains(8613800138000) {
		t.Fatalf("version %d/%d len %d: something was applied", v, d.Version(), d.Len())
	}
	v, rejected, err = d.ImportCSV(strings.NewReader("13800138000\nbad\n"))
	if err != nil || v != 4 || len(rejected) != 1 || !d.Contains(8613800138000) {
		t.Fatalf("v %d rejected %v err %v", v, rejected, err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return copy(p, "13800138000\n"), nil
	}
	return 0, errors.New("disk on fire")
}

func TestImportCSVReadErrorAppliesNothing(t *testing.T) {
	d := NewDNC()
	if _, _, err := d.ImportCSV(&failingReader{n: 3}); !errors.Is(err, ErrImport) {
		t.Fatal(err)
	}
	if d.Version() != 0 || d.Len() != 0 {
		t.Fatal("applied")
	}
}
