package kafkalog

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestCheckpointRoundTrip(t *testing.T) {
	c := newCheckpoint(t.TempDir(), "softswitch.events")
	if next, err := c.load(); err != nil || next != 1 {
		t.Fatalf("missing file: load = %d, %v; want 1, nil", next, err)
	}
	for _, want := range []uint64{1, 2, 5001, 1 << 40} {
		if err := c.store(want); err != nil {
			t.Fatal(err)
		}
		if got, err := c.load(); err != nil || got != want {
			t.Fatalf("load = %d, %v; want %d", got, err, want)
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
