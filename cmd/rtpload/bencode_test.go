package main

import (
	"errors"
	"reflect"
	"testing"
)

func TestBencodeRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		wire string
		back any
	}{
		{"string", "offer", "5:offer", "offer"},
		{"empty string", "", "0:", ""},
		{"int", 42, "i42e", int64(42)},
		{"negative", int64(-7), "i-7e", int64(-7)},
		{"list", []string{"origin", "session-connection"}, "l6:origin18:session-connectione", []any{"origin", "session-connection"}},
		{"dict sorted", map[string]any{"sdp": "v=0", "command": "offer", "ICE": "remove"},
			"d3:ICE6:remove7:command5:offer3:sdp3:v=0e",
			map[string]any{"sdp": "v=0", "command": "offer", "ICE": "remove"}},
		{"nested", map[string]any{"a": []any{int64(1), "x", map[string]any{}}}, "d1:ali1e1:xdeee", map[string]any{"a": []any{int64(1), "x", map[string]any{}}}},
	}
	for _, tt := range tests {
		b, err := bencode(nil, tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(b) != tt.wire {
			t.Errorf("%s: encoded %q, want %q", tt.name, b, tt.wire)
		}
		v, err := bdecode(b)
		if err != nil {
			t.Fatalf("%s: decode: %v", tt.name, err)
		}
		if !reflect.DeepEqual(v, tt.back) {
			t.Errorf("%s: decoded %#v, want %#v", tt.name, v, tt.back)
		}
	}
}

func TestBdecodeUnsortedAndMalformed(t *testing.T) {
	t.Parallel()
	// rtpengine does not always sort its keys; that must parse.
	v, err := bdecode([]byte("d6:result2:ok3:sdp3:v=0e"))
	if err != nil || v.(map[string]any)["result"] != "ok" {
		t.Fatalf("reply: %v %v", v, err)
	}
	if v, err := bdecode([]byte("d3:sdp3:v=06:result2:oke")); err != nil || v.(map[string]any)["sdp"] != "v=0" {
		t.Fatalf("unsorted reply: %v %v", v, err)
	}
	bad := []string{"", "i12", "ixe", "5:abc", "l1:a", "d1:a", "di1e1:ae", "x", "3:abcd", "-1:a", "lllllllllllllllllllllllllllllllllllllllle"}
	for _, in := range bad {
		if _, err := bdecode([]byte(in)); !errors.Is(err, ErrBencode) {
			t.Errorf("bdecode(%q) err %v, want ErrBencode", in, err)
		}
	}
	if _, err := bencode(nil, 1.5); !errors.Is(err, ErrBencode) {
		t.Errorf("encoding a float: %v", err)
	}
}
