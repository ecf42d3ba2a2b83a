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

func TestUsersAreSharedByTheActiveWorkers(t *testing.T) {
	o := defaultOptions()
	if got := perWorker(o); got != 16 { // 1000 users over 64 workers
		t.Errorf("perWorker: got %d, want 16", got)
	}
	o.usersPerWorker = 20
	if got := perWorker(o); got != 20 {
		t.Errorf("perWorker with -users 20: got %d, want 20", got)
	}
	parts := make([][]*benchUser, 4)
	for i := range parts {
		parts[i] = []*benchUser{{extID: string(rune('a' + i))}}
	}
	seen := map[string]int{}
	for i := range 3 {
		for _, u := range sharedUsers(parts, i, 3) {
			seen[u.extID]++
		}
	}
	if len(seen) != 4 {
		t.Errorf("3 of 4 workers active: users taking part %v, want all 4 once", seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s handed to %d workers", id, n)
		}
	}
}
