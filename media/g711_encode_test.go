package media

import "testing"

// TestG711RoundTrip: encoding then decoding with the switch's tables
// returns each sample within G.711's quantisation step (about 1/16 of
// the segment), for both laws.
func TestG711EncodeRoundTrip(t *testing.T) {
	for _, law := range []struct {
		name   string
		enc    func(int16) byte
		decode func([]int16, []byte) int
	}{{"ulaw", EncodeULaw, DecodeULaw}, {"alaw", EncodeALaw, DecodeALaw}} {
		t.Run(law.name, func(t *testing.T) {
			for x := -32768; x <= 32767; x += 7 {
				out := make([]int16, 1)
				law.decode(out, []byte{law.enc(int16(x))})
				err := int(out[0]) - x
				if err < 0 {
					err = -err
				}
				if tol := max(abs(x)/14, 40); err > tol {
					t.Fatalf("%d -> %d (off by %d, tolerance %d)", x, out[0], err, tol)
				}
			}
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
