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
