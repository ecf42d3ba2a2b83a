package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
)

// scRollout is the rollout benchmark (issue 14): not a closed loop like the other scenarios but one
// issue job of -rollout-cards cards, timed end to end, while two workers keep logging in.
const scRollout = "rollout"

// Bounds of the rollout benchmark.
const (
	rolloutCPUBound = 1.35 // the job's CPU per card over the cell hashing of a card
	rolloutRSSBound = 200  // MiB, the service's peak RSS during the job
)

// rolloutResult is what the rollout benchmark measured.
type rolloutResult struct {
	Cards          int     `json:"cards"`
	Seconds        float64 `json:"seconds"`
	CardsPerSecond float64 `json:"cardsPerSecond"`
	// ServiceCPUMsCard is otpcard's CPU per card over the job, PDF and encryption included;
	// HashCPUMsCard the CPU that hashing one card's cells takes (cellhash, measured in this
	// process on this machine, in the same run); CPURatio the one over the other.
	ServiceCPUMsCard  float64 `json:"serviceCpuMsPerCard"`
	PostgresCPUMsCard float64 `json:"postgresCpuMsPerCard"`
	HashCPUMsCard     float64 `json:"hashCpuMsPerCard"`
	CPURatio          float64 `json:"cpuRatio"`
	CPUBound          float64 `json:"cpuBound"`
	PeakRSSMiB        float64 `json:"peakRssMiB"`
	RSSBoundMiB       float64 `json:"rssBoundMiB"`
	// Login latency of two workers before the job (idle) and while it runs.
	LoginIdle   latencyMs `json:"loginIdleMs"`
	LoginDuring latencyMs `json:"loginDuringMs"`
	LoginErrors int       `json:"loginErrors"`
}

// runRollout gives the benchmark's client print recipients and cards users without a card, then
// runs one issue job for them while logins go on, and measures it.
func runRollout(ctx context.Context, a *client.API, clientExtID string, cards int, svcPID, postmaster int,
	login []*worker, logf func(string, ...any)) (*rolloutResult, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	rec := client.NewRecorder(ctx)
	a.SetPrintSettings(rec, clientExtID, client.PrintSettingsPut{Recipients: []string{id.Recipient().String()}}).Want(rec, http.StatusOK)
	if err := rec.Err(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	users, err := rolloutUsers(ctx, a, clientExtID, cards)
	if err != nil {
		return nil, err
	}
	logf("rollout: %d users without a card in %.1f s", cards, time.Since(t0).Seconds())
	hash, err := hashCPUPerCard(ctx, 200)
	if err != nil {
		return nil, err
	}
	idle := loginLoop(ctx, login, 3*time.Second, nil)
	resetPeakRSS(svcPID)
	cpu0, _ := processCPU(svcPID)
	pg0, _ := treeCPU(postmaster)
	start := time.Now()
	rec = client.NewRecorder(ctx)
	job := a.CreateRolloutJob(rec, clientExtID, client.RolloutJobCreate{Kind: "issue", Users: users}).Want(rec, http.StatusAccepted)
	if err := rec.Err(); err != nil {
		return nil, err
	}
	var final client.RolloutJob
	var pollErr error
	during := loginLoop(ctx, login, 0, func() bool {
		r := client.NewRecorder(ctx)
		final = a.GetRolloutJob(r, clientExtID, job.ID).Want(r, http.StatusOK)
		if pollErr = r.Err(); pollErr != nil {
			return true
		}
		return final.Status != "queued" && final.Status != "running"
	})
	took := time.Since(start)
	if pollErr != nil {
		return nil, pollErr
	}
	cpu1, _ := processCPU(svcPID)
	pg1, _ := treeCPU(postmaster)
	if final.Status != "succeeded" || final.Failed != 0 {
		return nil, fmt.Errorf("rollout job %+v, want succeeded without failures", final)
	}
	rss, _ := peakRSS(svcPID)
	perCard := func(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond) / float64(cards)) }
	r := &rolloutResult{Cards: cards, Seconds: round3(took.Seconds()), CardsPerSecond: round1(float64(cards) / took.Seconds()),
		ServiceCPUMsCard: perCard(cpu1 - cpu0), PostgresCPUMsCard: perCard(pg1 - pg0),
		HashCPUMsCard: round3(float64(hash) / float64(time.Millisecond)), CPUBound: rolloutCPUBound,
		PeakRSSMiB: round1(float64(rss) / (1 << 20)), RSSBoundMiB: rolloutRSSBound,
		LoginIdle: idle.latency, LoginDuring: during.latency, LoginErrors: idle.errors + during.errors}
	r.CPURatio = round3(r.ServiceCPUMsCard / r.HashCPUMsCard)
	logf("rollout: %d cards in %.1f s (%.0f/s); service CPU %.2f ms/card = %.2f x hashing (%.2f ms/card; bound %.2f); PostgreSQL %.2f ms/card; peak RSS %.0f MiB (bound %d)",
		cards, r.Seconds, r.CardsPerSecond, r.ServiceCPUMsCard, r.CPURatio, r.HashCPUMsCard, rolloutCPUBound,
		r.PostgresCPUMsCard, r.PeakRSSMiB, rolloutRSSBound)
	logf("rollout: login p50/p99 %.2f/%.2f ms idle, %.2f/%.2f ms during the job (%d errors)",
		idle.latency.P50, idle.latency.P99, during.latency.P50, during.latency.P99, r.LoginErrors)
	return r, nil
}

// rolloutUsers creates n users without a card, sixteen at a time.
func rolloutUsers(ctx context.Context, a *client.API, clientExtID string, n int) ([]string, error) {
	users := make([]string, n)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n && errs[w] == nil; i += 16 {
				users[i] = fmt.Sprintf("rollout-%06d", i)
				rec := client.NewRecorder(ctx)
				a.CreateUser(rec, clientExtID, client.UserCreate{ExtID: users[i], LoginID: users[i],
					UserDetails: client.UserDetails{Name: &client.UserName{FirstName: "Bench", FamilyName: users[i]},
						Address: &client.UserAddress{Street: "Bahnhofstrasse", HouseNumber: "1", PostalCode: "8001", City: "Zürich"}}}).
					Want(rec, http.StatusCreated)
				errs[w] = rec.Err()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return users, nil
}

// hashCPUPerCard is the CPU time (user and system, all threads of this process) that hashing one
// default card's cells takes with the service's hasher settings, over n cards.
func hashCPUPerCard(ctx context.Context, n int) (time.Duration, error) {
	pepper := make([]byte, cellhash.MinPepperLength)
	if _, err := rand.Read(pepper); err != nil {
		return 0, err
	}
	h, err := cellhash.New(pepper, cellhash.DefaultParams(), runtime.GOMAXPROCS(0))
	if err != nil {
		return 0, err
	}
	layout := credential.DefaultParameters().Layout
	all := make([][]string, n)
	for i := range all {
		if all[i], err = credential.GenerateCells(layout, nil); err != nil {
			return 0, err
		}
	}
	c0 := selfCPU()
	for _, cells := range all {
		if _, err := h.Hash(ctx, cells); err != nil {
			return 0, err
		}
	}
	return (selfCPU() - c0) / time.Duration(n), nil
}

// loginPace is how often each login worker logs in: two workers make 20 logins a second, a steady
// load beside the job whose CPU the figures must not be mostly of.
const loginPace = 100 * time.Millisecond

// loginTally is what loginLoop saw.
type loginTally struct {
	latency latencyMs
	errors  int
}

// loginLoop logs in with the workers, one goroutine each at loginPace, for d, or (d == 0) until
// done reports true (asked every 200 ms).
func loginLoop(ctx context.Context, workers []*worker, d time.Duration, done func() bool) loginTally {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() {
			for next := time.Now(); ctx.Err() == nil; next = next.Add(loginPace) {
				sleepUntil(ctx, next) // a steady login rate, as users bring it, not a closed loop
				t := time.Now()
				o := w.login(ctx)
				took := time.Since(t)
				mu.Lock()
				if o.err != nil && ctx.Err() == nil {
					errs++
				} else if o.err == nil {
					lat = append(lat, took)
				}
				mu.Unlock()
			}
		})
	}
	if d > 0 {
		sleepUntil(ctx, time.Now().Add(d))
	} else {
		for !done() && ctx.Err() == nil {
			sleepUntil(ctx, time.Now().Add(200*time.Millisecond))
		}
	}
	cancel()
	wg.Wait()
	slices.Sort(lat)
	return loginTally{latency: summarise(lat), errors: errs}
}

// writeRolloutMarkdown prints the rollout figures beside their bounds.
func writeRolloutMarkdown(w io.Writer, r *rolloutResult) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "\n### Rollout: one issue job of %d cards\n\n", r.Cards)
	fmt.Fprintf(w, "| Figure | Measured | Bound |\n|---|---|---|\n")
	fmt.Fprintf(w, "| Job time | %.1f s (%.0f cards/s) | |\n", r.Seconds, r.CardsPerSecond)
	fmt.Fprintf(w, "| otpcard CPU per card (PDF and encryption included) | %.2f ms | |\n", r.ServiceCPUMsCard)
	fmt.Fprintf(w, "| Cell hashing CPU per card (same run) | %.2f ms | |\n", r.HashCPUMsCard)
	fmt.Fprintf(w, "| Ratio | %.2f x | at most %.2f x |\n", r.CPURatio, r.CPUBound)
	fmt.Fprintf(w, "| PostgreSQL CPU per card | %.2f ms | |\n", r.PostgresCPUMsCard)
	fmt.Fprintf(w, "| otpcard peak RSS | %.0f MiB | under %.0f MiB |\n", r.PeakRSSMiB, r.RSSBoundMiB)
	fmt.Fprintf(w, "| Login p50 / p99, idle (2 users, 10 logins/s each) | %.2f / %.2f ms | |\n", r.LoginIdle.P50, r.LoginIdle.P99)
	fmt.Fprintf(w, "| Login p50 / p99, during the job | %.2f / %.2f ms (%d errors) | |\n", r.LoginDuring.P50, r.LoginDuring.P99, r.LoginErrors)
}
