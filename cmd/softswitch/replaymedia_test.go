package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
	"softswitch/eventstore/journal"
)

// closedAddr is a loopback address nothing listens on, so the CLI falls
// back from the switch's API to the journal.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// writeJournal appends evs, one envelope each, to a new journal under
// data/journal.
func writeJournal(t *testing.T, data string, evs ...domain.Event) []domain.Envelope {
	t.Helper()
	j, err := journal.Open(t.Context(), filepath.Join(data, "journal"), journal.Options{NoSync: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var envs []domain.Envelope
	seqs := map[string]uint64{}
	for i, ev := range evs {
		seqs[ev.AggregateKey()]++
		env, err := domain.Seal(ev, fmt.Sprintf("ev-%d", i), "node1", seqs[ev.AggregateKey()], t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, env)
	}
	if err := j.Append(t.Context(), envs); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return envs
}

// TestReplayMediaEvents: `softswitch replay` of a stopped node prints a
// line per media event, and --json carries their envelopes.
func TestReplayMediaEvents(t *testing.T) {
	const id = "node1-media"
	data := t.TempDir()
	writeJournal(t, data,
		domain.CallStarted{CallID: id, Caller: "6000", Callee: "6001", Source: "127.0.0.1:5062"},
		domain.MediaAnchored{CallID: id, Leg: "a", Local: "127.0.0.1:30000", Remote: "127.0.0.1:4000", Direction: "sendrecv", Codecs: []string{"PCMU", "telephone-event"}},
		domain.DTMF{CallID: id, Leg: "a", Digit: "5", DurationMs: 160, Ended: true},
		domain.MediaStats{CallID: id, Final: true, Legs: []domain.MediaLeg{{Leg: "a", Packets: 250, JitterMs: 0.4, MOS: 4.41}}},
		domain.Recording{CallID: id, Path: "/rec/x.wav", Bytes: 80044, DurationMs: 5000, SHA256: strings.Repeat("ab", 32)},
	)
	args := []string{"--config", "../../deploy/examples/softswitch.yaml", "--data", data, "--http", closedAddr(t), "--call-id", id}

	var out bytes.Buffer
	if err := cmdReplay(t.Context(), args, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"media a: local 127.0.0.1:30000 remote 127.0.0.1:4000 sendrecv PCMU,telephone-event",
		"dtmf a: 5 (160 ms)",
		"media stats (final) a: 250 pkts lost 0 jitter 0.4 ms mos 4.41",
		"recording /rec/x.wav 80044 bytes 5.0 s sha256 abababababababab…",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("replay lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if err := cmdReplay(t.Context(), append(args, "--json"), &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var env domain.Envelope
		if err := json.Unmarshal([]byte(line), &env); err != nil {
			t.Fatalf("--json line %q: %v", line, err)
		}
		if _, err := domain.Decode(env); err != nil {
			t.Errorf("--json %s does not decode: %v", env.Type, err)
		}
		types = append(types, env.Type)
	}
	want := []string{domain.TypeCallStarted, domain.TypeMediaAnchored, domain.TypeDTMF, domain.TypeMediaStats, domain.TypeRecording}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Errorf("--json types %v, want %v", types, want)
	}
}
