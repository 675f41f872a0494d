package number

import (
	"errors"
	"strconv"
)

// ErrInvalidNumber is wrapped by every *NumberError: the input is not a
// number this package can route.
var ErrInvalidNumber = errors.New("invalid number")

// ErrUnsupportedCountry means a Normalizer was asked for a home country
// whose national numbering plan is not implemented (only China's, 86, is).
var ErrUnsupportedCountry = errors.New("unsupported home country")

// ErrInvalidRewrite is wrapped by errors from NewRules.
var ErrInvalidRewrite = errors.New("invalid rewrite rule")

// NumberError says which input was rejected and why. It unwraps to
// ErrInvalidNumber.
type NumberError struct {
	Input  string
	Reason string
}

func (e *NumberError) Error() string {
	return "number " + strconv.Quote(e.Input) + ": " + e.Reason
}

// Unwrap lets errors.Is(err, ErrInvalidNumber) hold.
func (e *NumberError) Unwrap() error { return ErrInvalidNumber }

func invalid(input, reason string) error {
	return &NumberError{Input: input, Reason: reason}
}
