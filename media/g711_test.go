package media

import "testing"

func TestG711(t *testing.T) {
	tests := []struct {
		name string
		dec  func(byte) int16
		in   byte
		want int16
	}{
		{"µ-law zero", ulawToLinear, 0xff, 0},
		{"µ-law negative zero", ulawToLinear, 0x7f, 0},
		{"µ-law max", ulawToLinear, 0x80, 32124},
		{"µ-law min", ulawToLinear, 0x00, -32124},
		{"µ-law small", ulawToLinear, 0xfe, 8},
		{"A-law smallest positive", alawToLinear, 0xd5, 8},
		{"A-law smallest negative", alawToLinear, 0x55, -8},
		{"A-law max", alawToLinear, 0xaa, 32256},
		{"A-law min", alawToLinear, 0x2a, -32256},
	}
	for _, tt := range tests {
		if got := tt.dec(tt.in); got != tt.want {
			t.Errorf("%s: %#x → %d, want %d", tt.name, tt.in, got, tt.want)
		}
	}
	// Both laws are odd-symmetric and monotonic over their 128 magnitudes.
	tab := newG711Tables()
	for i := 1; i < 128; i++ {
		if tab.ulaw[0xff-i] <= tab.ulaw[0xff-i+1] || tab.ulaw[0x7f-i] != -tab.ulaw[0xff-i] {
			t.Fatalf("µ-law table not monotonic/symmetric at %d", i)
		}
	}
}

func TestDecodeExported(t *testing.T) {
	src := make([]byte, 256)
	for i := range src {
		src[i] = byte(i)
	}
	tests := []struct {
		name   string
		decode func([]int16, []byte) int
		one    func(byte) int16
	}{
		{"µ-law", DecodeULaw, ulawToLinear},
		{"A-law", DecodeALaw, alawToLinear},
	}
	for _, tt := range tests {
		dst := make([]int16, 300)
		if n := tt.decode(dst, src); n != 256 {
			t.Fatalf("%s: wrote %d, want 256", tt.name, n)
		}
		for i, b := range src {
			if dst[i] != tt.one(b) {
				t.Fatalf("%s: %#x → %d, want %d", tt.name, b, dst[i], tt.one(b))
			}
		}
		if n := tt.decode(dst[:10], src); n != 10 {
			t.Fatalf("%s: short dst wrote %d, want 10", tt.name, n)
		}
	}
}
