package dialer

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"softswitch/domain"
)

func TestParseLeads(t *testing.T) {
	tests := []struct {
		name       string
		csv        string
		loaded     int
		rejected   []string // "line:column"
		fatalField bool
	}{
		{"BOM, custom field", "\ufeffnumber,name,plan\n13800138000,Li,gold\n", 1, nil, false},
		{"bad rows rejected, rest loaded", "number,zone\n13800138000,\nnot-a-number,\n13800138001,Mars/Base\n13800138002,Asia/Shanghai\n", 2,
			[]string{"3:number", "4:zone"}, false},
		{"wrong column count", "number,name\n13800138000,a,b\n13800138001,c\n", 1, []string{"2:"}, false},
		{"duplicate id", "id,number\nx,13800138000\nx,13800138001\n", 1, []string{"3:id"}, false},
		{"no number column", "phone\n13800138000\n", 0, nil, true},
		{"empty", "", 0, nil, true},
		{"blank lines skipped", "number\n\n13800138000\n\n", 1, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leads, rej, err := parseLeads(strings.NewReader(tt.csv), "u1")
			if tt.fatalField {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != "leads" || len(leads) != 0 {
					t.Fatalf("err %v, leads %d: want a fatal error naming leads and nothing loaded", err, len(leads))
				}
				return
			}
			if err != nil || len(leads) != tt.loaded {
				t.Fatalf("loaded %d (%v), want %d", len(leads), err, tt.loaded)
			}
			var got []string
			for _, r := range rej {
				got = append(got, strconv.Itoa(r.Line)+":"+r.Column)
			}
			if strings.Join(got, ",") != strings.Join(tt.rejected, ",") {
				t.Fatalf("rejected %v, want %v", got, tt.rejected)
			}
			for _, l := range leads {
				if !strings.HasPrefix(l.Number, "+86") || l.ID == "" {
					t.Fatalf("lead %+v", l)
				}
			}
		})
	}
}

func TestOutcomeOf(t *testing.T) {
	for code, want := range map[int]string{486: "busy", 600: "busy", 480: "no_answer", 487: "no_answer", 408: "no_answer",
		404: "invalid_number", 484: "invalid_number", 604: "invalid_number", 603: "rejected", 503: "congestion", 403: "congestion"} {
		if got, c, _ := outcomeOf(&legFailure{code: code, reason: "x"}); got != want || c != code {
			t.Errorf("%d: %s (%d), want %s", code, got, c, want)
		}
	}
	if got, _, _ := outcomeOf(errors.New("timeout")); got != "no_answer" {
		t.Errorf("no answer at all: %s", got)
	}
}

// TestCampaignsProjection: the counters and the leads' states are a fold
// of the events, whatever produced them.
func TestCampaignsProjection(t *testing.T) {
	c := NewCampaigns()
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	seq := uint64(0)
	apply := func(ev domain.Event) {
		seq++
		env := domain.Envelope{Aggregate: ev.AggregateKey(), Seq: seq, Time: at}
		if ev.AggregateKey() == domain.DNCKey {
			env.Seq = 1
		}
		if err := c.Apply(env, ev); err != nil {
			t.Fatal(err)
		}
	}
	apply(domain.CampaignDefined{Spec: domain.CampaignSpec{Name: "s", Mode: "progressive", Agents: []string{"6001"}}})
	apply(domain.CampaignLeadsLoaded{Campaign: "s", Leads: []domain.Lead{{ID: "a", Number: "+8613800138000"}, {ID: "b", Number: "+8613800138001"},
		{ID: "c", Number: "+8613800138002"}, {ID: "a", Number: "+8613800138009"}}})
	apply(domain.CampaignStateChanged{Campaign: "s", State: domain.CampaignRunning})
	apply(domain.AttemptDecided{Campaign: "s", Lead: "a", Number: "+8613800138000", Attempt: 1, Allowed: true, Agent: "6001"})
	if _, _, ok := c.next("s", at, func(string) bool { return false }); !ok {
		t.Fatal("b and c are due")
	}
	if o := c.orphans(); len(o) != 1 || o[0].lead != "a" || o[0].attempt != 1 {
		t.Fatalf("orphans while a is dialing: %+v", o)
	}
	apply(domain.AttemptEnded{Campaign: "s", Lead: "a", Attempt: 1, Outcome: domain.AttemptInvalid, Final: true})
	if o := c.orphans(); len(o) != 0 {
		t.Fatalf("orphans after a ended: %+v", o)
	}
	apply(domain.AttemptDecided{Campaign: "s", Lead: "b", Number: "+8613800138001", Attempt: 1, Reason: "outside_hours", RetryAt: at.Add(time.Hour)})
	apply(domain.AttemptDecided{Campaign: "s", Lead: "c", Number: "+8613800138002", Attempt: 1, Reason: "dnc"})
	v, _ := c.View("s")
	want := Counters{Leads: 3, Dialed: 1, Invalid: 1, SkippedHours: 1, SkippedDNC: 1, Done: 2}
	if v.Counters != want {
		t.Fatalf("counters %+v, want %+v", v.Counters, want)
	}
	if _, _, ok := c.next("s", at, func(string) bool { return false }); ok {
		t.Fatal("a lead is due before b's window opens")
	}
	if l, n, ok := c.next("s", at.Add(time.Hour), func(string) bool { return false }); !ok || l.ID != "b" || n != 1 {
		t.Fatalf("at the window: %+v %d %v", l, n, ok)
	}
	if !c.knownInvalid("13800138000") || c.knownInvalid("13800138001") {
		t.Fatal("the vacant number is not known, or another is")
	}
	apply(domain.DNCUpdated{Version: 1, Added: []string{"+8613900139000"}})
	if c.DNCVersion() != 1 {
		t.Fatalf("DNC version %d", c.DNCVersion())
	}
}

func TestValidateSpec(t *testing.T) {
	d := &Dialer{cfg: Config{IsSubscriber: func(u string) bool { return u == "6001" || u == "6002" }}, campaigns: NewCampaigns()}
	good := func() domain.CampaignSpec {
		return domain.CampaignSpec{Name: "spring", Mode: "progressive", Agents: []string{"6001"}, CallerIDs: []string{"02112345678"},
			Hours: []domain.CampaignWindow{{Days: []string{"mon-fri"}, Start: "09:00", End: "20:00"}}}
	}
	tests := []struct {
		name   string
		change func(*domain.CampaignSpec)
		field  string
	}{
		{"good", func(*domain.CampaignSpec) {}, ""},
		{"bad name", func(s *domain.CampaignSpec) { s.Name = "Spring Sale" }, "name"},
		{"preview", func(s *domain.CampaignSpec) { s.Mode = "preview" }, ""},
		{"unknown mode", func(s *domain.CampaignSpec) { s.Mode = "blast" }, "mode"},
		{"predictive", func(s *domain.CampaignSpec) { s.Mode = "predictive" }, ""},
		{"predictive cap too high", func(s *domain.CampaignSpec) { s.Mode, s.AbandonCapPercent = "predictive", 20 }, "abandon_cap_percent"},
		{"predictive ratio below 1", func(s *domain.CampaignSpec) { s.Mode, s.MaxRatio = "predictive", 0.5 }, "max_ratio"},
		{"no agents", func(s *domain.CampaignSpec) { s.Agents = nil }, "agents"},
		{"stranger", func(s *domain.CampaignSpec) { s.Agents = []string{"6001", "9999"} }, "agents[1]"},
		{"twice", func(s *domain.CampaignSpec) { s.Agents = []string{"6001", "6001"} }, "agents[1]"},
		{"no caller id", func(s *domain.CampaignSpec) { s.CallerIDs = nil }, "caller_ids"},
		{"bad caller id", func(s *domain.CampaignSpec) { s.CallerIDs = []string{"abc"} }, "caller_ids[0]"},
		{"start after end", func(s *domain.CampaignSpec) { s.Hours[0].Start = "21:00" }, "hours[0].start"},
		{"bad day", func(s *domain.CampaignSpec) { s.Hours[0].Days = []string{"someday"} }, "hours[0].days[0]"},
		{"ring too long", func(s *domain.CampaignSpec) { s.RingSeconds = 500 }, "ring_seconds"},
		{"unknown retry outcome", func(s *domain.CampaignSpec) {
			s.Retry = map[string]domain.CampaignRetry{"weather": {MaxAttempts: 2, IntervalSeconds: 60}}
		}, "retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good()
			tt.change(&s)
			err := d.validateSpec(&s)
			var fe *FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field == "":
				if s.RingSeconds != defaultRingSeconds || s.CallerIDs[0] != "+862112345678" {
					t.Fatalf("defaults not filled: %+v", s)
				}
			case !errors.As(err, &fe) || !strings.HasPrefix(fe.Field, tt.field) || !errors.Is(err, ErrInvalid):
				t.Fatalf("err %v, want a FieldError naming %s", err, tt.field)
			}
		})
	}
}

// TestEarlyMediaBusyTone: a 450 Hz busy cadence fed as the relay feeds
// it (20 ms packets) gives one busy verdict within a few cycles; ringback
// gives none.
func TestEarlyMediaBusyTone(t *testing.T) {
	d := &Dialer{}
	feed := func(on, off time.Duration, secs int) (earlyVerdict, bool) {
		e := d.newEarlyMedia()
		period, onN := int((on+off).Seconds()*8000), int(on.Seconds()*8000)
		pkt := make([]int16, 160)
		for i := 0; i < secs*8000; i += 160 {
			for j := range pkt {
				if (i+j)%period < onN {
					pkt[j] = int16(9000 * math.Sin(2*math.Pi*450*float64(i+j)/8000))
				} else {
					pkt[j] = 0
				}
			}
			e.feed(pkt)
		}
		select {
		case v := <-e.verdict:
			return v, true
		default:
			return earlyVerdict{}, false
		}
	}
	if v, ok := feed(350*time.Millisecond, 350*time.Millisecond, 4); !ok || v.outcome != domain.AttemptBusy || v.what != "busy_tone" || v.atMS > 3000 {
		t.Fatalf("busy tone: %+v %v", v, ok)
	}
	if v, ok := feed(time.Second, 4*time.Second, 10); ok {
		t.Fatalf("ringback taken for %+v", v)
	}
}

func TestReadWAV(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, format, channels uint16, rate uint32, bits uint16, data []byte) string {
		b := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00")
		le16 := func(v uint16) { b = append(b, byte(v), byte(v>>8)) }
		le32 := func(v uint32) { b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24)) }
		le16(format)
		le16(channels)
		le32(rate)
		le32(rate * uint32(bits/8))
		le16(bits / 8)
		le16(bits)
		b = append(b, "data"...)
		le32(uint32(len(data)))
		b = append(b, data...)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if pcm, err := ReadWAV(write("pcm.wav", 1, 1, 8000, 16, []byte{0x10, 0x00, 0xF0, 0xFF})); err != nil || len(pcm) != 2 || pcm[0] != 16 || pcm[1] != -16 {
		t.Fatalf("16-bit PCM: %v %v", pcm, err)
	}
	if pcm, err := ReadWAV(write("ulaw.wav", 7, 1, 8000, 8, []byte{0xFF, 0x80})); err != nil || len(pcm) != 2 || pcm[0] != 0 {
		t.Fatalf("μ-law: %v %v", pcm, err)
	}
	for name, p := range map[string]string{
		"stereo":  write("st.wav", 1, 2, 8000, 16, nil),
		"16 kHz":  write("16k.wav", 1, 1, 16000, 16, nil),
		"float":   write("f.wav", 3, 1, 8000, 32, nil),
		"not wav": filepath.Join(dir, "missing.wav"),
	} {
		if _, err := ReadWAV(p); err == nil {
			t.Errorf("%s: read", name)
		}
	}
}
