package switching

import "strings"

// silences reports whether a message from ip with this User-Agent gets
// no answer at all from the edge, as Admit gives none: a banned source, a
// scanner (an answer would confirm a SIP server is here). It counts the
// drop as Admit does.
func (g *Guard) silences(ip, userAgent string) bool {
	if g.bans.Banned(ip) {
		g.m.bannedDrops.Add(1)
		return true
	}
	if ua := strings.ToLower(userAgent); ua != "" {
		for _, s := range g.scanners {
			if strings.Contains(ua, s) {
				g.m.scannerDrops.Add(1)
				return true
			}
		}
	}
	return false
}
