package switching

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"golang.org/x/sys/unix"
)

// DiskGuard keeps the journal's disk from filling: below Floor bytes free
// the switch takes no new work (new calls and registrations get 503), so
// that the calls in progress, and their ends, can still be recorded. A
// full disk would stop the journal itself (it refuses appends after a
// failed write until reopened: after a failed fsync, what it wrote may be
// lost). When space returns, new work is taken again, without a restart.
type DiskGuard struct {
	dir   string
	floor uint64
	log   *slog.Logger
	m     *Metrics
	// statfs returns the bytes free to the switch's user; a test replaces it.
	statfs func(dir string) (uint64, error)
	low    atomic.Bool
	free   atomic.Uint64
}

// NewDiskGuard watches dir with a floor of floor bytes free.
func NewDiskGuard(dir string, floor uint64, m *Metrics, log *slog.Logger) *DiskGuard {
	return &DiskGuard{dir: dir, floor: floor, m: m, log: log, statfs: freeBytes}
}

func freeBytes(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Check reads the free space now and updates the state, logging a change.
func (d *DiskGuard) Check() {
	free, err := d.statfs(d.dir)
	if err != nil {
		d.log.Warn("disk: cannot read free space", "dir", d.dir, "error", err)
		return
	}
	d.free.Store(free)
	low := free < d.floor
	if d.low.Swap(low) != low {
		if low {
			d.log.Error("disk: free space below the floor: refusing new calls and registrations", "dir", d.dir, "free_bytes", free, "floor_bytes", d.floor)
		} else {
			d.log.Warn("disk: free space back above the floor: taking new work again", "dir", d.dir, "free_bytes", free, "floor_bytes", d.floor)
		}
	}
}

// Run checks every interval until ctx ends.
func (d *DiskGuard) Run(ctx context.Context, interval time.Duration) {
	d.Check()
	every(ctx, interval, func(context.Context) { d.Check() })
}

// Low tells whether the disk is below the floor; Free is the last reading.
func (d *DiskGuard) Low() bool { return d != nil && d.low.Load() }
func (d *DiskGuard) Free() uint64 {
	if d == nil {
		return 0
	}
	return d.free.Load()
}

// Health is what /healthz reports: unhealthy below the floor.
func (d *DiskGuard) Health() (ok bool, reason string) {
	if d.Low() {
		return false, "disk free " + strconv.FormatUint(d.Free(), 10) + " bytes, below the floor of " + strconv.FormatUint(d.floor, 10)
	}
	return true, ""
}

// lowDiskRetryAfter is the Retry-After of a 503 for low disk: an operator
// frees space in minutes, not seconds.
const lowDiskRetryAfter = "60"

// RefuseNewWork answers 503 to a request that would start new work (a
// new call, a registration) while the disk is low, reporting whether it
// did.
func (g *Guard) RefuseNewWork(req *sip.Request, tx sip.ServerTransaction) bool {
	if !g.disk.Low() {
		return false
	}
	g.m.lowDiskRefusals.Add(1)
	res := sip.NewResponseFromRequest(req, 503, "Service Unavailable (Disk Space Low)", nil)
	res.AppendHeader(sip.NewHeader("Retry-After", lowDiskRetryAfter))
	g.m.response(503)
	_ = tx.Respond(res)
	return true
}

// WatchDisk makes the guard refuse new work while d is low.
func (g *Guard) WatchDisk(d *DiskGuard) { g.disk = d }
