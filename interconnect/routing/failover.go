package routing

// Retryable reports whether a failed attempt on one trunk should be
// retried on the next candidate. code is the final SIP response (0 when
// there was none); timeout means no final response arrived (Timer B/F,
// RFC 3261 §17.1); unreachable means the trunk could not be reached at all
// (connection refused, ICMP unreachable, DNS failure).
//
// The next trunk is tried on:
//
//	408 Request Timeout        (§21.4.9: the server could not answer in time)
//	500 Server Internal Error  (§21.5.1)
//	502 Bad Gateway            (§21.5.3: the carrier's next hop failed)
//	503 Service Unavailable    (§21.5.4: overload or maintenance)
//	504 Server Time-out        (§21.5.5)
//
// and on a timeout or an unreachable trunk: all say the trunk or the
// carrier's network failed, not that the callee cannot be reached. Every
// other answer ends the call: other 4xx (§21.4) are about the request or
// the callee (404 Not Found, 480 Temporarily Unavailable, 486 Busy Here,
// 487 Request Terminated …) and another carrier would say the same; 6xx
// (§21.6) are global failures, definitive for the callee (600 Busy
// Everywhere, 603 Decline, 604 Does Not Exist Anywhere, 606 Not
// Acceptable); other 5xx (501, 505, 513, 580) reject what we sent, which a
// second trunk would see too; 1xx–3xx are not failures.
func Retryable(code int, timeout, unreachable bool) bool {
	if timeout || unreachable {
		return true
	}
	switch code {
	case 408, 500, 502, 503, 504:
		return true
	}
	return false
}
