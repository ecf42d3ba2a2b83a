package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/domain/credential"
)

// The performance targets the benchmark checks (issue 6), for a 2-core machine.
const (
	targetReplaceFactor = 1.3  // replace latency within 1.3 × (verifier CPU / cores + one transaction)
	targetRatio         = 0.5  // login vs pgbench update, get vs pgbench select-only
	targetErrorsAtC     = 64   // zero errors at this concurrency
	targetRSSMiB        = 150. // peak RSS below this (the 150 MB, read as MiB: the stricter)
)

// target is one target checked against the run; Met is nil when the run did not measure it.
type target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  *bool  `json:"met,omitempty"`
}

// hashCost measures what the replace target is built on: the time one core takes to compute the
// verifiers of a card at default settings (the service's hasher, one worker), best of n runs so
// that a busy moment does not count.
func hashCost(ctx context.Context, n int) (time.Duration, error) {
	pepper := make([]byte, cellhash.MinPepperLength)
	if _, err := rand.Read(pepper); err != nil {
		return 0, err
	}
	h, err := cellhash.New(pepper, cellhash.DefaultParams(), 1)
	if err != nil {
		return 0, err
	}
	layout := credential.DefaultParameters().Layout
	best := time.Duration(0)
	for range n {
		cells, err := credential.GenerateCells(layout, nil)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		if _, err := h.Hash(ctx, cells); err != nil {
			return 0, err
		}
		if d := time.Since(start); best == 0 || d < best {
			best = d
		}
	}
	return best, nil
}

// checkTargets compares the run with the targets. hash is hashCost's result (0: not measured).
func checkTargets(r *Results, hash time.Duration) []target {
	var out []target
	met := func(ok bool) *bool { return &ok }
	// Replace at concurrency 1 against the hashing time spread over the cores plus one pgbench
	// one-row update transaction at concurrency 1.
	if run, ok := findRun(r, scReplace, 1); ok {
		t := target{Name: "replace latency at c=1 (p50)"}
		upd, okU := findBaseline(r, baseUpdate, 1)
		if hash > 0 && okU {
			bound := targetReplaceFactor * (float64(hash.Microseconds())/1000/float64(r.Machine.Cores) + upd.LatencyAvgMs)
			t.Want = fmt.Sprintf("≤ %.1f × (%.2f ms hashing / %d cores + %.2f ms update transaction) = %.2f ms",
				targetReplaceFactor, float64(hash.Microseconds())/1000, r.Machine.Cores, upd.LatencyAvgMs, bound)
			t.Got = fmt.Sprintf("%.2f ms (mean %.2f ms)", run.LatencyMs.P50, run.LatencyMs.Mean)
			t.Met = met(run.LatencyMs.P50 <= bound)
		} else {
			t.Want = "needs the hashing cost and pgbench update at c=1"
			t.Got = fmt.Sprintf("%.2f ms", run.LatencyMs.P50)
		}
		out = append(out, t)
	}
	for _, sc := range []string{scLogin, scGet} {
		for _, run := range r.Runs {
			if run.Scenario != sc || run.Concurrency == 1 {
				continue
			}
			t := target{Name: fmt.Sprintf("%s at c=%d vs pgbench %s", sc, run.Concurrency, baselineFor(sc)),
				Want: fmt.Sprintf("≥ %.2f ×", targetRatio)}
			if run.Ratio > 0 {
				t.Got = fmt.Sprintf("%.3f × (%.1f ops/s vs %.1f tps)", run.Ratio, run.OpsPerSecond, run.BaselineTPS)
				t.Met = met(run.Ratio >= targetRatio)
			} else {
				t.Got = fmt.Sprintf("%.1f ops/s, no baseline", run.OpsPerSecond)
			}
			out = append(out, t)
		}
	}
	if slices.Contains(r.Settings.Concurrency, targetErrorsAtC) {
		errs := 0
		for _, run := range r.Runs {
			if run.Concurrency == targetErrorsAtC {
				errs += run.Errors
			}
		}
		out = append(out, target{Name: fmt.Sprintf("errors at c=%d", targetErrorsAtC), Want: "0",
			Got: fmt.Sprint(errs), Met: met(errs == 0)})
	}
	if r.Service.PeakRSSMiB > 0 {
		out = append(out, target{Name: "service peak RSS", Want: fmt.Sprintf("< %.0f MiB", targetRSSMiB),
			Got: fmt.Sprintf("%.1f MiB", r.Service.PeakRSSMiB), Met: met(r.Service.PeakRSSMiB < targetRSSMiB)})
	}
	return out
}

func findRun(r *Results, scenario string, c int) (runResult, bool) {
	for _, run := range r.Runs {
		if run.Scenario == scenario && run.Concurrency == c {
			return run, true
		}
	}
	return runResult{}, false
}

func findBaseline(r *Results, script string, c int) (baseline, bool) {
	for _, b := range r.Baselines {
		if b.Script == script && b.Clients == c && b.TPS > 0 {
			return b, true
		}
	}
	return baseline{}, false
}

// writeTargets prints the targets table.
func writeTargets(w io.Writer, ts []target) {
	if len(ts) == 0 {
		return
	}
	fmt.Fprintln(w, "\nTargets (issue 6, for a 2-core machine):")
	fmt.Fprintln(w, "\n| target | want | got | met |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, t := range ts {
		m := "not measured"
		if t.Met != nil {
			m = map[bool]string{true: "yes", false: "**no**"}[*t.Met]
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.Name, t.Want, t.Got, m)
	}
}
