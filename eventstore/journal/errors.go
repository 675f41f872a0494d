package journal

import "errors"

var (
	// ErrInvalidOptions is wrapped by Options.Validate.
	ErrInvalidOptions = errors.New("journal: invalid options")
	// ErrLocked means another process (or another Open in this one) holds
	// the journal directory for writing.
	ErrLocked = errors.New("journal: directory locked by another writer")
	// ErrRecordTooLarge is returned by Append for an envelope whose encoding
	// exceeds MaxRecordBytes.
	ErrRecordTooLarge = errors.New("journal: record too large")
	// ErrFailed is returned by every Append after a write or fsync failed:
	// once fsync has failed the page cache state is unknown, so the only
	// safe recovery is to reopen and let recovery decide what is on disk.
	ErrFailed = errors.New("journal: writer failed, reopen required")
	// ErrFormat means a segment was written in another on-disk format
	// version (format 1 predates the hash chain); it is refused rather
	// than misread.
	ErrFormat = errors.New("journal: unsupported segment format version")
)
