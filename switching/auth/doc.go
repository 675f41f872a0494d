// Package auth implements SIP digest authentication (RFC 3261 §22, with the
// algorithms of RFC 7616 and the SIP update of RFC 8760) and a fail2ban-style
// limiter for sources that keep failing it.
//
// The package knows nothing about SIP messages: it takes and returns header
// values as strings. The registrar answers REGISTER with 401 and a
// WWW-Authenticate header per value of Challenge; the B2BUA answers INVITE
// with 407 and Proxy-Authenticate headers (RFC 3261 §22.2, §22.3). Both hand
// the Authorization or Proxy-Authorization value they get back to Verify.
//
// Only HA1 values (RFC 7616 §3.4.2) are ever stored, never passwords.
package auth
