package compliance

import (
	"fmt"
	"sync"
	"time"

	// The embedded IANA database is a fallback only: time.LoadLocation
	// reads $ZONEINFO and the system's /usr/share/zoneinfo first (Debian's
	// tzdata, updated by apt), and uses the copy built into the binary
	// (about 450 KB) only when neither has the zone, as in a scratch or
	// distroless container. A dialer that cannot place a callee in a zone
	// must refuse the call, so the fallback is worth its size.
	_ "time/tzdata"

	"softswitch/interconnect/number"
)

// DefaultZoneNANP is the zone assumed for country code 1. The North
// American Numbering Plan spans six US zones, Canada and the Caribbean;
// the area code would narrow it, which this table does not do. A lead with
// a +1 number should carry its own Zone.
const DefaultZoneNANP = "America/New_York"

// CountryZone returns the IANA zone assumed for an E.164 country code, or
// "" when the table has none. Countries spanning several zones (1, 7, 52,
// 55, 61, 62) get their most populous one; a lead's Zone overrides it.
// The table covers every 1- and 2-digit code interconnect/number knows and
// common 3-digit ones; it is a switch, not a map, so it cannot be changed
// at run time.
func CountryZone(cc string) string {
	switch cc {
	case "1":
		return DefaultZoneNANP
	case "7":
		return "Europe/Moscow"
	case "20":
		return "Africa/Cairo"
	case "27":
		return "Africa/Johannesburg"
	case "30":
		return "Europe/Athens"
	case "31":
		return "Europe/Amsterdam"
	case "32":
		return "Europe/Brussels"
	case "33":
		return "Europe/Paris"
	case "34":
		return "Europe/Madrid"
	case "36":
		return "Europe/Budapest"
	case "39":
		return "Europe/Rome"
	case "40":
		return "Europe/Bucharest"
	case "41":
		return "Europe/Zurich"
	case "43":
		return "Europe/Vienna"
	case "44":
		return "Europe/London"
	case "45":
		return "Europe/Copenhagen"
	case "46":
		return "Europe/Stockholm"
	case "47":
		return "Europe/Oslo"
	case "48":
		return "Europe/Warsaw"
	case "49":
		return "Europe/Berlin"
	case "51":
		return "America/Lima"
	case "52":
		return "America/Mexico_City"
	case "53":
		return "America/Havana"
	case "54":
		return "America/Argentina/Buenos_Aires"
	case "55":
		return "America/Sao_Paulo"
	case "56":
		return "America/Santiago"
	case "57":
		return "America/Bogota"
	case "58":
		return "America/Caracas"
	case "60":
		return "Asia/Kuala_Lumpur"
	case "61":
		return "Australia/Sydney"
	case "62":
		return "Asia/Jakarta"
	case "63":
		return "Asia/Manila"
	case "64":
		return "Pacific/Auckland"
	case "65":
		return "Asia/Singapore"
	case "66":
		return "Asia/Bangkok"
	case "81":
		return "Asia/Tokyo"
	case "82":
		return "Asia/Seoul"
	case "84":
		return "Asia/Ho_Chi_Minh"
	case "86":
		return "Asia/Shanghai"
	case "90":
		return "Europe/Istanbul"
	case "91":
		return "Asia/Kolkata"
	case "92":
		return "Asia/Karachi"
	case "93":
		return "Asia/Kabul"
	case "94":
		return "Asia/Colombo"
	case "95":
		return "Asia/Yangon"
	case "98":
		return "Asia/Tehran"
	case "212":
		return "Africa/Casablanca"
	case "234":
		return "Africa/Lagos"
	case "254":
		return "Africa/Nairobi"
	case "351":
		return "Europe/Lisbon"
	case "353":
		return "Europe/Dublin"
	case "358":
		return "Europe/Helsinki"
	case "380":
		return "Europe/Kiev" // renamed Europe/Kyiv in tzdata 2022b; the old name is kept as a link
	case "852":
		return "Asia/Hong_Kong"
	case "853":
		return "Asia/Macau"
	case "855":
		return "Asia/Phnom_Penh"
	case "856":
		return "Asia/Vientiane"
	case "880":
		return "Asia/Dhaka"
	case "886":
		return "Asia/Taipei"
	case "965":
		return "Asia/Kuwait"
	case "966":
		return "Asia/Riyadh"
	case "971":
		return "Asia/Dubai"
	case "972":
		return "Asia/Jerusalem"
	case "974":
		return "Asia/Qatar"
	case "977":
		return "Asia/Kathmandu"
	case "998":
		return "Asia/Tashkent"
	}
	return ""
}

// Zones caches loaded locations: time.LoadLocation reads and parses a
// file each call, too slow for every decision. Safe for concurrent use.
type Zones struct {
	mu   sync.RWMutex
	locs map[string]*time.Location
}

// NewZones returns an empty cache.
func NewZones() *Zones { return &Zones{locs: make(map[string]*time.Location)} }

// Load returns the named location; errors wrap ErrUnknownZone.
func (z *Zones) Load(name string) (*time.Location, error) {
	z.mu.RLock()
	loc, ok := z.locs[name]
	z.mu.RUnlock()
	if ok {
		return loc, nil
	}
	loc, err := loadZone(name)
	if err != nil {
		return nil, err
	}
	z.mu.Lock()
	z.locs[name] = loc
	z.mu.Unlock()
	return loc, nil
}

// loadZone refuses "" and "Local": both mean the switch's own zone, which
// says nothing about where the callee is.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%w: %q", ErrUnknownZone, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownZone, name)
	}
	return loc, nil
}

// ForCallee returns the callee's zone: override when set (the lead's own
// zone), else the country code's, else fallback (the campaign's).
func (z *Zones) ForCallee(n number.Number, override, fallback string) (*time.Location, string, error) {
	name := override
	if name == "" {
		name = CountryZone(n.CountryCode())
	}
	if name == "" {
		name = fallback
	}
	loc, err := z.Load(name)
	return loc, name, err
}
