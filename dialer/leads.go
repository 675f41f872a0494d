package dialer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"softswitch/domain"
)

// maxLeadsPerUpload bounds one upload (and its events): a larger list is
// uploaded in parts.
const maxLeadsPerUpload = 100_000

// leadsPerEvent is how many leads one campaign.leads_loaded carries.
const leadsPerEvent = 1000

// LeadRowError is one rejected row of a leads file: 1-based line, the
// column's name, and why.
type LeadRowError struct {
	Line   int    `json:"line"`
	Column string `json:"column"`
	Value  string `json:"value,omitempty"`
	Error  string `json:"error"`
}

// parseLeads reads a leads CSV: a header row naming the columns, among
// them "number" (required); "name", "zone" (IANA, overriding the number's
// country) and "id" are known; any other column is a custom field. A UTF-8
// BOM is dropped. A row with a bad number or zone is rejected with its line
// and column and the others are loaded; a file that cannot be read as CSV,
// or has no number column, is refused whole (fatal). Leads get the id
// column's value, else "<base>-<line>".
func parseLeads(r io.Reader, base string) (leads []domain.Lead, rejected []LeadRowError, fatal error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fieldErr("leads", "no header row: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			return nil, nil, fieldErr("leads", "header column %d is empty", i+1)
		}
		if _, dup := col[h]; dup {
			return nil, nil, fieldErr("leads", "header names %q twice", h)
		}
		col[h] = i
		header[i] = h
	}
	if _, ok := col["number"]; !ok {
		return nil, nil, fieldErr("leads", "the header has no \"number\" column (got %s)", strings.Join(header, ","))
	}
	ids := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if pe.Err == csv.ErrFieldCount {
				continue // FieldsPerRecord is -1: not reached
			}
			return nil, nil, fieldErr("leads", "line %d: %v", pe.Line, pe.Err)
		}
		if err != nil {
			return nil, nil, fieldErr("leads", "%v", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != len(header) {
			rejected = append(rejected, LeadRowError{Line: line, Column: "", Error: fmt.Sprintf("%d columns, the header has %d", len(rec), len(header))})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		num, err := e164(get("number"))
		if err != nil {
			rejected = append(rejected, LeadRowError{Line: line, Column: "number", Value: get("number"), Error: err.Error()})
			continue
		}
		zone := get("zone")
		if zone != "" {
			if _, err := time.LoadLocation(zone); err != nil {
				rejected = append(rejected, LeadRowError{Line: line, Column: "zone", Value: zone, Error: "not an IANA time zone"})
				continue
			}
		}
		id := get("id")
		if id == "" {
			id = base + "-" + strconv.Itoa(line)
		}
		if ids[id] {
			rejected = append(rejected, LeadRowError{Line: line, Column: "id", Value: id, Error: "duplicate id in the file"})
			continue
		}
		ids[id] = true
		l := domain.Lead{ID: id, Number: "+" + num, Name: get("name"), Zone: zone}
		for name, i := range col {
			switch name {
			case "number", "name", "zone", "id":
			default:
				if l.Fields == nil {
					l.Fields = map[string]string{}
				}
				l.Fields[name] = rec[i]
			}
		}
		leads = append(leads, l)
		if len(leads) > maxLeadsPerUpload {
			return nil, nil, fieldErr("leads", "more than %d leads in one upload", maxLeadsPerUpload)
		}
	}
	return leads, rejected, nil
}
