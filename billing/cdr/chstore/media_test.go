package chstore_test

import (
	"context"
	"testing"
	"time"

	"softswitch/billing/cdr/cdrtest"
	"softswitch/billing/cdr/chstore"
	"softswitch/domain"
)

// mediaColumnsRow is what a query sees of one CDR's media columns.
type mediaColumnsRow struct {
	aLeg, bLeg, aSource, bSource, recording, sha                string
	aPackets, aBytes, aOOO, aDup, aSent, aForeign, aMalf, aDrop uint64
	bPackets, bBytes, bOOO, bDup, bSent, bForeign, bMalf, bDrop uint64
	aLost, bLost                                                int64
	aJitter, aRTT, aMOS, bJitter, bRTT, bMOS                    float64
}

const mediaColumnsQuery = "SELECT a_media_leg, b_media_leg, a_rtp_source, b_rtp_source, recording, recording_sha256, " +
	"a_rtp_packets, a_rtp_bytes, a_rtp_out_of_order, a_rtp_duplicates, a_rtp_sent, a_rtp_foreign, a_rtp_malformed, a_rtp_dropped, " +
	"b_rtp_packets, b_rtp_bytes, b_rtp_out_of_order, b_rtp_duplicates, b_rtp_sent, b_rtp_foreign, b_rtp_malformed, b_rtp_dropped, " +
	"a_rtp_lost, b_rtp_lost, a_jitter_ms, a_rtt_ms, a_mos, b_jitter_ms, b_rtt_ms, b_mos FROM "

func (m *mediaColumnsRow) dests() []any {
	return []any{&m.aLeg, &m.bLeg, &m.aSource, &m.bSource, &m.recording, &m.sha,
		&m.aPackets, &m.aBytes, &m.aOOO, &m.aDup, &m.aSent, &m.aForeign, &m.aMalf, &m.aDrop,
		&m.bPackets, &m.bBytes, &m.bOOO, &m.bDup, &m.bSent, &m.bForeign, &m.bMalf, &m.bDrop,
		&m.aLost, &m.bLost, &m.aJitter, &m.aRTT, &m.aMOS, &m.bJitter, &m.bRTT, &m.bMOS}
}

// TestMediaColumns: the caller's leg goes to the a_ columns and the B-leg,
// whatever its id, to the b_ columns, where quality queries read them; a
// CDR without media leaves the DEFAULTs.
func TestMediaColumns(t *testing.T) {
	ctx := context.Background()
	cfg := newDatabase(t)
	s, err := chstore.Open(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	with := cdrtest.WithMedia(cdrtest.Record("with-media", 0, "alice", "bob", domain.DispositionAnswered))
	// The B-leg listed first: the columns follow the leg id, not the order.
	swapped := cdrtest.WithMedia(cdrtest.Record("swapped", time.Second, "alice", "bob", domain.DispositionAnswered))
	swapped.Media[0], swapped.Media[1] = swapped.Media[1], swapped.Media[0]
	without := cdrtest.Record("without-media", 2*time.Second, "alice", "bob", domain.DispositionBusy)
	if err := s.Put(ctx, []domain.CDR{with, swapped, without}, 1); err != nil {
		t.Fatal(err)
	}
	read := func(id string) mediaColumnsRow {
		t.Helper()
		var m mediaColumnsRow
		q := mediaColumnsQuery + "`" + cfg.Database + "`.cdr WHERE id = ?"
		if err := rawConn(t, cfg).QueryRow(ctx, q, id).Scan(m.dests()...); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := with.Media[0], with.Media[1]
	want := mediaColumnsRow{
		aLeg: "a", bLeg: "b1", aSource: a.Source, bSource: b.Source, recording: with.Recording, sha: with.RecordingSHA256,
		aPackets: a.Packets, aBytes: a.Bytes, aOOO: a.OutOfOrder, aDup: a.Duplicates, aSent: a.Sent, aForeign: a.Foreign, aMalf: a.Malformed, aDrop: a.Dropped,
		bPackets: b.Packets, bBytes: b.Bytes, bOOO: b.OutOfOrder, bDup: b.Duplicates, bSent: b.Sent, bForeign: b.Foreign, bMalf: b.Malformed, bDrop: b.Dropped,
		aLost: a.Lost, bLost: b.Lost, aJitter: a.JitterMs, aRTT: a.RTTMs, aMOS: a.MOS, bJitter: b.JitterMs, bRTT: b.RTTMs, bMOS: b.MOS,
	}
	for _, r := range []domain.CDR{with, swapped} {
		want.recording = r.Recording
		if got := read(r.ID); got != want {
			t.Errorf("%s media columns\n got %+v\nwant %+v", r.CallID, got, want)
		}
	}
	if got := read(without.ID); got != (mediaColumnsRow{}) {
		t.Errorf("no-media CDR's columns %+v, want the defaults", got)
	}
	// Read back, the swapped CDR's media comes in the a, b order.
	got, err := s.Get(ctx, swapped.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := mustJSON(t, got.Media), mustJSON(t, with.Media); g != w {
		t.Errorf("swapped media read back\n got %s\nwant %s", g, w)
	}
}
