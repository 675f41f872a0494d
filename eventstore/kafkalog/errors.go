package kafkalog

import "errors"

var (
	// ErrInvalidConfig is wrapped by Config.Validate.
	ErrInvalidConfig = errors.New("kafkalog: invalid config")
	// ErrBadRecord is returned by Decode for a record that does not carry
	// an envelope.
	ErrBadRecord = errors.New("kafkalog: record is not an envelope")
	// ErrBadCheckpoint means the checkpoint file exists but cannot be
	// trusted (torn, garbage, or ahead of the journal). The shipper refuses
	// to guess: shipping from 1 would flood consumers with duplicates and
	// shipping from the head would lose events.
	ErrBadCheckpoint = errors.New("kafkalog: bad checkpoint")
	// ErrRunning is returned by Run while another Run of the same Shipper
	// is active: two loops would race on the checkpoint.
	ErrRunning = errors.New("kafkalog: shipper already running")
)
