package media

import "math"

// MOS estimates a conversational quality score (1.0–4.5) with the
// simplified ITU-T G.107 E-model that rtpengine uses by default for
// narrowband codecs (its --mos=G.107, daemon/ssrc.c mos_calc_nb; the
// integer arithmetic there written here in floating point with the same
// constants):
//
//	Ta  = rtt/2 + jitter                            effective one-way delay, ms
//	Id  = 0.024·Ta + 0.11·(Ta − 177.3)·[Ta > 177.3]  delay impairment
//	R   = 93.2 − lossPct
//	Rx  = 0.18·R² − 27.9·R + 1126.62 − Id
//	MOS = 1 if Rx < 0;  4.5 if Rx > 100;
//	      else 1 + 0.035·Rx + 7·10⁻⁶·Rx·(Rx − 60)·(100 − Rx)
//
// In terms of loss the first part of Rx is the quadratic fit
// 89.86 − 5.652·p + 0.18·p², which falls only up to its vertex at p =
// 15.7 % (Rx 45.5, MOS 2.3) and then rises again: rtpengine as written
// rates 30 % loss 4.1 and 50 % loss 4.5. Here, past the vertex, Rx keeps
// falling at the fit's average slope over 0–15.7 % (2.826 per percent),
// reaching MOS 1.0 at about 30 % loss. Below the vertex the result is
// rtpengine's.
//
// rtpengine's inputs come from RTCP receiver reports: lossPct is the
// report's fraction lost in percent, jitter the report's jitter in ms and
// rtt the end-to-end round trip (the sum of both legs' RTTs to the relay);
// with its default MOS-CQ setting it computes nothing until an RTT is
// known. Session.Stats feeds it the relay's own measurements of the stream
// a leg sends (loss from the RFC 3550 A.3 counters, A.8 jitter) and the
// sum of whatever leg RTTs RTCP gave; with no RTT yet that is rtpengine's
// MOS-LQ (rtt = 0). A clean G.711 stream scores 4.34; 1 % loss 4.18, 5 %
// loss 3.41.
func MOS(lossPct, jitterMs, rttMs float64) float64 {
	const (
		vertexLoss = 93.2 - 27.9/(2*0.18) // 15.7 %
		chordSlope = 2.826                // (Rx(0) − Rx(vertex)) / vertexLoss
	)
	ta := rttMs/2 + jitterMs
	id := 0.024 * ta
	if ta > 177.3 {
		id += 0.11 * (ta - 177.3)
	}
	p := math.Max(lossPct, 0)
	r := 93.2 - math.Min(p, vertexLoss)
	rx := 0.18*r*r - 27.9*r + 1126.62 - id
	if p > vertexLoss {
		rx -= chordSlope * (p - vertexLoss)
	}
	switch {
	case rx < 0:
		return 1
	case rx > 100:
		return 4.5
	}
	return math.Max(1+0.035*rx+7e-6*rx*(rx-60)*(100-rx), 1)
}
