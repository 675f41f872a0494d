package media

// G.711 decoding (ITU-T G.711 §A.2 tables 1a/2a) to 16-bit linear PCM, as
// the classic reference g711.c computes it. The recorder fills one
// 256-entry table per law from these at start, so decoding is a lookup.

func ulawToLinear(u byte) int16 {
	u = ^u
	t := (int32(u&0x0f) << 3) + 0x84
	t <<= (u & 0x70) >> 4
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func alawToLinear(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0f) << 4
	switch seg := (a & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

type g711Tables struct{ ulaw, alaw [256]int16 }

func newG711Tables() *g711Tables {
	t := new(g711Tables)
	for i := range 256 {
		t.ulaw[i] = ulawToLinear(byte(i))
		t.alaw[i] = alawToLinear(byte(i))
	}
	return t
}

// decodeTables serves the exported decoders; 1 KB, built at init.
var decodeTables = newG711Tables()

// DecodeULaw decodes µ-law bytes into dst (one sample per byte) and returns
// the samples written: min(len(dst), len(src)). For analysers outside this
// package (media/detect) that need linear PCM from an RTP payload.
func DecodeULaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	for i, b := range src[:n] {
		dst[i] = decodeTables.ulaw[b]
	}
	return n
}

// DecodeALaw is DecodeULaw for A-law.
func DecodeALaw(dst []int16, src []byte) int {
	n := min(len(dst), len(src))
	for i, b := range src[:n] {
		dst[i] = decodeTables.alaw[b]
	}
	return n
}

// EncodeULaw is ITU-T G.711 μ-law of a 16-bit linear sample (the
// segment-and-mantissa encoding of G.711 §3, with its bias of 0x84).
func EncodeULaw(x int16) byte {
	const bias, clip = 0x84, 32635
	s := int(x)
	sign := byte(0)
	if s < 0 {
		s, sign = -s, 0x80
	}
	s = min(s, clip) + bias
	exp := 7
	for mask := 0x4000; s&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := byte(s>>(exp+3)) & 0x0F
	return ^(sign | byte(exp)<<4 | mant)
}

// EncodeALaw is ITU-T G.711 A-law of a 16-bit linear sample (G.711 §2;
// even bits inverted, 0x55).
func EncodeALaw(x int16) byte {
	s := int(x) >> 3 // A-law works on 13 bits
	sign := byte(0x80)
	if s < 0 {
		s, sign = -s-1, 0
	}
	s = min(s, 0xFFF)
	var out byte
	if s < 32 {
		out = byte(s >> 1)
	} else {
		exp := 1
		for v := s >> 5; v > 1; v >>= 1 {
			exp++
		}
		out = byte(exp)<<4 | byte(s>>exp)&0x0F
	}
	return (sign | out) ^ 0x55
}
