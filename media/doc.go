// Package media anchors a call's RTP through the switch: two UDP port
// pairs per call, packets from one leg relayed out of the other, never
// transcoded. It also reads and rewrites the SDP that signals those ports.
//
// # API
//
// Ports (one Pool per media IP, shared by all calls):
//
//	pool, err := media.NewPool(media.PoolConfig{Addr: ip, Min: 30000, Max: 40000, Logger: log})
//	pool.Stats() media.PoolStats          // capacity, in use, allocations, exhaustions, bind failures
//
// A call (one Session, created when the INVITE arrives):
//
//	s, err := media.NewSession(ctx, pool, media.SessionConfig{OnDTMF: f, Record: &media.RecordConfig{Path: p}})
//	                                      // errors.Is(err, media.ErrNoPorts): answer 503
//	rtp, rtcp := s.Local(media.A)         // the ports to advertise to leg A
//	err = s.SetRemote(media.A, desc.Audio().Remote()) // after every SDP from leg A (offer, answer, re-INVITE, UPDATE)
//	s.LastReceived(media.A) time.Time     // for the switch's dead-media timer
//	s.Stats() media.Stats                 // any time, e.g. for periodic events
//	final, err := s.Close()               // final stats and recording; idempotent
//
// SDP (offer/answer, RFC 3264):
//
//	desc, err := media.ParseSDP(body)     // *SDPError: ErrMalformedSDP → 400, ErrUnsupportedMedia → 488
//	err = desc.FilterCodecs(trunk.Codecs) // ErrNoCommonCodec → 488
//	out, err := desc.Rewrite(media.RewriteOptions{Addr: advertised, RTPPort: rtp.Port(), RTCPPort: rtcp.Port(), Version: v})
//
// A B2BUA that receives an offer from A parses it, calls SetRemote(A, …),
// rewrites it with leg B's ports for B; when B answers, SetRemote(B, …)
// and the answer rewritten with leg A's ports goes to A.
//
// # Behaviour
//
//   - Symmetric RTP and latching (latch.go): each leg's real source is
//     learnt from its packets, rtpengine-style; after a short window only
//     that source is accepted, and media goes back to it.
//   - Early media: packets are relayed as soon as the other leg has a
//     destination (its SDP, or its own packets).
//   - Hold: the SDP direction of each leg decides which way RTP flows; RTCP
//     always flows.
//   - Malformed packets are dropped and counted, never relayed.
//   - RFC 4733 DTMF is relayed unchanged and reported once per digit.
//   - Stats per leg: packets, bytes, loss, reordering, duplicates, jitter
//     (RFC 3550 A.3, A.8), RTT from RTCP (RFC 3550 §6.4.1) and a MOS
//     estimate (see MOS).
//   - Recording: G.711 of both legs into one stereo WAV.
//
// Each session runs four goroutines (RTP and RTCP of each leg), blocked in
// the runtime's network poller between packets; Close stops and waits for
// them. Nothing is logged per packet. See docs/media.md for the design,
// the figures and how they were measured.
package media
