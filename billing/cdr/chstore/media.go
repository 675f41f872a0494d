package chstore

import (
	"strings"

	"softswitch/domain"
)

// mediaLegFields are the per-leg media columns of migration 0006, without
// their a_/b_ prefix, in the order mediaLegCols fills and scans them.
var mediaLegFields = []string{
	"media_leg", "rtp_packets", "rtp_bytes", "rtp_lost", "rtp_out_of_order", "rtp_duplicates",
	"jitter_ms", "rtt_ms", "mos", "rtp_sent", "rtp_foreign", "rtp_malformed", "rtp_dropped", "rtp_source",
}

// mediaColumns is the column list of the media and recording columns: the
// caller's leg (a_), the answering B-leg (b_), then the recording.
var mediaColumns = func() string {
	var cols []string
	for _, side := range []string{"a_", "b_"} {
		for _, f := range mediaLegFields {
			cols = append(cols, side+f)
		}
	}
	return strings.Join(append(cols, "recording", "recording_sha256"), ", ")
}()

// mediaSides splits a CDR's media entries into the caller's leg ("a") and
// the B-leg, whatever its id ("b1", "b2"): MediaStats holds at most those
// two (domain.MediaStats). Should a CDR ever carry more, the row keeps the
// first of each kind; the columns have room for no other.
func mediaSides(media []domain.MediaLeg) (a, b *domain.MediaLeg) {
	for i := range media {
		m := &media[i]
		switch {
		case m.Leg == domain.SideA && a == nil:
			a = m
		case m.Leg != domain.SideA && b == nil:
			b = m
		}
	}
	return a, b
}

// mediaLegCols are one side's media columns of an insert. A CDR without
// that leg gets the zero values, which are the columns' DEFAULTs: leg ”
// reads back as no entry.
type mediaLegCols struct {
	leg, source                                                      []string
	packets, bytes, outOfOrder, duplicates, sent, foreign, malformed []uint64
	dropped                                                          []uint64
	lost                                                             []int64
	jitter, rtt, mos                                                 []float64
}

func (c *mediaLegCols) reset() {
	c.leg, c.source = c.leg[:0], c.source[:0]
	c.packets, c.bytes, c.outOfOrder, c.duplicates = c.packets[:0], c.bytes[:0], c.outOfOrder[:0], c.duplicates[:0]
	c.sent, c.foreign, c.malformed, c.dropped = c.sent[:0], c.foreign[:0], c.malformed[:0], c.dropped[:0]
	c.lost, c.jitter, c.rtt, c.mos = c.lost[:0], c.jitter[:0], c.rtt[:0], c.mos[:0]
}

func (c *mediaLegCols) add(m *domain.MediaLeg) {
	if m == nil {
		m = &domain.MediaLeg{}
	}
	c.leg = append(c.leg, m.Leg)
	c.packets = append(c.packets, m.Packets)
	c.bytes = append(c.bytes, m.Bytes)
	c.lost = append(c.lost, m.Lost)
	c.outOfOrder = append(c.outOfOrder, m.OutOfOrder)
	c.duplicates = append(c.duplicates, m.Duplicates)
	c.jitter = append(c.jitter, m.JitterMs)
	c.rtt = append(c.rtt, m.RTTMs)
	c.mos = append(c.mos, m.MOS)
	c.sent = append(c.sent, m.Sent)
	c.foreign = append(c.foreign, m.Foreign)
	c.malformed = append(c.malformed, m.Malformed)
	c.dropped = append(c.dropped, m.Dropped)
	c.source = append(c.source, m.Source)
}

// values are the columns in mediaLegFields order.
func (c *mediaLegCols) values() []any {
	return []any{c.leg, c.packets, c.bytes, c.lost, c.outOfOrder, c.duplicates,
		c.jitter, c.rtt, c.mos, c.sent, c.foreign, c.malformed, c.dropped, c.source}
}

// mediaCols are the media and recording columns of an insert.
type mediaCols struct {
	a, b                 mediaLegCols
	recording, recordSHA []string
}

func (c *mediaCols) reset() {
	c.a.reset()
	c.b.reset()
	c.recording, c.recordSHA = c.recording[:0], c.recordSHA[:0]
}

func (c *mediaCols) add(r *domain.CDR) {
	a, b := mediaSides(r.Media)
	c.a.add(a)
	c.b.add(b)
	c.recording = append(c.recording, r.Recording)
	c.recordSHA = append(c.recordSHA, r.RecordingSHA256)
}

// values are the columns in mediaColumns order.
func (c *mediaCols) values() []any {
	v := append(c.a.values(), c.b.values()...)
	return append(v, c.recording, c.recordSHA)
}

// mediaRow is where a read scans one row's media columns.
type mediaRow struct {
	a, b                 domain.MediaLeg
	recording, recordSHA string
}

// dests are the scan destinations in mediaColumns order.
func (m *mediaRow) dests() []any {
	leg := func(l *domain.MediaLeg) []any {
		return []any{&l.Leg, &l.Packets, &l.Bytes, &l.Lost, &l.OutOfOrder, &l.Duplicates,
			&l.JitterMs, &l.RTTMs, &l.MOS, &l.Sent, &l.Foreign, &l.Malformed, &l.Dropped, &l.Source}
	}
	d := append(leg(&m.a), leg(&m.b)...)
	return append(d, &m.recording, &m.recordSHA)
}

// setOn fills r's media from the row: an entry per side whose leg id is
// set, a then b as MediaStats orders them; nil when neither is (JSON
// omits it, as it does for the record written).
func (m *mediaRow) setOn(r *domain.CDR) {
	r.Media = nil
	for _, l := range []domain.MediaLeg{m.a, m.b} {
		if l.Leg != "" {
			r.Media = append(r.Media, l)
		}
	}
	r.Recording, r.RecordingSHA256 = m.recording, m.recordSHA
}
