package number

// Format is how a number is written towards a carrier.
type Format uint8

const (
	// FormatE164 is the E.164 digits without '+': "8613800138000".
	FormatE164 Format = iota + 1
	// FormatPlusE164 is the international form of ITU-T E.123 and RFC
	// 3966 global numbers: "+8613800138000".
	FormatPlusE164
	// FormatNational is the home-country dialling form: "13800138000",
	// "01012345678", "4001234567". International numbers have no national
	// form and are written as FormatInternational.
	FormatNational
	// FormatInternational is the international prefix 00 and the E.164
	// digits: "008613800138000".
	FormatInternational
)

// ParseFormat reads a format name as configuration spells it: "e164",
// "+e164", "national" or "00".
func ParseFormat(s string) (Format, bool) {
	for f := FormatE164; f <= FormatInternational; f++ {
		if f.String() == s {
			return f, true
		}
	}
	return 0, false
}

// String returns the configuration spelling of f.
func (f Format) String() string {
	switch f {
	case FormatE164:
		return "e164"
	case FormatPlusE164:
		return "+e164"
	case FormatNational:
		return "national"
	case FormatInternational:
		return "00"
	}
	return "invalid"
}

// Render writes n in format f. The zero Number renders as "". An unknown
// format renders the E.164 digits. (It is not called Format because vet
// reserves that name for fmt.Formatter.)
func (n Number) Render(f Format) string {
	if n.e164 == "" {
		return ""
	}
	switch f {
	case FormatPlusE164:
		return "+" + n.e164
	case FormatNational:
		if n.national != "" {
			return n.national
		}
		return "00" + n.e164
	case FormatInternational:
		return "00" + n.e164
	}
	return n.e164
}
