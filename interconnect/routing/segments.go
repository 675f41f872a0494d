package routing

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

// cnSegments is China's mobile number segment table (MIIT allocations:
// the three MNOs, China Broadnet's 192, and the MVNO segments 170x, 171,
// 162, 165 and 167 with their host networks). A copy lives in testdata for
// tests; the embedded one lets the switch run without ../shared.
//
//go:embed segments/cn.tsv
var cnSegments []byte

// DefaultSegments returns a fresh copy of China's segment table. It panics
// only if the embedded file is corrupt, which TestDefaultSegments rules out.
func DefaultSegments() []Segment {
	segs, err := ParseSegments(bytes.NewReader(cnSegments))
	if err != nil {
		panic("routing: embedded segments/cn.tsv: " + err.Error())
	}
	return segs
}

// ParseSegments reads a tab-separated segment table with the columns
// prefix, carrier, kind (mno|mvno), host_carrier ("-" for none) and note.
// The first line is a header; blank lines and lines starting with '#' are
// skipped. Content is validated by Compile, shape here.
func ParseSegments(r io.Reader) ([]Segment, error) {
	var segs []Segment
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 || text == "" || text[0] == '#' {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) < 4 {
			return nil, fmt.Errorf("segments line %d: %d columns, want at least 4 (prefix, carrier, kind, host_carrier)", line, len(f))
		}
		host := f[3]
		if host == "-" {
			host = ""
		}
		segs = append(segs, Segment{Prefix: f[0], Carrier: f[1], Kind: f[2], Host: host})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	return segs, nil
}
