package number

import (
	"errors"
	"testing"
)

// FuzzNormalize checks that Normalize never panics, that every error is a
// *NumberError, and that a valid number reads back to itself from each of
// the formats a trunk can be sent (the plain-digit E.164 form only for
// home numbers: without '+' a foreign number is not recognisable).
// Seeds are in testdata/fuzz/FuzzNormalize.
func FuzzNormalize(f *testing.F) {
	f.Add("+8613800138000")
	f.Fuzz(func(t *testing.T, in string) {
		n, err := Normalize(in)
		if err != nil {
			var ne *NumberError
			if !errors.As(err, &ne) || !errors.Is(err, ErrInvalidNumber) {
				t.Fatalf("Normalize(%q): error %v is not a *NumberError", in, err)
			}
			return
		}
		if n.Kind() == KindUnknown || len(n.E164()) > 15 || n.E164()[0] == '0' {
			t.Fatalf("Normalize(%q) = %+v", in, n)
		}
		formats := []Format{FormatPlusE164, FormatNational, FormatInternational}
		if n.CountryCode() == HomeChina {
			formats = append(formats, FormatE164)
		}
		for _, fm := range formats {
			s := n.Render(fm)
			back, err := Normalize(s)
			if err != nil || back != n {
				t.Fatalf("Normalize(%q) = %+v; Render(%s) = %q reads back as %+v, %v", in, n, fm, s, back, err)
			}
		}
	})
}
