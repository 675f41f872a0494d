package number

// China's numbering plan (MIIT, 电信网编号计划), as far as routing needs it:
//
//   - mobile numbers are 11 digits, 1[3-9]xxxxxxxxx;
//   - geographic numbers are area code + subscriber number; Beijing's area
//     code is 10, 20–29 are 2-digit areas (Guangzhou 20, Shanghai 21, …),
//     and every area code beginning 3–9 has 3 digits (Shenzhen 755);
//     subscriber numbers have 7 or 8 digits and do not start with 0;
//   - 400 and 800 numbers are 10 digits and have no trunk prefix;
//   - the national trunk prefix is 0 and the international prefix is 00.

const (
	mobileLen     = 11
	serviceLen    = 10
	subscriberMin = 7
	subscriberMax = 8
	e164Min       = 7  // shortest national numbers abroad (+290 xxxx, +683 xxxx)
	e164Max       = 15 // ITU-T E.164 §6.1
)

// parseE164 reads E.164 digits (after '+' or "00").
func parseE164(input, d string) (Number, error) {
	if d == "" {
		return Number{}, invalid(input, "no digits after the international prefix")
	}
	if d[0] == '0' {
		return Number{}, invalid(input, "country code cannot start with 0")
	}
	if len(d) > e164Max {
		return Number{}, invalid(input, "too long: more than 15 digits (ITU-T E.164 §6.1)")
	}
	if len(d) >= 2 && d[:2] == HomeChina {
		return parseNSN(input, d[2:], false)
	}
	if len(d) < e164Min {
		return Number{}, invalid(input, "too short for an international number")
	}
	cc := countryCodeLen(d)
	return Number{e164: d, country: d[:cc], kind: International}, nil
}

// parseTrunk reads a national number dialled with trunk prefix 0 (d is
// what follows the 0).
func parseTrunk(input, d string) (Number, error) {
	if d == "" {
		return Number{}, invalid(input, "trunk prefix 0 alone")
	}
	return parseNSN(input, d, true)
}

// parseNational reads a number without any prefix: only mobiles and
// service numbers can be dialled that way. A bare subscriber number needs
// the caller's area, which routing does not know.
func parseNational(input, d string) (Number, error) {
	if len(d) < subscriberMin {
		return Number{}, invalid(input, "too short: short codes (110, 10086, 95xxx) have no E.164 form")
	}
	if d[0] == '1' {
		if len(d) >= 2 && d[1] == '0' {
			return Number{}, invalid(input, "landline without trunk prefix 0")
		}
		return mobile(input, d)
	}
	if isService(d) {
		return service(input, d)
	}
	return Number{}, invalid(input, "local number without area code and trunk prefix 0")
}

// parseNSN reads China's national significant number d (no trunk prefix).
// afterTrunk says the input had trunk prefix 0, which 400/800 numbers never
// take; after it, a mobile is accepted as it is still dialled that way from
// some fixed lines.
func parseNSN(input, d string, afterTrunk bool) (Number, error) {
	if d == "" {
		return Number{}, invalid(input, "no national number after country code 86")
	}
	switch c := d[0]; {
	case c == '0':
		// Only reachable after a country code: "00" is caught before.
		return Number{}, invalid(input, "trunk prefix 0 after country code 86")
	case c == '1':
		if len(d) >= 2 && d[1] == '0' {
			return landline(input, d, 2)
		}
		return mobile(input, d)
	case isService(d):
		if afterTrunk {
			return Number{}, invalid(input, "400/800 numbers take no trunk prefix 0")
		}
		return service(input, d)
	case c == '2':
		return landline(input, d, 2)
	default:
		return landline(input, d, 3)
	}
}

func isService(d string) bool {
	return len(d) >= 3 && (d[:3] == "400" || d[:3] == "800")
}

func mobile(input, d string) (Number, error) {
	if len(d) < 2 || d[1] < '3' {
		return Number{}, invalid(input, "mobile numbers start with 13–19")
	}
	if len(d) != mobileLen {
		return Number{}, invalid(input, "mobile number must have 11 digits")
	}
	e := HomeChina + d // national shares e164's bytes: one allocation, one cache line
	return Number{e164: e, national: e[len(HomeChina):], country: HomeChina, kind: Mobile}, nil
}

func service(input, d string) (Number, error) {
	if len(d) != serviceLen {
		return Number{}, invalid(input, "400/800 number must have 10 digits")
	}
	e := HomeChina + d
	return Number{e164: e, national: e[len(HomeChina):], country: HomeChina, kind: Service}, nil
}

// landline reads area code (areaLen digits) + subscriber number.
func landline(input, d string, areaLen int) (Number, error) {
	sub := len(d) - areaLen
	switch {
	case sub < subscriberMin:
		return Number{}, invalid(input, "landline subscriber number shorter than 7 digits")
	case sub > subscriberMax:
		return Number{}, invalid(input, "landline subscriber number longer than 8 digits")
	case d[areaLen] == '0':
		return Number{}, invalid(input, "landline subscriber number cannot start with 0")
	}
	return Number{e164: HomeChina + d, national: "0" + d, country: HomeChina, kind: Landline}, nil
}
