package number

// Number is a normalized number. Its fields are private so that every
// Number in the system came out of Normalize (or is the zero value, which
// IsZero reports).
type Number struct {
	e164     string // E.164 digits without '+', e.g. "8613800138000"
	national string // home-country dialling form, e.g. "01012345678"; "" for International
	country  string // country code, e.g. "86"
	kind     Kind
}

// E164 returns the E.164 digits without the leading '+'.
func (n Number) E164() string { return n.e164 }

// Kind returns what the number is.
func (n Number) Kind() Kind { return n.kind }

// National returns the number as dialled inside the home country: the
// 11-digit mobile, the landline with trunk prefix 0 ("01012345678") or the
// 10-digit 400/800 number. It is empty for International numbers.
func (n Number) National() string { return n.national }

// CountryCode returns the ITU-T E.164 country code (1–3 digits).
func (n Number) CountryCode() string { return n.country }

// IsZero reports whether n is the zero Number.
func (n Number) IsZero() bool { return n.e164 == "" }

// String returns "+" and the E.164 digits, for logs.
func (n Number) String() string {
	if n.e164 == "" {
		return ""
	}
	return "+" + n.e164
}
