// Command rtpload is the load generator of the RTP relay benchmark
// (deploy/bench/rtp-relay.sh). For each call it binds two UDP endpoints, A
// (the caller's side) and B, sends a G.711-like 50 packet/s stream from each
// to its side of the relay, and measures what the relay delivers to the
// other endpoint: offered and delivered packets/s, loss per direction, and
// one-way latency from a send time stamped in each payload. All calls'
// packets are spread evenly over each 20 ms, as independent phones would
// send them. With --pid it meters the relay's CPU over the same window.
//
// Sessions come from one of:
//
//	--ng ADDR         create the calls in rtpengine with its ng protocol (offer/answer, delete at the end)
//	--switch URL      the softswitch's anchored calls: GET URL/api/v1/calls (--token)
//	--pairs FILE      lines "A_RELAY B_RELAY"
//	--direct          endpoint to endpoint, no relay: the tool's own cost
//
// Example:
//
//	rtpload --ng 127.0.0.1:2223 --calls 1000 --duration 20 --pid $(pidof rtpengine)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// ErrUsage is returned for invalid command lines.
var ErrUsage = errors.New("usage")

type options struct {
	calls      int
	warmup     time.Duration
	duration   time.Duration
	drain      time.Duration
	ip         string
	pt         int
	pid        int
	readers    int
	poll       time.Duration
	tick       time.Duration
	rcvbuf     int
	ng         string
	ngParallel int
	ngTimeout  time.Duration
	switchURL  string
	token      string
	switchWait time.Duration
	pairs      string
	direct     bool
	label      string
	jsonPath   string
	logLevel   string
}

// secondsOrDuration accepts "20" (seconds) as well as "20s" or "1500ms".
func secondsOrDuration(dst *time.Duration) func(string) error {
	return func(s string) error {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			*dst = time.Duration(f * float64(time.Second))
			return nil
		}
		d, err := time.ParseDuration(s)
		*dst = d
		return err
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{warmup: 2 * time.Second, duration: 20 * time.Second, drain: 500 * time.Millisecond, ngTimeout: time.Second, switchWait: 60 * time.Second}
	fs := flag.NewFlagSet("rtpload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.calls, "calls", 100, "concurrent calls (2 endpoints and 100 packets/s each)")
	fs.Func("duration", "measured time, seconds or a Go duration (default 20)", secondsOrDuration(&o.duration))
	fs.Func("warmup", "sending before the window, not counted: relays latch meanwhile (default 2)", secondsOrDuration(&o.warmup))
	fs.Func("drain", "reading after the last packet, for late arrivals (default 0.5)", secondsOrDuration(&o.drain))
	fs.StringVar(&o.ip, "ip", "127.0.0.1", "IPv4 address the endpoints bind")
	fs.IntVar(&o.pt, "pt", 0, "RTP payload type: 0 PCMU, 8 PCMA")
	fs.IntVar(&o.pid, "pid", 0, "relay process to meter (utime+stime from /proc/PID/stat)")
	fs.IntVar(&o.readers, "readers", 1, "receive goroutines (epoll sets)")
	fs.DurationVar(&o.poll, "poll", time.Millisecond, "reader pause when no socket is ready (latency comes from kernel receive timestamps, not from this)")
	fs.DurationVar(&o.tick, "tick", 200*time.Microsecond, "shortest sender sleep: packets due within it leave together")
	fs.IntVar(&o.rcvbuf, "rcvbuf", 0, "SO_RCVBUF per endpoint socket; 0 keeps the kernel default")
	fs.StringVar(&o.ng, "ng", "", "rtpengine ng control address (UDP), e.g. 127.0.0.1:2223")
	fs.IntVar(&o.ngParallel, "ng-parallel", 8, "ng commands in flight while setting up")
	fs.DurationVar(&o.ngTimeout, "ng-timeout", time.Second, "wait per ng attempt (3 attempts)")
	fs.StringVar(&o.switchURL, "switch", "", "softswitch admin base URL, e.g. http://127.0.0.1:15080")
	fs.StringVar(&o.token, "token", os.Getenv("SOFTSWITCH_ADMIN_TOKEN"), "admin bearer token (default $SOFTSWITCH_ADMIN_TOKEN)")
	fs.DurationVar(&o.switchWait, "switch-wait", 60*time.Second, "how long to wait for --calls anchored calls")
	fs.StringVar(&o.pairs, "pairs", "", "file of lines 'A_RELAY B_RELAY'")
	fs.BoolVar(&o.direct, "direct", false, "no relay: A and B endpoints send to each other")
	fs.StringVar(&o.label, "label", "", "name in the summary line (default: the source)")
	fs.StringVar(&o.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	n := 0
	for _, set := range []bool{o.ng != "", o.switchURL != "", o.pairs != "", o.direct} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return o, fmt.Errorf("%w: give exactly one of --ng, --switch, --pairs, --direct", ErrUsage)
	case o.calls <= 0 || o.calls > 20000:
		return o, fmt.Errorf("%w: --calls %d out of 1..20000", ErrUsage, o.calls)
	case o.duration <= 0 || o.duration > time.Hour:
		return o, fmt.Errorf("%w: --duration %v out of (0, 1h]", ErrUsage, o.duration)
	case o.tick < 0 || o.tick > 10*time.Millisecond:
		return o, fmt.Errorf("%w: --tick %v out of [0, 10ms]", ErrUsage, o.tick)
	case o.poll <= 0 || o.poll > 100*time.Millisecond:
		return o, fmt.Errorf("%w: --poll %v out of (0, 100ms]", ErrUsage, o.poll)
	case o.warmup < 0 || o.drain < 0 || o.readers < 1 || o.readers > 16 || o.ngParallel < 1:
		return o, fmt.Errorf("%w: negative --warmup/--drain or --readers/--ng-parallel out of range", ErrUsage)
	case o.pt < 0 || o.pt > 127:
		return o, fmt.Errorf("%w: --pt %d", ErrUsage, o.pt)
	}
	return o, nil
}

func newSource(log *slog.Logger, o options) (source, error) {
	switch {
	case o.ng != "":
		ap, err := netip.ParseAddrPort(o.ng)
		if err != nil {
			return nil, fmt.Errorf("%w: --ng: %w", ErrUsage, err)
		}
		return &ngSource{log: log, client: newNGClient(ap, o.ngTimeout, 3), parallel: o.ngParallel}, nil
	case o.switchURL != "":
		return &switchSource{log: log, baseURL: o.switchURL, token: o.token, client: &http.Client{Timeout: 15 * time.Second}, wait: o.switchWait}, nil
	case o.pairs != "":
		return loadPairsFile(o.pairs)
	}
	return directSource{}, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "rtpload:", err)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintln(stderr, "rtpload: --log-level:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rep, err := runLoad(ctx, log, o)
	if err != nil {
		log.Error("rtpload failed", "err", err)
		return 1
	}
	rep.writeText(stdout)
	if o.jsonPath != "" {
		if err := rep.writeJSON(o.jsonPath); err != nil {
			log.Error("writing JSON", "err", err)
			return 1
		}
	}
	if rep.DeliveredPPS == 0 {
		return 3 // nothing came through: the relay or the sessions are broken
	}
	return 0
}

func runLoad(ctx context.Context, log *slog.Logger, o options) (report, error) {
	ip, err := netip.ParseAddr(o.ip)
	if err != nil {
		return report{}, fmt.Errorf("%w: --ip: %w", ErrUsage, err)
	}
	src, err := newSource(log, o)
	if err != nil {
		return report{}, err
	}
	cfg := engineConfig{IP: ip, PT: uint8(o.pt), Ptime: 20 * time.Millisecond, Warmup: o.warmup,
		Duration: o.duration, Drain: o.drain, Readers: o.readers, Poll: o.poll, Tick: o.tick, RcvBuf: o.rcvbuf, PID: o.pid}
	e, err := newEngine(log, cfg, o.calls)
	if err != nil {
		return report{}, err
	}
	defer e.close()

	sessions, err := src.Sessions(ctx, e.pairs())
	// Tear down what was set up even after a failure or a signal, with a
	// context of its own.
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := src.Close(cctx); err != nil {
			log.Warn("closing sessions", "source", src.Name(), "err", err)
		}
	}()
	if err != nil {
		return report{}, err
	}
	if err := e.attach(sessions); err != nil {
		return report{}, err
	}
	log.Info("sending", "source", src.Name(), "calls", o.calls, "pps", float64(2*o.calls)/cfg.Ptime.Seconds(),
		"warmup", o.warmup, "duration", o.duration)
	res, err := e.run(ctx)
	if err != nil {
		return report{}, err
	}
	label := o.label
	if label == "" {
		label = src.Name()
	}
	return buildReport(label, src.Name(), e, res), nil
}
