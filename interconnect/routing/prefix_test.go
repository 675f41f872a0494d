package routing

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestPrefixTableLookup(t *testing.T) {
	tab, err := NewPrefixTable([]PrefixEntry[string]{
		{"86", "cn"}, {"861", "cn-mobile"}, {"8613", "cn-13"}, {"86138", "cn-138"},
		{"44", "uk"}, {"1", "nanp"}, {"1212", "nyc"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in, want string
		n        int
		ok       bool
	}{
		{"8613800138000", "cn-138", 5, true},
		{"8613900000000", "cn-13", 4, true},
		{"8615000000000", "cn-mobile", 3, true},
		{"861", "cn-mobile", 3, true},
		{"86", "cn", 2, true},
		{"862162345678", "cn", 2, true},
		{"8", "", 0, false},
		{"", "", 0, false},
		{"33123456789", "", 0, false},
		{"12125550100", "nyc", 4, true},
		{"12135550100", "nanp", 1, true},
		{"861x3", "cn-mobile", 3, true}, // a non-digit ends the match
	}
	for _, tc := range tests {
		v, n, ok := tab.Lookup(tc.in)
		if v != tc.want || n != tc.n || ok != tc.ok {
			t.Errorf("Lookup(%q) = %q, %d, %v; want %q, %d, %v", tc.in, v, n, ok, tc.want, tc.n, tc.ok)
		}
	}
	if tab.Len() != 7 {
		t.Fatal(tab.Len())
	}
}

func TestPrefixTableDefault(t *testing.T) {
	tab, err := NewPrefixTable([]PrefixEntry[int]{{"", 1}, {"44", 2}})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]int{"": 1, "3312": 1, "4412": 2} {
		if v, _, ok := tab.Lookup(in); !ok || v != want {
			t.Errorf("Lookup(%q) = %d, %v", in, v, ok)
		}
	}
	empty, err := NewPrefixTable[int](nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := empty.Lookup("86"); ok {
		t.Fatal("empty table matched")
	}
	var zero PrefixTable[int]
	if _, _, ok := zero.Lookup("86"); ok {
		t.Fatal("zero table matched")
	}
}

func TestPrefixTableErrors(t *testing.T) {
	tests := []struct {
		name    string
		entries []PrefixEntry[int]
		is      error
		msg     string
	}{
		{"duplicate", []PrefixEntry[int]{{"86", 0}, {"44", 1}, {"86", 2}}, ErrDuplicatePrefix, `entry 2: duplicate prefix "86" (also entry 0)`},
		{"letters", []PrefixEntry[int]{{"86", 0}, {"8a", 1}}, ErrInvalidPrefix, `entry 1: prefix is not digits "8a"`},
		{"plus", []PrefixEntry[int]{{"+86", 0}}, ErrInvalidPrefix, `entry 0:`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPrefixTable(tc.entries)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v with %q", err, tc.is, tc.msg)
			}
		})
	}
}

// TestPrefixTableMatchesBruteForce compares the trie with a map probed at
// every length, on random prefixes that nest.
func TestPrefixTableMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := map[string]int{}
	for len(m) < 5000 {
		m[randDigits(rng, 1+rng.IntN(8))] = len(m)
	}
	entries := make([]PrefixEntry[int], 0, len(m))
	for p, v := range m {
		entries = append(entries, PrefixEntry[int]{p, v})
	}
	tab, err := NewPrefixTable(entries)
	if err != nil {
		t.Fatal(err)
	}
	for range 20000 {
		s := randDigits(rng, rng.IntN(12))
		wantV, wantN, wantOK := 0, 0, false
		for n := len(s); n >= 0; n-- {
			if v, ok := m[s[:n]]; ok {
				wantV, wantN, wantOK = v, n, true
				break
			}
		}
		v, n, ok := tab.Lookup(s)
		if v != wantV || n != wantN || ok != wantOK {
			t.Fatalf("Lookup(%q) = %d, %d, %v; want %d, %d, %v", s, v, n, ok, wantV, wantN, wantOK)
		}
	}
}

func randDigits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	return string(b)
}

func TestPrefixTableConcurrent(t *testing.T) {
	entries := make([]PrefixEntry[int], 1000)
	for i := range entries {
		entries[i] = PrefixEntry[int]{"86" + strconv.Itoa(1000+i), i}
	}
	tab, err := NewPrefixTable(entries)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 1000 {
				if v, _, ok := tab.Lookup("86" + strconv.Itoa(1000+i) + "5678"); !ok || v != i {
					t.Errorf("goroutine %d: Lookup %d = %d, %v", g, i, v, ok)
					return
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// TestPrefixTableHead checks the direct index over the first digits
// against the plain walk: inputs shorter than the index, non-digits inside
// it, paths that end inside it, and index returning the entry index.
func TestPrefixTableHead(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := map[string]int{}
	for len(m) < 20000 {
		m[randDigits(rng, rng.IntN(9))] = 0
	}
	entries := make([]PrefixEntry[int], 0, len(m))
	for p := range m {
		m[p] = len(entries)
		entries = append(entries, PrefixEntry[int]{p, len(entries)})
	}
	tab, err := NewPrefixTable(entries)
	if err != nil {
		t.Fatal(err)
	}
	if tab.headDigits != 4 {
		t.Fatalf("headDigits = %d, want 4", tab.headDigits)
	}
	for range 50000 {
		b := []byte(randDigits(rng, rng.IntN(10)))
		if len(b) > 0 && rng.IntN(8) == 0 {
			b[rng.IntN(len(b))] = "x+#"[rng.IntN(3)]
		}
		s := string(b)
		wantV, wantN := -1, 0
		for n := len(s); n >= 0; n-- {
			if v, ok := m[s[:n]]; ok && isDigits(s[:n]) {
				wantV, wantN = v, n
				break
			}
		}
		v, n, ok := tab.Lookup(s)
		if ok != (wantV >= 0) || ok && (v != wantV || n != wantN) {
			t.Fatalf("Lookup(%q) = %d, %d, %v; want %d, %d", s, v, n, ok, wantV, wantN)
		}
		if i, n := tab.index(s); int(i) != wantV || n != wantN {
			t.Fatalf("index(%q) = %d, %d; want %d, %d", s, i, n, wantV, wantN)
		}
	}
}
