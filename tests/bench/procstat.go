package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// CPU time comes from /proc/<pid>/stat (utime, stime, cutime, cstime) in clock ticks; peak RSS
// from VmHWM in /proc/<pid>/status, which writing "5" to /proc/<pid>/clear_refs resets so that
// each run reports its own peak.

var (
	clkTckOnce sync.Once
	clkTck     = 100.0
)

// ticksPerSecond is sysconf(_SC_CLK_TCK), read from `getconf CLK_TCK` (100 on Linux everywhere
// that matters; 100 is also the fallback).
func ticksPerSecond() float64 {
	clkTckOnce.Do(func() {
		out, err := exec.Command("getconf", "CLK_TCK").Output()
		if err != nil {
			return
		}
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			clkTck = float64(n)
		}
	})
	return clkTck
}

// procStat is the part of /proc/<pid>/stat the benchmark uses.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime uint64 // clock ticks
}

// readProcStat parses /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	var s procStat
	var errs [5]error
	s.ppid, errs[0] = strconv.Atoi(f[1])
	s.utime, errs[1] = strconv.ParseUint(f[11], 10, 64)
	s.stime, errs[2] = strconv.ParseUint(f[12], 10, 64)
	cu, err3 := strconv.ParseInt(f[13], 10, 64)
	cs, err4 := strconv.ParseInt(f[14], 10, 64)
	errs[3], errs[4] = err3, err4
	for _, e := range errs {
		if e != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat: %w", pid, e)
		}
	}
	s.cutime, s.cstime = uint64(max(cu, 0)), uint64(max(cs, 0))
	return s, nil
}

// processCPU returns the CPU time (user + system) pid has used so far.
func processCPU(pid int) (time.Duration, error) {
	s, err := readProcStat(pid)
	if err != nil {
		return 0, err
	}
	return ticks(s.utime + s.stime), nil
}

func ticks(n uint64) time.Duration {
	return time.Duration(float64(n) / ticksPerSecond() * float64(time.Second))
}

// treeCPU returns the CPU time of a PostgreSQL postmaster and its server processes: the
// postmaster's own time, that of its live children (backends, checkpointer, ...), and that of
// the children it has already reaped (cutime, cstime), so backends that end between two readings
// still count.
func treeCPU(postmaster int) (time.Duration, error) {
	root, err := readProcStat(postmaster)
	if err != nil {
		return 0, err
	}
	total := root.utime + root.stime + root.cutime + root.cstime
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == postmaster {
			continue
		}
		s, err := readProcStat(pid)
		if err != nil || s.ppid != postmaster {
			continue // gone meanwhile, or not ours
		}
		total += s.utime + s.stime
	}
	return ticks(total), nil
}

// findPostmaster returns the pid of the postmaster of the cluster whose data directory is
// pgData (from its postmaster.pid), or else of the postgres process whose command line names
// port; 0 when neither is found.
func findPostmaster(pgData string, port int) int {
	if b, err := os.ReadFile(filepath.Join(pgData, "postmaster.pid")); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && pid > 0 {
			return pid
		}
	}
	entries, _ := os.ReadDir("/proc")
	want := "-p " + strconv.Itoa(port)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, "postgres") && strings.Contains(cmd+" ", want+" ") {
			return pid
		}
	}
	return 0
}

// selfCPU is the CPU time of this process (the load generator).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU returns the busy and total clock ticks of all CPUs from /proc/stat.
func machineCPU() (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			continue
		}
		// user nice system idle iowait irq softirq steal guest guest_nice; guest time is
		// already counted in user and nice.
		if i >= 8 {
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

// peakRSS returns VmHWM of pid in bytes.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/%d/status VmHWM: %w", pid, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux 4.0+); false when not permitted.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(filepath.Join("/proc", strconv.Itoa(pid), "clear_refs"), []byte("5"), 0) == nil
}

// loadAverage returns the three load averages from /proc/loadavg.
func loadAverage() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	var out []float64
	for i := 0; i < 3 && i < len(f); i++ {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil
		}
		out = append(out, v)
	}
	return out
}
