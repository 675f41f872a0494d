package dialer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"softswitch/media"
)

// ErrWAV is wrapped by a recording ReadWAV cannot take.
var ErrWAV = errors.New("dialer: unusable WAV")

// ReadWAV reads an announcement: RIFF/WAVE, mono, 8 kHz, 16-bit linear
// PCM (format 1) or G.711 A-law (6) or μ-law (7), as telephony tools
// (sox, the switch's own recordings per channel) write them.
func ReadWAV(path string) ([]int16, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: %s is not RIFF/WAVE", ErrWAV, path)
	}
	var format, channels, bits uint16
	var rate uint32
	var data []byte
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8 : min(len(b), p+8+size)]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return nil, fmt.Errorf("%w: %s: short fmt chunk", ErrWAV, path)
			}
			format, channels = binary.LittleEndian.Uint16(body), binary.LittleEndian.Uint16(body[2:])
			rate, bits = binary.LittleEndian.Uint32(body[4:]), binary.LittleEndian.Uint16(body[14:])
		case "data":
			data = body
		}
		p += 8 + size + size%2 // chunks are word-aligned
	}
	if channels != 1 || rate != 8000 {
		return nil, fmt.Errorf("%w: %s: %d channels at %d Hz, want mono 8000 Hz", ErrWAV, path, channels, rate)
	}
	switch {
	case format == 1 && bits == 16:
		pcm := make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		return pcm, nil
	case format == 6 && bits == 8:
		pcm := make([]int16, len(data))
		media.DecodeALaw(pcm, data)
		return pcm, nil
	case format == 7 && bits == 8:
		pcm := make([]int16, len(data))
		media.DecodeULaw(pcm, data)
		return pcm, nil
	}
	return nil, fmt.Errorf("%w: %s: format %d with %d bits, want 16-bit PCM, A-law or μ-law", ErrWAV, path, format, bits)
}
