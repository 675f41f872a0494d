// Package rtppeer is a small RTP endpoint for the e2e tests and the relay
// load tool: it binds a UDP socket (and optionally the RTCP socket on the
// next, odd port, RFC 3550 §11), sends G.711 streams at real-time pace,
// RFC 4733 telephone events, RTCP reports and raw datagrams, and counts what
// it receives per SSRC: packets, bytes, sequence gaps (RFC 3550 §A.1/§A.3),
// the source addresses and, for packets stamped by a sender in the same
// process, the one-way latency.
//
// A Peer receives from the moment Listen returns until Close. Sending and
// receiving run concurrently; Stats returns a copy that is safe to keep.
//
//	a, _ := rtppeer.Listen(ctx, netip.MustParseAddr("127.0.0.1"), 0, rtppeer.Options{Logger: log})
//	defer a.Close()
//	res, err := a.SendStream(ctx, relayAddr, rtppeer.Stream{SSRC: 1, Count: 50, Stamp: true})
//	err = b.Wait(ctx, func(s rtppeer.Stats) bool { return s.Streams[1].Packets >= 50 })
package rtppeer
