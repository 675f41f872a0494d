package number

// Kind says what a normalized number is, which decides its national form
// and which routing tables apply (the mobile segment table only applies to
// Mobile).
type Kind uint8

const (
	// KindUnknown is the zero value; Normalize never returns it.
	KindUnknown Kind = iota
	// Mobile is a home-country mobile: 11 digits 1[3-9]xxxxxxxxx in China.
	Mobile
	// Landline is a home-country geographic number: area code + 7–8 digit
	// subscriber number.
	Landline
	// Service is a home-country non-geographic 400/800 number (10 digits),
	// reachable only from inside the country.
	Service
	// International is any number outside the home country code.
	International
)

// String returns the lower-case name used in events and logs.
func (k Kind) String() string {
	switch k {
	case Mobile:
		return "mobile"
	case Landline:
		return "landline"
	case Service:
		return "service"
	case International:
		return "international"
	}
	return "unknown"
}

// ParseKind is the inverse of String for the four real kinds.
func ParseKind(s string) (Kind, bool) {
	for k := Mobile; k <= International; k++ {
		if k.String() == s {
			return k, true
		}
	}
	return KindUnknown, false
}
