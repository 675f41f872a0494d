package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
)

func testEnvs() []domain.Envelope {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	var out []domain.Envelope
	for i, typ := range []string{"call.started", "call.route_decided", "call.answered", "call.ended"} {
		out = append(out, domain.Envelope{
			ID: "n1-" + string(rune('a'+i)), Type: typ, Version: 1, Aggregate: domain.CallKey("abc@host"),
			Seq: uint64(i + 1), Node: "n1", Time: t0.Add(time.Duration(i) * time.Second), Position: uint64(100 + i*3),
			Payload: json.RawMessage(`{"n":` + string(rune('0'+i)) + `}`),
		})
	}
	// out of seq order on purpose: Write sorts
	out[1], out[2] = out[2], out[1]
	return out
}

func writeBundle(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "b")
	cdr := &domain.CDR{ID: "cdr-1", CallID: "abc@host", Caller: "1001", Callee: "1002", Disposition: "answered"}
	m, err := Write(t.Context(), dir, "abc@host", testEnvs(), cdr, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Events) != 4 || m.Events[0].Seq != 1 || m.Events[3].Seq != 4 || len(m.Files) != 2 || m.Digest == "" {
		t.Fatalf("manifest %+v", m)
	}
	return dir
}

func editLines(t *testing.T, path string, fn func([]string) []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	lines = fn(lines)
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name     string
		tamper   func(t *testing.T, dir string)
		file     string
		line     int
		contains string
	}{
		{name: "intact", tamper: func(*testing.T, string) {}},
		{name: "changed byte", file: EventsFile, line: 2, contains: "sha256", tamper: func(t *testing.T, dir string) {
			p := filepath.Join(dir, EventsFile)
			b, _ := os.ReadFile(p)
			i := bytes.IndexByte(b, '\n') + 1 + bytes.Index(b[bytes.IndexByte(b, '\n')+1:], []byte(`"node":"n1"`)) + len(`"node":"n`)
			b[i] = '9'
			os.WriteFile(p, b, 0o644)
		}},
		{name: "deleted line", file: EventsFile, line: 3, tamper: func(t *testing.T, dir string) {
			editLines(t, filepath.Join(dir, EventsFile), func(l []string) []string { return append(l[:2], l[3:]...) })
		}},
		{name: "deleted last line", file: EventsFile, line: 4, contains: "missing line", tamper: func(t *testing.T, dir string) {
			editLines(t, filepath.Join(dir, EventsFile), func(l []string) []string { return l[:3] })
		}},
		{name: "added line", file: EventsFile, line: 5, contains: "extra line", tamper: func(t *testing.T, dir string) {
			editLines(t, filepath.Join(dir, EventsFile), func(l []string) []string { return append(l, l[0]) })
		}},
		{name: "reordered lines", file: EventsFile, line: 2, tamper: func(t *testing.T, dir string) {
			editLines(t, filepath.Join(dir, EventsFile), func(l []string) []string { l[1], l[2] = l[2], l[1]; return l })
		}},
		{name: "changed cdr", file: CDRFile, contains: "manifest says", tamper: func(t *testing.T, dir string) {
			p := filepath.Join(dir, CDRFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("1002"), []byte("1003"), 1), 0o644)
		}},
		{name: "deleted cdr", file: CDRFile, contains: "missing", tamper: func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, CDRFile))
		}},
		{name: "changed manifest", file: ManifestFile, contains: "digest", tamper: func(t *testing.T, dir string) {
			p := filepath.Join(dir, ManifestFile)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte(`"seq": 2`), []byte(`"seq": 7`), 1), 0o644)
		}},
		{name: "manifest rewritten with a new digest", file: EventsFile, line: 1, tamper: func(t *testing.T, dir string) {
			// a forger who recomputes the digest still has to match the files
			p := filepath.Join(dir, ManifestFile)
			var m Manifest
			b, _ := os.ReadFile(p)
			json.Unmarshal(b, &m)
			m.Events[0].SHA256 = strings.Repeat("0", 64)
			m.Digest, _ = digest(m)
			b, _ = json.Marshal(m)
			os.WriteFile(p, b, 0o644)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeBundle(t)
			tt.tamper(t, dir)
			r, err := Verify(t.Context(), dir, VerifyOptions{})
			m := r.Manifest
			if tt.file == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if m.CallID != "abc@host" || len(m.Events) != 4 || m.Events[1].Position != 103 {
					t.Errorf("manifest %+v", m)
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, ErrTampered) {
				t.Fatalf("Verify = %v, want a *VerifyError", err)
			}
			if ve.File != tt.file || ve.Line != tt.line || !strings.Contains(ve.Reason, tt.contains) {
				t.Errorf("Verify = %q (file %s line %d), want file %s line %d containing %q", err, ve.File, ve.Line, tt.file, tt.line, tt.contains)
			}
		})
	}
}

func TestWriteEventsExactlyAsSerialized(t *testing.T) {
	dir := t.TempDir()
	envs := testEnvs()
	if _, err := Write(t.Context(), dir, "abc@host", envs, nil, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, EventsFile))
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i, l := range lines {
		var env domain.Envelope
		if err := json.Unmarshal([]byte(l), &env); err != nil || env.Seq != uint64(i+1) {
			t.Errorf("line %d: seq %d, %v", i+1, env.Seq, err)
		}
		want, _ := json.Marshal(env)
		if string(want) != l {
			t.Errorf("line %d not as serialized", i+1)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, CDRFile)); !os.IsNotExist(err) {
		t.Errorf("cdr.json written without a CDR")
	}
	if _, err := Verify(t.Context(), dir, VerifyOptions{}); err != nil {
		t.Errorf("Verify without CDR: %v", err)
	}
	if _, err := Write(t.Context(), t.TempDir(), "x", nil, nil, WriteOptions{}); err == nil {
		t.Error("Write of no events succeeded")
	}
}
