package rtppeer

import "errors"

var (
	// ErrClosed is returned by sends on a Peer after Close.
	ErrClosed = errors.New("rtppeer: peer closed")
	// ErrNoRTCPSocket is returned by SendRTCP on a Peer listened without Options.RTCP.
	ErrNoRTCPSocket = errors.New("rtppeer: no RTCP socket (Options.RTCP not set)")
	// ErrPortPair is returned by Listen when no even RTP port with a free odd
	// RTCP port above it could be bound (RFC 3550 §11).
	ErrPortPair = errors.New("rtppeer: no free even/odd RTP/RTCP port pair")
	// ErrBadDigit is returned for a DTMF digit outside 0-9, *, #, A-D (RFC 4733 §3.2).
	ErrBadDigit = errors.New("rtppeer: not a DTMF digit")
	// ErrBadStream is returned for a Stream or DTMF whose settings cannot be sent.
	ErrBadStream = errors.New("rtppeer: invalid stream settings")
	// ErrNotEvent is returned by ParseEvent for a payload shorter than 4 bytes.
	ErrNotEvent = errors.New("rtppeer: not an RFC 4733 event payload")
)
