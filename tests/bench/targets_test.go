package main

import (
	"strings"
	"testing"
	"time"
)

func TestCheckTargets(t *testing.T) {
	r := &Results{
		Machine:  machine{Cores: 2},
		Settings: settings{Concurrency: []int{1, 64}},
		Service:  serviceInfo{PeakRSSMiB: 151},
		Baselines: []baseline{
			{Script: baseUpdate, Clients: 1, TPS: 5000, LatencyAvgMs: 0.2},
			{Script: baseUpdate, Clients: 64, TPS: 20000},
			{Script: baseSelect, Clients: 64, TPS: 50000},
		},
		Runs: []runResult{
			{Scenario: scReplace, Concurrency: 1, LatencyMs: latencyMs{P50: 7.0, Mean: 7.5}},
			{Scenario: scLogin, Concurrency: 64, OpsPerSecond: 10000},
			{Scenario: scGet, Concurrency: 64, OpsPerSecond: 10000, Errors: 2},
		},
	}
	attachRatios(r)
	// 1.3 × (10 ms / 2 + 0.2 ms) = 6.76 ms: a p50 of 7.0 ms misses it.
	got := map[string]target{}
	for _, tg := range checkTargets(r, 10*time.Millisecond) {
		got[tg.Name] = tg
	}
	want := map[string]bool{
		"replace latency at c=1 (p50)":       false,
		"login at c=64 vs pgbench update":    true,
		"get at c=64 vs pgbench select-only": false,
		"errors at c=64":                     false,
		"service peak RSS":                   false,
	}
	for name, met := range want {
		tg, ok := got[name]
		switch {
		case !ok:
			t.Errorf("no target %q; got %v", name, got)
		case tg.Met == nil || *tg.Met != met:
			t.Errorf("%s: met %v, want %v (%+v)", name, tg.Met, met, tg)
		}
	}
	if w := got["replace latency at c=1 (p50)"].Want; !strings.Contains(w, "6.76 ms") {
		t.Errorf("replace bound %q, want 6.76 ms", w)
	}
	r.Runs[0].LatencyMs.P50 = 6.7
	for _, tg := range checkTargets(r, 10*time.Millisecond) {
		if strings.HasPrefix(tg.Name, "replace") && (tg.Met == nil || !*tg.Met) {
			t.Errorf("replace p50 6.7 ms: %+v, want met", tg)
		}
	}
	var b strings.Builder
	writeTargets(&b, checkTargets(r, 0))
	if !strings.Contains(b.String(), "| replace latency at c=1 (p50) | needs the hashing cost") {
		t.Errorf("without the hashing cost the replace target is not measured:\n%s", b.String())
	}
}
