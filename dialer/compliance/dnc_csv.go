package compliance

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxReasonLen bounds the optional reason column, in bytes: it is carried
// in an event, and a longer cell is more likely a misaligned file.
const MaxReasonLen = 256

// Causes of a *RowError besides number.ErrInvalidNumber.
var (
	// ErrColumns: a row with more than two columns.
	ErrColumns = errors.New("expected 1 or 2 columns: number[,reason]")
	// ErrReason: a reason longer than MaxReasonLen or not UTF-8.
	ErrReason = errors.New("reason longer than 256 bytes or not UTF-8")
)

// ParseDNCCSV reads a DNC file: one number per row in any form
// number.Normalize accepts, an optional second column with the reason, and
// an optional header (a first row whose first cell has no digit). A UTF-8
// byte-order mark, as spreadsheet exports write, is ignored.
//
// A row that cannot be loaded is returned as a *RowError naming its line
// and column, and the rest is loaded. Unreadable input or broken CSV
// quoting is fatal: the error wraps ErrImport and the Batch is empty, so a
// caller never applies half a file.
func ParseDNCCSV(r io.Reader) (Batch, []*RowError, error) {
	// The BOM is dropped before the CSV reader sees it: in front of a
	// quoted first cell it would otherwise be a quoting error.
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	var b Batch
	var rejected []*RowError
	anyReason := false
	for row := 0; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Batch{}, nil, fmt.Errorf("%w: %w", ErrImport, err)
		}
		line, _ := cr.FieldPos(0)
		if row == 0 {
			if !strings.ContainsAny(rec[0], "0123456789") && len(rec) <= 2 {
				continue // header
			}
		}
		if len(rec) > 2 {
			rejected = append(rejected, &RowError{Line: line, Column: 3, Value: rec[2], Err: ErrColumns})
			continue
		}
		k, err := ParseKey(rec[0])
		if err != nil {
			rejected = append(rejected, &RowError{Line: line, Column: 1, Value: rec[0], Err: err})
			continue
		}
		reason := ""
		if len(rec) == 2 {
			reason = strings.TrimSpace(rec[1])
			if len(reason) > MaxReasonLen || !utf8.ValidString(reason) {
				rejected = append(rejected, &RowError{Line: line, Column: 2, Value: truncate(reason), Err: ErrReason})
				continue
			}
		}
		anyReason = anyReason || reason != ""
		b.Add = append(b.Add, k)
		b.Reasons = append(b.Reasons, reason)
	}
	if !anyReason {
		b.Reasons = nil
	}
	return b, rejected, nil
}

// ImportCSV parses r with ParseDNCCSV and, unless that failed, applies the
// loaded rows as one new version. On a fatal error nothing is applied and
// the version is unchanged.
func (d *DNC) ImportCSV(r io.Reader) (version uint64, rejected []*RowError, err error) {
	b, rejected, err := ParseDNCCSV(r)
	if err != nil {
		return d.Version(), nil, err
	}
	return d.Apply(b), rejected, nil
}

func truncate(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:64] + "…"
}
