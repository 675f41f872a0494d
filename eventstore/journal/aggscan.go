package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"softswitch/domain"
	"softswitch/eventstore"
)

// scan reads a segment from off to limit and keeps the aggregate's
// records, comparing each record's aggregate bytes without decoding the
// rest. last is the position just before off. In a live segment an
// incomplete or unchecked frame with nothing valid after it is a write in
// flight and ends the scan; anywhere else it is damage.
func (r *aggReader) scan(path string, off, limit int64, last uint64, live bool) ([]domain.Envelope, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: open segment: %w", err)
	}
	defer f.Close()
	var magic [segmentHeaderBytes]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil || string(magic[:]) != segmentMagic {
		if err == nil && string(magic[:len(segmentMagicPrefix)]) == segmentMagicPrefix {
			return nil, fmt.Errorf("%w: segment %s", ErrFormat, path)
		}
		if live && errors.Is(err, io.EOF) {
			return nil, nil // being created
		}
		return nil, fmt.Errorf("%w: %s: bad segment header", eventstore.ErrCorrupt, path)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(f, off, limit-off), 256<<10)
	var envs []domain.Envelope
	for n := 0; ; n++ {
		if n%readCtxEvery == 0 {
			if err := r.ctx.Err(); err != nil {
				return nil, err
			}
		}
		var body []byte
		body, r.buf, err = readFrame(br, r.buf)
		switch {
		case errors.Is(err, io.EOF):
			return envs, nil
		case (errors.Is(err, errTorn) || errors.Is(err, errChecksum)) && live && !validRecordFollows(f, off, limit, last+2):
			return envs, nil
		case err != nil:
			return nil, fmt.Errorf("%w: %s offset %d: %v", eventstore.ErrCorrupt, path, off, err)
		}
		pos := bodyPosition(body)
		if pos > r.head {
			return envs, nil
		}
		env, ok, err := r.match(body)
		if err != nil {
			return nil, fmt.Errorf("%w: %s position %d: %v", eventstore.ErrCorrupt, path, pos, err)
		}
		if ok {
			envs = append(envs, env)
		}
		last = pos
		off += frameHeaderBytes + int64(len(body))
	}
}

// readFrameAt reads and checks the frame at off, which must end by limit.
func readFrameAt(f *os.File, off, limit int64, buf []byte) (body, newBuf []byte, err error) {
	return readFrame(io.NewSectionReader(f, off, limit-off), buf)
}

// bodyAggregate returns the aggregate field of a checked body without
// decoding the others: scans compare it against every record.
func bodyAggregate(body []byte) ([]byte, bool) { return bodyString(body, fieldAggregate) }

// The string fields of a body, in their order (frame.go).
const (
	fieldID = iota
	fieldType
	fieldAggregate
)

// bodyString returns string field (fieldID, fieldType, fieldAggregate) of
// a checked body without decoding the others.
func bodyString(body []byte, field int) ([]byte, bool) {
	b := body[8 : len(body)-chainBytes]
	// seq, version, seconds, nanoseconds: a varint has the byte layout of
	// a uvarint, so the same skip serves both.
	for range 4 {
		_, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, false
		}
		b = b[n:]
	}
	for i := range field + 1 {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return nil, false
		}
		if i == field {
			return b[n : n+int(l)], true
		}
		b = b[n+int(l):]
	}
	return nil, false
}
