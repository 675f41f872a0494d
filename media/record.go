package media

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// RecordConfig turns recording on for a session.
type RecordConfig struct {
	// Path is the WAV file to produce. The recording is written to
	// Path+".part" and renamed to Path once complete and synced, so a file
	// at Path is always whole.
	Path string
}

// Recording describes a finished recording.
type Recording struct {
	Path     string
	Duration time.Duration // length of the audio: the time from the session's start to Close
	Bytes    int64         // size of the file
	SHA256   string        // hex digest of the whole file
	Packets  uint64        // G.711 packets written
	Skipped  uint64        // late packets whose place was already written out
}

// ErrRecordingTooLong: a WAV file holds at most 4 GiB of data, about 37
// hours of 8 kHz 16-bit stereo; the recording stops there.
var ErrRecordingTooLong = errors.New("media: recording exceeds the WAV size limit")

const (
	recRate    = 8000
	recLag     = recRate / 4       // samples kept open for late packets (250 ms)
	recMaxSkew = recRate * 6 / 100 // 60 ms: how far RTP time may drift from arrival time
	wavHeader  = 44
	wavMaxData = 0xffffffff - wavHeader - 8
)

// recorder writes the G.711 audio the relay forwards into a stereo WAV
// file, channel 0 for what leg A sent, channel 1 for what leg B sent,
// 8 kHz 16-bit linear PCM.
//
// Placement: a packet's samples go at its RTP timestamp relative to an
// anchor taken from arrival time (arrival minus the packet's length), so
// that jitter does not tear the audio; when the two differ by more than
// recMaxSkew (a new SSRC, a timestamp jump, a clock drifting) the anchor is
// retaken from arrival time. Whatever no packet covers is silence (gaps,
// hold, a leg that never spoke). Samples older than recLag behind now are
// final and written out, so memory stays bounded, and at Close the file is
// padded to the session's duration: its length is the recorded time, and
// each channel is within recMaxSkew of when its audio arrived.
//
// It runs on the relay goroutines under its own mutex (at 50 packets/s per
// leg, contention is negligible); writes go through a 64 KiB buffer, one
// write(2) per ~2 s of audio.
type recorder struct {
	mu      sync.Mutex
	path    string
	tmp     string
	f       *os.File
	w       *bufio.Writer
	start   time.Time
	out     int64      // frames written
	pend    [2][]int16 // per channel, samples from frame out on
	anchor  [2]recAnchor
	dec     *g711Tables
	packets uint64
	skipped uint64
	scratch []byte
	err     error
	done    bool
}

type recAnchor struct {
	valid bool
	ssrc  uint32
	ts    uint32
	pos   int64
}

func newRecorder(cfg RecordConfig, start time.Time) (*recorder, error) {
	if cfg.Path == "" {
		return nil, &ConfigError{Field: "Record.Path", Reason: "must name a file"}
	}
	tmp := cfg.Path + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, err
	}
	r := &recorder{path: cfg.Path, tmp: tmp, f: f, w: bufio.NewWriterSize(f, 64<<10),
		start: start, dec: newG711Tables(), scratch: make([]byte, 0, 4096)}
	if _, err := r.w.Write(make([]byte, wavHeader)); err != nil { // sizes are filled in at the end
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	return r, nil
}

func samplesAt(start, now time.Time) int64 {
	return int64(now.Sub(start)) * recRate / int64(time.Second)
}

// write records one G.711 payload sent by channel ch's endpoint. late
// (from the relay's sequence tracking) marks a packet that arrived after
// a newer one: it is placed by its timestamp or dropped, and never moves
// the anchor, so one straggler cannot shift or overwrite the audio after
// it.
func (r *recorder) write(ch int, now time.Time, ssrc, ts uint32, alaw, late bool, payload []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || r.err != nil || len(payload) == 0 {
		return
	}
	n := int64(len(payload))
	nowPos := samplesAt(r.start, now)
	arrival := max(nowPos-n, 0)
	a := &r.anchor[ch]
	pos := a.pos + int64(int32(ts-a.ts))
	if late && (!a.valid || a.ssrc != ssrc) {
		r.skipped++
		return
	}
	if d := pos - arrival; !late && (!a.valid || a.ssrc != ssrc || d > recMaxSkew || d < -recMaxSkew) {
		*a = recAnchor{valid: true, ssrc: ssrc, ts: ts, pos: arrival}
		pos = arrival
	}
	if pos+n <= r.out || pos > arrival+recMaxSkew {
		// Already written out, or (a late packet with a wild timestamp)
		// nowhere near its arrival: never grow the buffer for it.
		r.skipped++
		return
	}
	if pos < r.out { // partly written already: keep the tail
		payload = payload[r.out-pos:]
		pos = r.out
	}
	idx := int(pos - r.out)
	p := r.pend[ch]
	if need := idx + len(payload); need > len(p) {
		p = append(p, make([]int16, need-len(p))...)
	}
	table := &r.dec.ulaw
	if alaw {
		table = &r.dec.alaw
	}
	for i, b := range payload {
		p[idx+i] = table[b]
	}
	r.pend[ch] = p
	r.packets++
	r.flush(nowPos - recLag)
}

// flush writes every frame before upto, silence where a channel has none.
func (r *recorder) flush(upto int64) {
	for r.out < upto && r.err == nil {
		frames := min(upto-r.out, int64(cap(r.scratch)/4))
		if (r.out+frames)*4 > wavMaxData {
			r.err = ErrRecordingTooLong
			return
		}
		b := r.scratch[:frames*4]
		for i := range int(frames) {
			var left, right int16
			if i < len(r.pend[0]) {
				left = r.pend[0][i]
			}
			if i < len(r.pend[1]) {
				right = r.pend[1][i]
			}
			binary.LittleEndian.PutUint16(b[4*i:], uint16(left))
			binary.LittleEndian.PutUint16(b[4*i+2:], uint16(right))
		}
		if _, err := r.w.Write(b); err != nil {
			r.err = err
			return
		}
		for ch := range r.pend {
			k := min(int(frames), len(r.pend[ch]))
			r.pend[ch] = r.pend[ch][:copy(r.pend[ch], r.pend[ch][k:])]
		}
		r.out += frames
	}
}

// finish pads the file to now, completes the header, syncs, renames and
// hashes it. It is called once, after the relay goroutines stopped.
func (r *recorder) finish(now time.Time) (*Recording, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
	r.flush(samplesAt(r.start, now))
	err := r.err
	if err == nil || errors.Is(err, ErrRecordingTooLong) {
		if ferr := r.w.Flush(); ferr != nil && err == nil {
			err = ferr
		}
	}
	if err == nil || errors.Is(err, ErrRecordingTooLong) {
		if herr := r.writeHeader(); herr != nil {
			err = herr
		}
	}
	if serr := r.f.Sync(); serr != nil && err == nil {
		err = serr
	}
	if cerr := r.f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil && !errors.Is(err, ErrRecordingTooLong) {
		os.Remove(r.tmp)
		return nil, err
	}
	if rerr := os.Rename(r.tmp, r.path); rerr != nil {
		os.Remove(r.tmp)
		return nil, rerr
	}
	syncDir(filepath.Dir(r.path))
	rec := &Recording{Path: r.path, Duration: time.Duration(r.out) * time.Second / recRate,
		Packets: r.packets, Skipped: r.skipped}
	sum, size, herr := hashFile(r.path)
	if herr != nil {
		return rec, herr
	}
	rec.SHA256, rec.Bytes = sum, size
	return rec, err
}

func (r *recorder) writeHeader() error {
	data := uint32(r.out * 4)
	var h [wavHeader]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], 36+data)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)          // fmt chunk size
	binary.LittleEndian.PutUint16(h[20:], 1)           // PCM
	binary.LittleEndian.PutUint16(h[22:], 2)           // channels
	binary.LittleEndian.PutUint32(h[24:], recRate)     // sample rate
	binary.LittleEndian.PutUint32(h[28:], recRate*2*2) // byte rate
	binary.LittleEndian.PutUint16(h[32:], 4)           // block align
	binary.LittleEndian.PutUint16(h[34:], 16)          // bits per sample
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], data)
	_, err := r.f.WriteAt(h[:], 0)
	return err
}

// syncDir makes the rename durable; failure only weakens durability, so
// it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
