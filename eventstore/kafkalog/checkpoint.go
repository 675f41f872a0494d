package kafkalog

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// checkpoint is the file that records the next journal position to ship.
// It is rewritten only after Kafka acknowledged everything before that
// position, so a crash can only make the shipper repeat a batch, never
// skip one.
type checkpoint struct {
	path string
}

func newCheckpoint(dir, topic string) checkpoint {
	return checkpoint{path: filepath.Join(dir, "kafkalog-"+topic+".checkpoint")}
}

// load returns the next position to ship: 1 when the file does not exist
// (nothing shipped yet). A file that exists but does not hold exactly one
// decimal position and a newline is an error: guessing would either lose
// events or re-ship the whole journal.
func (c checkpoint) load() (uint64, error) {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("kafkalog: read checkpoint %s: %w", c.path, err)
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return 0, fmt.Errorf("%w: %s is torn (%d bytes, no trailing newline)", ErrBadCheckpoint, c.path, len(b))
	}
	next, err := strconv.ParseUint(s, 10, 64)
	if err != nil || next == 0 {
		return 0, fmt.Errorf("%w: %s does not hold a position: %q", ErrBadCheckpoint, c.path, truncate(s, 40))
	}
	return next, nil
}

// store replaces the file atomically: write a temp file, fsync it, rename
// it over the old one, fsync the directory so the rename survives power
// loss.
func (c checkpoint) store(next uint64) error {
	tmp := c.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("kafkalog: write checkpoint %s: %w", tmp, err)
	}
	_, err = f.Write(strconv.AppendUint(nil, next, 10))
	if err == nil {
		_, err = f.Write([]byte{'\n'})
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, c.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(c.path))
	}
	if err != nil {
		return fmt.Errorf("kafkalog: write checkpoint %s: %w", c.path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
