package number

import "strings"

// maxDigits bounds the digits kept from the input: "00" + the 15 digits
// ITU-T E.164 §6.1 allows. Anything longer is rejected before parsing.
const maxDigits = 2 + 15

// digits strips what a dialled number may carry besides its digits:
//   - a "tel:" scheme (RFC 3966) or a "sip:"/"sips:" URI's user part (RFC
//     3261 §19.1.1: everything before '@'), and URI parameters after ';'
//     such as ";phone-context=" or ";user=phone";
//   - RFC 3966 visual separators '-', '.', '(' and ')', and spaces (which
//     people type but RFC 3966 does not allow).
//
// It returns whether a leading '+' was present and the digits. A '+'
// anywhere but first, or any other character, is an error.
func digits(input string, buf *[maxDigits]byte) (plus bool, d string, err error) {
	s := strings.TrimSpace(input)
	if len(s) >= 4 && strings.EqualFold(s[:4], "tel:") {
		s = s[4:]
	} else if len(s) >= 4 && strings.EqualFold(s[:4], "sip:") {
		s, _, _ = strings.Cut(s[4:], "@")
	} else if len(s) >= 5 && strings.EqualFold(s[:5], "sips:") {
		s, _, _ = strings.Cut(s[5:], "@")
	}
	s, _, _ = strings.Cut(s, ";")
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == maxDigits {
				return false, "", invalid(input, "too long: more than 15 digits (ITU-T E.164 §6.1)")
			}
			buf[n] = c
			n++
		case c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+':
			if plus || n > 0 {
				return false, "", invalid(input, "'+' is allowed only before the country code")
			}
			plus = true
		default:
			return false, "", invalid(input, "invalid character "+quoteByte(c))
		}
	}
	if n == 0 {
		return false, "", invalid(input, "no digits")
	}
	return plus, string(buf[:n]), nil
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	const hex = "0123456789abcdef"
	return "byte 0x" + string([]byte{hex[c>>4], hex[c&15]})
}
