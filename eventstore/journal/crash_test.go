package journal_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore/journal"
	"softswitch/eventstore/storetest"
)

const crashDirEnv = "JOURNAL_CRASH_DIR"

// crashOpts uses small segments so kills land around segment rolls too.
var crashOpts = journal.Options{SegmentBytes: 64 << 10}

// TestHelperProcess is the child of TestKill9: it appends from several
// goroutines and prints "first last" for every acknowledged Append, one
// write per line, until it is killed.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper for TestKill9")
	}
	ctx := context.Background()
	j, err := journal.Open(ctx, dir, crashOpts, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	for g := range 4 {
		go func() {
			for i := 0; ; i++ {
				envs := make([]domain.Envelope, 1+i%5)
				for k := range envs {
					envs[k] = storetest.Envelope(g<<24|i<<3|k, fmt.Sprintf("call:%d", g), uint64(i*8+k+1))
				}
				if err := j.Append(ctx, envs); err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(3)
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "%d %d\n", envs[0].Position, envs[len(envs)-1].Position)
				out.Unlock()
			}
		}()
	}
	select {}
}

func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	tests := []struct {
		name      string
		killAfter int // acknowledged Appends to see before SIGKILL
	}{
		{"Early", 5},
		{"Mid", 300},
		{"Late", 3000},
	}
	dir := t.TempDir() // shared: each run appends to what the last left
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acked, highest := runAndKill(t, dir, tc.killAfter)
			// Read before recovery, as replay of a crashed node would:
			// sidecars may be missing and the last segment torn.
			beforeOpen := aggregatePositions(t, dirReader(dir))
			j, err := journal.Open(t.Context(), dir, crashOpts, testLogger(t))
			if err != nil {
				t.Fatalf("reopen after kill: %v", err)
			}
			defer j.Close()
			if j.Head() < highest {
				t.Fatalf("head %d after kill, but position %d was acknowledged", j.Head(), highest)
			}
			seen := make(map[uint64]bool, j.Head())
			byAgg := map[string][]uint64{}
			var last uint64
			err = j.Read(t.Context(), 1, func(e domain.Envelope) error {
				if e.Position != last+1 {
					return fmt.Errorf("position %d after %d", e.Position, last)
				}
				last = e.Position
				seen[e.Position] = true
				byAgg[e.Aggregate] = append(byAgg[e.Aggregate], e.Position)
				return storetest.Check(e)
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range acked {
				for p := r[0]; p <= r[1]; p++ {
					if !seen[p] {
						t.Fatalf("acknowledged position %d lost", p)
					}
				}
			}
			for name, got := range map[string]map[string][]uint64{
				"dir before Open": beforeOpen,
				"ReadAggregate":   aggregatePositions(t, j.ReadAggregate),
				"dir after Open":  aggregatePositions(t, dirReader(dir)),
			} {
				if !reflect.DeepEqual(got, byAgg) {
					t.Errorf("%s: aggregates read through the index differ from a full read", name)
				}
			}
			t.Logf("%d appends acknowledged up to position %d; %d records after recovery", len(acked), highest, last)
		})
	}
}

// aggregatePositions reads the helper's four aggregates through read.
func aggregatePositions(t *testing.T, read aggReadFunc) map[string][]uint64 {
	t.Helper()
	out := map[string][]uint64{}
	for g := range 4 {
		agg := fmt.Sprintf("call:%d", g)
		if ps := positions(collect(t, read, agg)); len(ps) > 0 {
			out[agg] = ps
		}
	}
	return out
}

// runAndKill starts the helper on dir, SIGKILLs it after killAfter
// acknowledgements and returns every acknowledged range.
func runAndKill(t *testing.T, dir string, killAfter int) (acked [][2]uint64, highest uint64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	br := bufio.NewReader(stdout)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			// A line cut short by the kill was never fully printed, so
			// its Append may not count as acknowledged: ignore it.
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		var first, last uint64
		f := strings.Fields(line)
		if len(f) == 2 {
			first, err = strconv.ParseUint(f[0], 10, 64)
			if err == nil {
				last, err = strconv.ParseUint(f[1], 10, 64)
			}
		}
		if len(f) != 2 || err != nil {
			t.Fatalf("bad helper line %q", line)
		}
		acked = append(acked, [2]uint64{first, last})
		highest = max(highest, last)
		if !killed && len(acked) >= killAfter {
			// Lines already in the pipe were acknowledged before the kill
			// and are checked too.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("helper ended with %v, want SIGKILL", err)
	}
	return acked, highest
}
