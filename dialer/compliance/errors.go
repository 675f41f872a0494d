package compliance

import (
	"errors"
	"strconv"
)

// Sentinels the error types wrap, for errors.Is.
var (
	// ErrInvalidConfig is wrapped by every *ConfigError.
	ErrInvalidConfig = errors.New("invalid compliance config")
	// ErrInvalidValue: a field has a value outside what it allows.
	ErrInvalidValue = errors.New("invalid value")
	// ErrUnknownZone: an IANA time zone name that time.LoadLocation does
	// not know.
	ErrUnknownZone = errors.New("unknown time zone")
	// ErrRejectedRow is wrapped by every *RowError: one CSV row was not
	// loaded; the rest of the file was.
	ErrRejectedRow = errors.New("rejected CSV row")
	// ErrImport is wrapped by fatal import errors (unreadable input,
	// broken CSV quoting): nothing of the file was applied.
	ErrImport = errors.New("DNC import failed")
	// ErrUnknownCallerID: a caller ID that is not in the pool.
	ErrUnknownCallerID = errors.New("caller ID not in pool")
)

// ConfigError names the configuration field that was rejected, in the
// YAML spelling ("hours.windows[2].start"), and why. It unwraps to both
// ErrInvalidConfig and the cause.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns ErrInvalidConfig and the cause.
func (e *ConfigError) Unwrap() []error { return []error{ErrInvalidConfig, e.Err} }

// RowError is one rejected CSV row: its 1-based line and column, the value
// found there, and why. It unwraps to ErrRejectedRow and the cause (for a
// bad number, number.ErrInvalidNumber).
type RowError struct {
	Line   int
	Column int
	Value  string
	Err    error
}

func (e *RowError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) +
		" (" + strconv.Quote(e.Value) + "): " + e.Err.Error()
}

// Unwrap returns ErrRejectedRow and the cause.
func (e *RowError) Unwrap() []error { return []error{ErrRejectedRow, e.Err} }

// fieldErrs collects *ConfigErrors for a Validate method.
type fieldErrs []error

func (f *fieldErrs) add(field string, err error) {
	*f = append(*f, &ConfigError{Field: field, Err: err})
}

func (f fieldErrs) join() error { return errors.Join(f...) }

func idx(prefix string, i int) string { return prefix + "[" + strconv.Itoa(i) + "]" }
