package main

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// The ng control protocol carries bencoded dictionaries (BitTorrent's BEP 3
// encoding): strings as "len:bytes", integers as "i<n>e", lists "l...e",
// dictionaries "d...e" with keys sorted.

// ErrBencode is returned for input that is not valid bencode.
var ErrBencode = errors.New("bencode: malformed input")

// bencode appends v (string, []byte, int, int64, []any, []string,
// map[string]any) to b.
func bencode(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		b = strconv.AppendInt(b, int64(len(x)), 10)
		b = append(b, ':')
		return append(b, x...), nil
	case []byte:
		b = strconv.AppendInt(b, int64(len(x)), 10)
		b = append(b, ':')
		return append(b, x...), nil
	case int:
		return bencode(b, int64(x))
	case int64:
		b = append(b, 'i')
		b = strconv.AppendInt(b, x, 10)
		return append(b, 'e'), nil
	case []string:
		b = append(b, 'l')
		for _, s := range x {
			b, _ = bencode(b, s)
		}
		return append(b, 'e'), nil
	case []any:
		b = append(b, 'l')
		for _, e := range x {
			var err error
			if b, err = bencode(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, 'e'), nil
	case map[string]any:
		b = append(b, 'd')
		for _, k := range slices.Sorted(maps.Keys(x)) {
			b, _ = bencode(b, k)
			var err error
			if b, err = bencode(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, 'e'), nil
	}
	return nil, fmt.Errorf("%w: cannot encode %T", ErrBencode, v)
}

// maxBencodeDepth bounds nesting so hostile input cannot exhaust the stack.
const maxBencodeDepth = 32

// bdecode parses one value from b: strings become string, integers int64,
// lists []any, dictionaries map[string]any. Dictionary key order is not
// enforced (rtpengine does not always sort its keys).
func bdecode(b []byte) (any, error) {
	v, rest, err := bdecodeValue(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBencode, len(rest))
	}
	return v, nil
}

func bdecodeValue(b []byte, depth int) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("%w: unexpected end", ErrBencode)
	}
	if depth > maxBencodeDepth {
		return nil, nil, fmt.Errorf("%w: nested too deep", ErrBencode)
	}
	switch c := b[0]; {
	case c == 'i':
		end := bytes.IndexByte(b, 'e')
		if end < 0 {
			return nil, nil, fmt.Errorf("%w: unterminated integer", ErrBencode)
		}
		n, err := strconv.ParseInt(string(b[1:end]), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: integer %q", ErrBencode, b[1:end])
		}
		return n, b[end+1:], nil
	case c == 'l':
		var list []any
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			v, rest, err := bdecodeValue(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			list = append(list, v)
			b = rest
		}
		if len(b) == 0 {
			return nil, nil, fmt.Errorf("%w: unterminated list", ErrBencode)
		}
		return list, b[1:], nil
	case c == 'd':
		dict := map[string]any{}
		b = b[1:]
		for len(b) > 0 && b[0] != 'e' {
			k, rest, err := bdecodeValue(b, depth+1)
			if err != nil {
				return nil, nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, nil, fmt.Errorf("%w: dictionary key is not a string", ErrBencode)
			}
			v, rest, err := bdecodeValue(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			dict[key] = v
			b = rest
		}
		if len(b) == 0 {
			return nil, nil, fmt.Errorf("%w: unterminated dictionary", ErrBencode)
		}
		return dict, b[1:], nil
	case c >= '0' && c <= '9':
		colon := bytes.IndexByte(b, ':')
		if colon < 0 {
			return nil, nil, fmt.Errorf("%w: string without length", ErrBencode)
		}
		n, err := strconv.Atoi(string(b[:colon]))
		if err != nil || n < 0 || n > len(b)-colon-1 {
			return nil, nil, fmt.Errorf("%w: string length %q", ErrBencode, b[:colon])
		}
		start := colon + 1
		return string(b[start : start+n]), b[start+n:], nil
	}
	return nil, nil, fmt.Errorf("%w: unexpected %q", ErrBencode, b[0])
}
