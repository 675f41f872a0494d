package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

type latency struct {
	P50us  float64 `json:"p50_us"`
	P99us  float64 `json:"p99_us"`
	P999us float64 `json:"p999_us"`
	MaxUs  float64 `json:"max_us"`
	MeanUs float64 `json:"mean_us"`
	Over   uint64  `json:"over_100ms"`
}

type dirReport struct {
	Sent     uint64  `json:"sent"`
	Received uint64  `json:"received"`
	LossPct  float64 `json:"loss_pct"`
	Latency  latency `json:"latency"`
}

// report is what rtpload prints; counts cover the measurement window only
// (packets sent in it, wherever they arrive before the drain ends).
type report struct {
	Label          string    `json:"label"`
	Source         string    `json:"source"`
	Calls          int       `json:"calls"`
	WindowSec      float64   `json:"window_s"`
	OfferedPPS     float64   `json:"offered_pps"`
	DeliveredPPS   float64   `json:"delivered_pps"`
	LossPct        float64   `json:"loss_pct"`
	AtoB           dirReport `json:"a_to_b"`
	BtoA           dirReport `json:"b_to_a"`
	Latency        latency   `json:"latency"`
	PID            int       `json:"pid,omitempty"`
	TargetCPUSec   float64   `json:"target_cpu_s,omitempty"`
	TargetCores    float64   `json:"target_cores,omitempty"`
	PktsPerCoreSec float64   `json:"pkts_per_core_s,omitempty"` // packets into the relay per CPU second
	SelfCores      float64   `json:"self_cores"`
	OtherCores     float64   `json:"other_cores"` // every other process on the machine (a shared box)
	SelfCPUSec     float64   `json:"self_cpu_s"`
	MaxSendLagMs   float64   `json:"max_send_lag_ms"`
	LateSendPct    float64   `json:"late_send_pct"` // measured packets sent > 1 ms behind schedule
	ScheduleSlips  int       `json:"schedule_slips"`
	SlippedMs      float64   `json:"slipped_ms"` // total time the schedule was shifted (sender > 20 ms behind)
	SendErrors     uint64    `json:"send_errors"`
	LastSendErrno  string    `json:"last_send_errno,omitempty"`
	Misrouted      uint64    `json:"misrouted"`
	Foreign        uint64    `json:"foreign"`
	DeadCallDirs   int       `json:"dead_call_directions"` // call directions with nothing delivered
	RcvbufErrors   uint64    `json:"udp_rcvbuf_errors"`
	LoadAvg        string    `json:"loadavg"`
	Truncated      bool      `json:"truncated,omitempty"`
	MeterError     string    `json:"meter_error,omitempty"`
}

func pct(lost, sent uint64) float64 {
	if sent == 0 {
		return 0
	}
	return 100 * float64(lost) / float64(sent)
}

func lat(h *hist) latency {
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return latency{
		P50us: us(h.quantile(0.50)), P99us: us(h.quantile(0.99)), P999us: us(h.quantile(0.999)),
		MaxUs: us(time.Duration(h.max)), MeanUs: us(h.mean()), Over: h.over,
	}
}

func buildReport(label, src string, e *engine, res runResult) report {
	r := report{Label: label, Source: src, Calls: len(e.eps) / 2, PID: e.cfg.PID,
		MaxSendLagMs: float64(res.maxLag) / 1e6, Foreign: res.foreign,
		ScheduleSlips: res.slips, SlippedMs: float64(res.slipped) / 1e6,
		RcvbufErrors: res.win.rcvbuf, LoadAvg: res.win.loadavg, Truncated: res.truncated}
	dirs := [2]*dirReport{&r.AtoB, &r.BtoA}
	for i, ep := range e.eps {
		// ep sends direction i%2; its peer in the call receives it.
		d := dirs[i%2]
		d.Sent += ep.sentMeas
		peer := e.eps[i^1]
		d.Received += peer.recvMeas
		if ep.sentMeas > 0 && peer.recvMeas == 0 {
			r.DeadCallDirs++
		}
		r.SendErrors += ep.sendErrs
		if ep.lastErrno != 0 {
			r.LastSendErrno = ep.lastErrno.Error()
		}
		r.Misrouted += ep.misrouted
	}
	for i, d := range dirs {
		// Received can exceed Sent only by duplicates; loss is never negative.
		d.LossPct = pct(d.Sent-min(d.Sent, d.Received), d.Sent)
		d.Latency = lat(res.hist[i])
	}
	all := new(hist)
	all.merge(res.hist[0])
	all.merge(res.hist[1])
	r.Latency = lat(all)
	sent, recv := r.AtoB.Sent+r.BtoA.Sent, r.AtoB.Received+r.BtoA.Received
	r.LossPct = pct(sent-min(sent, recv), sent)
	r.LateSendPct = pct(res.late, sent)
	if w := res.win.wall.Seconds(); w > 0 {
		r.WindowSec = w
		r.OfferedPPS = float64(sent) / w
		r.DeliveredPPS = float64(recv) / w
		r.SelfCPUSec = res.win.self.Seconds()
		r.SelfCores = r.SelfCPUSec / w
		r.OtherCores = max(res.win.others.Seconds(), 0) / w
		if e.cfg.PID > 0 {
			r.TargetCPUSec = res.win.target.Seconds()
			r.TargetCores = r.TargetCPUSec / w
			if r.TargetCPUSec > 0 {
				r.PktsPerCoreSec = float64(sent) / r.TargetCPUSec
			}
		}
	}
	if res.win.err != nil {
		r.MeterError = res.win.err.Error()
	}
	return r
}

func (r report) writeText(w io.Writer) {
	fmt.Fprintf(w, "rtpload %s via %s: %d calls, %.1f s measured (load avg %s)\n", r.Label, r.Source, r.Calls, r.WindowSec, r.LoadAvg)
	fmt.Fprintf(w, "  offered   %9.0f pps   delivered %9.0f pps   loss %.4f %%\n", r.OfferedPPS, r.DeliveredPPS, r.LossPct)
	for _, d := range []struct {
		name string
		d    dirReport
	}{{"A->B", r.AtoB}, {"B->A", r.BtoA}} {
		fmt.Fprintf(w, "  %s  sent %9d  received %9d  loss %.4f %%  latency p50 %.0f us  p99 %.0f us  p99.9 %.0f us  max %.0f us\n",
			d.name, d.d.Sent, d.d.Received, d.d.LossPct, d.d.Latency.P50us, d.d.Latency.P99us, d.d.Latency.P999us, d.d.Latency.MaxUs)
	}
	fmt.Fprintf(w, "  latency (both) p50 %.0f us  p99 %.0f us  p99.9 %.0f us  max %.0f us  mean %.0f us  >100ms %d\n",
		r.Latency.P50us, r.Latency.P99us, r.Latency.P999us, r.Latency.MaxUs, r.Latency.MeanUs, r.Latency.Over)
	if r.PID > 0 {
		fmt.Fprintf(w, "  target pid %d: %.2f CPU s = %.3f cores, %.0f packets per core-second\n", r.PID, r.TargetCPUSec, r.TargetCores, r.PktsPerCoreSec)
	}
	fmt.Fprintf(w, "  rtpload itself: %.3f cores; sent > 1 ms late %.3f %%, max send lag %.2f ms, schedule slipped %d times by %.0f ms; send errors %d %s\n",
		r.SelfCores, r.LateSendPct, r.MaxSendLagMs, r.ScheduleSlips, r.SlippedMs, r.SendErrors, r.LastSendErrno)
	fmt.Fprintf(w, "  misrouted %d  foreign %d  dead call directions %d  kernel UDP rcvbuf drops %d  other processes %.2f cores\n",
		r.Misrouted, r.Foreign, r.DeadCallDirs, r.RcvbufErrors, r.OtherCores)
	if r.Truncated {
		fmt.Fprintln(w, "  (interrupted: the window is short)")
	}
	if r.MeterError != "" {
		fmt.Fprintf(w, "  meter: %s\n", r.MeterError)
	}
	fmt.Fprintln(w, r.summary())
}

// summary is the one line the bench scripts print.
func (r report) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s calls %d | offered %.0f pps | delivered %.0f pps | loss %.4f %% | latency p50 %.0f us p99 %.0f us p99.9 %.0f us max %.0f us",
		r.Label, r.Calls, r.OfferedPPS, r.DeliveredPPS, r.LossPct, r.Latency.P50us, r.Latency.P99us, r.Latency.P999us, r.Latency.MaxUs)
	if r.PID > 0 {
		fmt.Fprintf(&b, " | CPU %.2f cores, %.0f pkt/core-s", r.TargetCores, r.PktsPerCoreSec)
	}
	fmt.Fprintf(&b, " | rtpload %.2f cores, %.2f %% sent late | others %.2f cores", r.SelfCores, r.LateSendPct, r.OtherCores)
	return b.String()
}

func (r report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
