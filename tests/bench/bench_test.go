package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/tests/client"
)

// TestSmoke runs the benchmark's smoke mode end to end (PostgreSQL, the built service, seeding,
// every scenario, pgbench) so that the command cannot rot, and checks its JSON.
//
// The service is built without -trimpath here so that the build shares the Go build cache with
// ordinary (non-race) builds and tests of the module; -trimpath changes file names in the binary,
// not its code. OTPCARD_BENCH_BINARY names a prebuilt binary to use instead.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds otpcard and starts PostgreSQL; skipped under -short")
	}
	o := smokeOptions()
	o.out = filepath.Join(t.TempDir(), "bench-results.json")
	o.trimpath = false
	o.binary = os.Getenv("OTPCARD_BENCH_BINARY")
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	var stdout, progress bytes.Buffer
	start := time.Now()
	_, err := run(ctx, o, &stdout, &progress)
	t.Logf("smoke run took %.1f s; progress:\n%s", time.Since(start).Seconds(), progress.String())
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s", err, stdout.String())
	}

	data, err := os.ReadFile(o.out)
	if err != nil {
		t.Fatalf("results file: %v", err)
	}
	var res Results
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("results file is not the Results JSON: %v", err)
	}
	if res.Machine.CPUModel == "" || res.Machine.Cores < 1 || res.Machine.MemoryMiB <= 0 ||
		res.Machine.GoVersion == "" || res.Machine.PostgresVersion == "" {
		t.Errorf("machine description incomplete: %+v", res.Machine)
	}
	for _, sc := range allScenarios {
		i := slices.IndexFunc(res.Runs, func(r runResult) bool { return r.Scenario == sc })
		if i < 0 {
			t.Errorf("scenario %s: missing from the results", sc)
			continue
		}
		r := res.Runs[i]
		if r.Concurrency != 4 {
			t.Errorf("%s: concurrency %d, want 4", sc, r.Concurrency)
		}
		if r.OpsPerSecond <= 0 || r.Ops <= 0 {
			t.Errorf("%s: %d ops, %.1f ops/s; want some", sc, r.Ops, r.OpsPerSecond)
		}
		if r.Errors != 0 {
			t.Errorf("%s: %d errors, want 0: %q", sc, r.Errors, r.ErrorSamples)
		}
		if r.LatencyMs.P50 <= 0 || r.LatencyMs.P99 < r.LatencyMs.P95 || r.LatencyMs.P95 < r.LatencyMs.P50 {
			t.Errorf("%s: latency %+v, want 0 < p50 <= p95 <= p99", sc, r.LatencyMs)
		}
		if r.PeakRSSMiB <= 0 {
			t.Errorf("%s: peak RSS %.1f MiB, want > 0", sc, r.PeakRSSMiB)
		}
		if r.Ratio <= 0 || r.Baseline != baselineFor(sc) {
			t.Errorf("%s: ratio %v to %q, want a positive ratio to %q", sc, r.Ratio, r.Baseline, baselineFor(sc))
		}
		if !strings.Contains(stdout.String(), "| "+sc+" | 4 |") {
			t.Errorf("%s: no row in the markdown table", sc)
		}
	}
	if i := slices.IndexFunc(res.Runs, func(r runResult) bool { return r.Scenario == scReplace }); i >= 0 &&
		res.Runs[i].ServiceCPUMsPerOp <= 0 {
		t.Errorf("replace: service CPU %.3f ms/op, want > 0 (a card costs milliseconds of hashing)", res.Runs[i].ServiceCPUMsPerOp)
	}
	for _, script := range []string{baseSelect, baseUpdate} {
		i := slices.IndexFunc(res.Baselines, func(b baseline) bool { return b.Script == script && b.Clients == 4 })
		if i < 0 || res.Baselines[i].TPS <= 0 {
			t.Errorf("pgbench %s at 4 clients: missing or zero tps in %+v", script, res.Baselines)
		}
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-c", "2,8,2", "-d", "3s", "-scenarios", "login,get"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.concurrency, []int{2, 8}) || o.duration != 3*time.Second ||
		!slices.Equal(o.scenarios, []string{scGet, scLogin}) || o.out != "bench-results.json" {
		t.Errorf("got %+v", o)
	}
	o, err = parseFlags([]string{"-smoke", "-d", "2s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !o.smoke || !slices.Equal(o.concurrency, []int{4}) || o.duration != 2*time.Second || o.pgbenchScale != 1 {
		t.Errorf("-smoke -d 2s: got %+v, want smoke settings with d=2s", o)
	}
	for _, bad := range [][]string{{"-c", "0"}, {"-c", "x"}, {"-scenarios", "nope"}, {"-d", "1ms"}, {"extra"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}

func TestSummarise(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := summarise(d)
	want := latencyMs{Mean: 50.5, P50: 50, P95: 95, P99: 99, Max: 100}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := summarise(nil); got != (latencyMs{}) {
		t.Errorf("no samples: got %+v", got)
	}
}

func TestProcReaders(t *testing.T) {
	pid := os.Getpid()
	s, err := readProcStat(pid)
	if err != nil {
		t.Fatal(err)
	}
	if s.ppid != os.Getppid() {
		t.Errorf("ppid: got %d, want %d", s.ppid, os.Getppid())
	}
	if rss, err := peakRSS(pid); err != nil || rss <= 0 {
		t.Errorf("peakRSS: got %d, %v", rss, err)
	}
	if busy, total := machineCPU(); total == 0 || busy > total {
		t.Errorf("machineCPU: got %d busy of %d", busy, total)
	}
}

func TestCardAnswer(t *testing.T) {
	cj := client.Credential{ExtID: "c1", OTP: "2|3|000000|AAAABBBBCCCCDDDDEEEEFFFF"}
	c, err := cardFrom(cj)
	if err != nil {
		t.Fatal(err)
	}
	for label, want := range map[string]string{"001": "AAAA", "006": "FFFF", "A1": "AAAA", "C2": "FFFF", "B2": "EEEE"} {
		if got, err := c.answer(label); err != nil || got != want {
			t.Errorf("answer(%q): got %q, %v; want %q", label, got, err, want)
		}
	}
	if _, err := cardFrom(client.Credential{ExtID: "m", OTP: "1|2|00|********"}); err == nil {
		t.Error("masked card: got no error")
	}
}
