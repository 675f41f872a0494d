// Package dialer places the switch's own calls (issue 15): click-to-call,
// which rings an agent (a subscriber), then dials a number, then bridges
// them; and campaigns (preview, progressive, predictive, notification),
// each attempt decided at the moment of dialing by dialer/compliance.
//
// The dialer is a user agent of the switch, as VICIdial's dialer is of
// Asterisk: it sends its INVITEs to the switch's own SIP port as a
// configured subscriber (dialer.account), with that subscriber's digest
// credentials. Each leg it places is therefore an ordinary call of the
// switch's — authenticated, routed through trunks from projected state,
// policed, anchored, billed, with its own call events and CDR — and the
// dialer adds only why the legs were placed and how the attempt went, as
// events of its own aggregate (domain.ClickToCall). Its RTP relay
// (media.Session, on its own port range) is the media point of both legs
// (RFC 3725 §4.1's controller, keeping the media): the number is offered
// the codec the agent answered with, so nothing is transcoded.
//
//	d, err := dialer.New(dialer.Config{...}, recorder, log)
//	id, err := d.ClickToCall(ctx, "6001", "13800138000", "api") // durable request, then async
//	st, err := d.Get(id)                                         // steps and outcome
//	d.Close()                                                    // BYE to every leg still up
//
// See docs/dialer.md.
package dialer
