package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"softswitch/internal/config"
)

// TestLoadResolvesPaths: the file's relative paths are taken from its own
// directory, whatever the working directory; absolute ones are kept;
// Parse (no file) leaves them to the working directory.
func TestLoadResolvesPaths(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "etc", "softswitch.yaml")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml        string
		data, record, key string
	}{
		{"default data_dir beside the file", "", filepath.Join(dir, "etc", "data"), filepath.Join(dir, "etc", "data", "recordings"), ""},
		{"relative data_dir", "data_dir: ../var/ss\n", filepath.Join(dir, "var", "ss"), filepath.Join(dir, "var", "ss", "recordings"), ""},
		{"absolute data_dir kept", "data_dir: /srv/ss\n", "/srv/ss", "/srv/ss/recordings", ""},
		{"relative record_dir", "media: {record_dir: rec}\n", filepath.Join(dir, "etc", "data"), filepath.Join(dir, "etc", "rec"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(conf, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(t.TempDir()) // elsewhere: the file's directory decides
			c, err := config.Load(conf)
			if err != nil {
				t.Fatal(err)
			}
			if c.DataDir != tt.data || c.Media.RecordDir != tt.record || c.Audit.SigningKeyFile != tt.key {
				t.Fatalf("data_dir %q, record_dir %q, key %q; want %q, %q, %q", c.DataDir, c.Media.RecordDir, c.Audit.SigningKeyFile, tt.data, tt.record, tt.key)
			}
		})
	}
	c, err := config.Parse([]byte("data_dir: rel\n"))
	if err != nil || c.DataDir != "rel" {
		t.Fatalf("Parse: data_dir %q, %v; want rel (the working directory's)", c.DataDir, err)
	}
}
