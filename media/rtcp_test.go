package media

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func marshalRTCP(t testing.TB, pkts ...rtcp.Packet) []byte {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidRTCP(t *testing.T) {
	sr := &rtcp.SenderReport{SSRC: 1, NTPTime: 0x0102030405060708, Reports: []rtcp.ReceptionReport{{SSRC: 2, LastSenderReport: 7, Delay: 9}}}
	sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: 1, Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "a@b"}}}}}
	compound := marshalRTCP(t, sr, sdes)
	rr := marshalRTCP(t, &rtcp.ReceiverReport{SSRC: 3})
	truncated := compound[:len(compound)-3]
	badVersion := append([]byte{}, rr...)
	badVersion[0] = 0x40
	rtpLike := []byte{0x80, 0x00, 0, 1, 0, 0, 0, 0}
	padZero := append([]byte{}, rr...)
	padZero[0] |= 0x20 // claims padding with a count of 0
	padZero[len(padZero)-1] = 0
	padHuge := append([]byte{}, padZero...)
	padHuge[len(padHuge)-1] = 9 // more than the packet after its header
	tests := []struct {
		name   string
		b      []byte
		secure bool
		want   bool
	}{
		{"SR+SDES", compound, false, true},
		{"RR", rr, false, true},
		{"empty", nil, false, false},
		{"4 bytes", rr[:4], false, false},
		{"truncated compound", truncated, false, false},
		{"truncated compound, SRTCP", append(append([]byte{}, compound...), 0x80, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), true, true},
		{"version 1", badVersion, false, false},
		{"RTP payload type 0", rtpLike, false, false},
		{"padding count 0", padZero, false, false},
		{"padding longer than the packet", padHuge, false, false},
		{"trailing garbage", append(append([]byte{}, rr...), 1, 2), false, false},
	}
	for _, tt := range tests {
		if got := validRTCP(tt.b, tt.secure); got != tt.want {
			t.Errorf("%s: valid = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRTCPReportsAndRTT(t *testing.T) {
	sr := &rtcp.SenderReport{SSRC: 1, NTPTime: 0xAAAABBBBCCCCDDDD, Reports: []rtcp.ReceptionReport{{SSRC: 2, LastSenderReport: 0x1111, Delay: 0x2222}}}
	rr := &rtcp.ReceiverReport{SSRC: 2, Reports: []rtcp.ReceptionReport{{SSRC: 1, LastSenderReport: 0xBBBBCCCC, Delay: 65536 / 2}}}
	var srs, lsrs, dlsrs []uint32
	rtcpReports(marshalRTCP(t, sr, rr), func(l uint32) { srs = append(srs, l) },
		func(l, d uint32) { lsrs, dlsrs = append(lsrs, l), append(dlsrs, d) })
	if len(srs) != 1 || srs[0] != 0xBBBBCCCC {
		t.Fatalf("SR middle bits %x", srs)
	}
	if len(lsrs) != 2 || lsrs[1] != 0xBBBBCCCC || dlsrs[1] != 32768 {
		t.Fatalf("report blocks %x %x", lsrs, dlsrs)
	}
	var ring srRing
	t0 := time.Unix(50, 0)
	for i := range 10 { // more than the ring holds: the oldest are forgotten
		ring.add(uint32(i), t0.Add(time.Duration(i)*time.Second))
	}
	if _, ok := ring.find(0); ok {
		t.Fatal("ring kept an entry it should have overwritten")
	}
	sent, ok := ring.find(9)
	if !ok {
		t.Fatal("latest SR not found")
	}
	rtt, ok := rttFrom(sent.Add(580*time.Millisecond), sent, 65536/2) // held 500 ms
	if !ok || rtt != 80*time.Millisecond {
		t.Fatalf("rtt %v %v, want 80ms", rtt, ok)
	}
	if _, ok := rttFrom(sent.Add(100*time.Millisecond), sent, 65536); ok {
		t.Fatal("negative RTT accepted")
	}
}
