package kafkalog

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestCheckpointRoundTrip(t *testing.T) {
	c := newCheckpoint(t.TempDir(), "softswitch.events")
	if st, err := c.load(); err != nil || st.next != 1 || len(st.heads) != 0 {
		t.Fatalf("missing file: load = %+v, %v; want next 1, no heads", st, err)
	}
	heads := []Chain{Link(Chain{}, []byte("a")), {}, Link(Chain{}, []byte("b"))}
	for _, want := range []shipState{
		{next: 1},
		{next: 2, heads: heads[:1]},
		{next: 5001, heads: heads},
		{next: 1 << 40, heads: heads},
	} {
		if err := c.store(want); err != nil {
			t.Fatal(err)
		}
		got, err := c.load()
		if err != nil || got.next != want.next || !slices.Equal(got.heads, want.heads) {
			t.Fatalf("load = %+v, %v; want %+v", got, err, want)
		}
	}
	if _, err := os.Stat(c.path + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temp file left behind: %v", err)
	}
}

func TestCheckpointBadFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
	}{
		{"Empty", ""},
		{"Torn", "123"},
		{"Zeros", "\x00\x00\x00\x00"},
		{"Garbage", "hello\n"},
		{"Negative", "-5\n"},
		{"Zero", "0\n"},
		{"TwoLines", "12\n13\n"},
		{"HeadNotHex", "12\n0 " + strings.Repeat("zz", 32) + "\n"},
		{"HeadShort", "12\n0 abcd\n"},
		{"HeadsOutOfOrder", "12\n1 " + strings.Repeat("00", 32) + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCheckpoint(t.TempDir(), "t")
			if err := os.WriteFile(c.path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := c.load()
			if !errors.Is(err, ErrBadCheckpoint) {
				t.Fatalf("load = %v, want ErrBadCheckpoint", err)
			}
			if !strings.Contains(err.Error(), c.path) {
				t.Fatalf("error %q does not name the file %s", err, c.path)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := Config{Brokers: []string{"127.0.0.1:9092"}, DataDir: "/tmp/x"}
		c.setDefaults()
		return c
	}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"Brokers", func(c *Config) { c.Brokers = nil }, "Brokers"},
		{"DataDir", func(c *Config) { c.DataDir = "" }, "DataDir"},
		{"BatchSize", func(c *Config) { c.BatchSize = -1 }, "BatchSize"},
		{"BatchBytes", func(c *Config) { c.BatchBytes = 10 }, "BatchBytes"},
		{"MaxBackoff", func(c *Config) { c.MaxBackoff = c.MinBackoff / 2 }, "MaxBackoff"},
		{"Partitions", func(c *Config) { c.Partitions = -1 }, "Partitions"},
	}
	if err := valid().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate = %v, want ErrInvalidConfig naming %s", err, tc.field)
			}
		})
	}
}
