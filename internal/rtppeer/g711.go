package rtppeer

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
