package number

// HomeChina is the ITU-T E.164 country code of China, the default home
// country.
const HomeChina = "86"

// Normalizer reads dialled numbers for one home country.
type Normalizer struct {
	home string
}

// NewNormalizer returns a Normalizer for the home country code cc. Only
// China's national numbering plan ("86") is implemented; any other code
// fails with ErrUnsupportedCountry rather than silently applying China's
// rules to another country's national numbers.
func NewNormalizer(cc string) (Normalizer, error) {
	if cc != HomeChina {
		return Normalizer{}, ErrUnsupportedCountry
	}
	return Normalizer{home: cc}, nil
}

// Normalize reads input with China as the home country.
func Normalize(input string) (Number, error) {
	return Normalizer{home: HomeChina}.Normalize(input)
}

// Normalize reads a dialled number:
//
//	+<cc>…, 00<cc>…        international form (ITU-T E.164 / E.123)
//	86…                    home E.164 digits without '+', when the rest is a
//	                       whole national significant number
//	0…                     national form with trunk prefix 0
//	1[3-9]… (11 digits)    mobile
//	400…/800… (10 digits)  service numbers
//
// Errors are *NumberError wrapping ErrInvalidNumber.
func (z Normalizer) Normalize(input string) (Number, error) {
	var buf [maxDigits]byte
	plus, d, err := digits(input, &buf)
	if err != nil {
		return Number{}, err
	}
	switch {
	case plus:
		return parseE164(input, d)
	case len(d) >= 2 && d[:2] == "00":
		// "00" is China's international prefix (ITU-T E.164 Annex, the
		// international prefix list).
		return parseE164(input, d[2:])
	case d[0] == '0':
		return parseTrunk(input, d[1:])
	case len(d) > 2 && d[:2] == HomeChina:
		// E.164 without '+': accepted only as a full home number, so
		// that "86" is never mistaken for the start of something else.
		return parseNSN(input, d[2:], false)
	}
	return parseNational(input, d)
}
