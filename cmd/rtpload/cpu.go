package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrProcStat is returned when /proc/PID/stat cannot be read or parsed.
var ErrProcStat = errors.New("proc stat")

// userHZ is the unit of /proc/PID/stat times: USER_HZ, 100 on every Linux
// ABI Go supports (sysconf(_SC_CLK_TCK) needs cgo).
const userHZ = 100

// procCPU returns utime+stime of the whole process (all its threads) from
// /proc/PID/stat (proc(5): fields 14 and 15).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrProcStat, err)
	}
	// comm (field 2) may hold spaces and parentheses: split after the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("%w: no ')' in /proc/%d/stat", ErrProcStat, pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%w: short /proc/%d/stat", ErrProcStat, pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrProcStat, err)
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

// selfCPU is this process's user+system CPU time (µs resolution).
func selfCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// udpRcvbufErrors is the kernel's count of UDP datagrams dropped for a full
// socket receive buffer (/proc/net/snmp "Udp: ... RcvbufErrors"),
// machine-wide: it shows whether loss happened in a socket queue.
func udpRcvbufErrors() (uint64, bool) {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0, false
	}
	var names []string
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, "Udp: ") {
			continue
		}
		f := strings.Fields(line)
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, err := strconv.ParseUint(f[i], 10, 64)
				return v, err == nil
			}
		}
	}
	return 0, false
}

// loadAvg is the 1-minute load average: context for figures taken on a
// shared machine.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// othersCPU sums utime+stime of every process but this one and skip: the
// CPU that other work on a shared machine took, a measure of how clean the
// run was. Processes that start and end between two calls are not seen.
func othersCPU(skip int) time.Duration {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self := os.Getpid()
	var total time.Duration
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self || pid == skip {
			continue
		}
		if d, err := procCPU(pid); err == nil {
			total += d
		}
	}
	return total
}
