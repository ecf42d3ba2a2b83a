package bootstrap

import (
	"math"
	"os"
	"runtime/debug"
	"testing"
)

// restoreGC puts the test binary's collector settings back after a test changed them.
func restoreGC(t *testing.T) {
	limit, percent := debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	t.Cleanup(func() {
		debug.SetMemoryLimit(limit)
		debug.SetGCPercent(percent)
	})
}

func TestLimitMemoryDefaults(t *testing.T) {
	restoreGC(t)
	for _, name := range []string{"GOMEMLIMIT", "GOGC"} {
		t.Setenv(name, "") // restores the variable after the test
		os.Unsetenv(name)
	}
	limitMemory()
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, defaultMemoryLimit)
	}
	got := debug.SetGCPercent(defaultGCPercent)
	if got != defaultGCPercent {
		t.Errorf("GC percent %d, want %d", got, defaultGCPercent)
	}
}

func TestLimitMemoryLeavesOperatorSettings(t *testing.T) {
	restoreGC(t)
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(100)
	t.Setenv("GOMEMLIMIT", "1GiB") // read by the runtime at start only; here it only marks "set"
	t.Setenv("GOGC", "100")
	limitMemory()
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit %d, want the operator's (unchanged)", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent %d, want the operator's 100", got)
	}
}
