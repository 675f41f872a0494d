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

// checkpoint is the file that records the next journal position to ship
// and the partition chain heads that go with it (shipState).
// It is rewritten only after Kafka acknowledged everything before that
// position, so a crash can only make the shipper repeat a batch, never
// skip one.
type checkpoint struct {
	path string
}

func newCheckpoint(dir, topic string) checkpoint {
	return checkpoint{path: filepath.Join(dir, "kafkalog-"+topic+".checkpoint")}
}

// shipState is what the checkpoint holds: the next journal position to
// ship and, per partition of the events topic, the head of this node's
// chain (HeaderChain) after everything before that position. They are
// one file so they move together: a restart re-ships from next and, from
// those heads, stamps the re-shipped records with the very links they had
// the first time, which is what lets a verifier tell a redelivered copy
// from a forged one.
type shipState struct {
	next  uint64
	heads []Chain // index = partition; missing partitions start at zero
}

// load returns the shipping state: next 1 and no heads when the file does
// not exist (nothing shipped yet). The file is the position on its own
// line, then one "<partition> <chain>" line per partition. Anything else
// is an error: guessing would either lose events, re-ship the whole
// journal, or restart the chains.
func (c checkpoint) load() (shipState, error) {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return shipState{next: 1}, nil
	}
	if err != nil {
		return shipState{}, fmt.Errorf("kafkalog: read checkpoint %s: %w", c.path, err)
	}
	s, ok := strings.CutSuffix(string(b), "\n")
	if !ok {
		return shipState{}, fmt.Errorf("%w: %s is torn (%d bytes, no trailing newline)", ErrBadCheckpoint, c.path, len(b))
	}
	lines := strings.Split(s, "\n")
	next, err := strconv.ParseUint(lines[0], 10, 64)
	if err != nil || next == 0 {
		return shipState{}, fmt.Errorf("%w: %s does not hold a position: %q", ErrBadCheckpoint, c.path, truncate(lines[0], 40))
	}
	st := shipState{next: next}
	for i, line := range lines[1:] {
		part, head, err := parseHeadLine(line)
		if err != nil || part != i {
			return shipState{}, fmt.Errorf("%w: %s line %d is not the chain head of partition %d: %q",
				ErrBadCheckpoint, c.path, i+2, i, truncate(line, 80))
		}
		st.heads = append(st.heads, head)
	}
	return st, nil
}

func parseHeadLine(line string) (int, Chain, error) {
	p, h, ok := strings.Cut(line, " ")
	if !ok {
		return 0, Chain{}, errors.New("no space")
	}
	part, err := strconv.Atoi(p)
	if err != nil {
		return 0, Chain{}, err
	}
	head, err := ParseChain([]byte(h))
	return part, head, err
}

// store replaces the file atomically: write a temp file, fsync it, rename
// it over the old one, fsync the directory so the rename survives power
// loss.
func (c checkpoint) store(st shipState) error {
	tmp := c.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("kafkalog: write checkpoint %s: %w", tmp, err)
	}
	b := strconv.AppendUint(nil, st.next, 10)
	b = append(b, '\n')
	for i, h := range st.heads {
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ' ')
		b = append(b, h.String()...)
		b = append(b, '\n')
	}
	_, err = f.Write(b)
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
