package rtppeer

import "softswitch/media"

// EncodeULaw and EncodeALaw are media's G.711 encoders, for streams that
// carry audio (Stream.Audio).
var (
	EncodeULaw = media.EncodeULaw
	EncodeALaw = media.EncodeALaw
)
