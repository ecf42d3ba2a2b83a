package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/otpcard/otpcard/tests/client"
)

// opOutcome is one operation of a scenario.
type opOutcome struct {
	timed    time.Duration // latency to record when not the whole operation (create); 0: whole
	requests int           // HTTP requests sent
	kind     string        // what the mixed scenario chose
	err      error
}

// worker drives the API for one simulated client. It owns its users, so one-time state (the
// outstanding challenge, the clear cells after a replace) never races with another worker. Each
// operation's calls report to a Recorder of its own: the first failure is the operation's error.
type worker struct {
	a          *client.API
	client     string
	createBody client.CredentialCreate // body of a card create
	users      []*benchUser
	next       int
	rng        *rand.Rand
}

func (w *worker) nextUser() *benchUser {
	u := w.users[w.next%len(w.users)]
	w.next++
	return u
}

// key is the user's key under the benchmark's client.
func (w *worker) key(u *benchUser) client.UserKey {
	return client.UserKey{Client: w.client, User: u.extID}
}

// replace: POST .../otp-credentials/{id}/replace; the new clear cells replace the worker's copy.
func (w *worker) replace(ctx context.Context) opOutcome {
	u := w.nextUser()
	rec := client.NewRecorder(ctx)
	c := w.a.ReplaceCard(rec, w.key(u).Card(u.card.extID), client.CredentialReplace{}).Want(rec, http.StatusOK)
	err := rec.Err()
	if err == nil {
		var nc card
		if nc, err = cardFrom(c); err == nil {
			u.card = nc
		}
	}
	return opOutcome{requests: 1, kind: scReplace, err: err}
}

// create: POST a second card (timed), then DELETE it (not timed) to stay under the limit of two
// cards per user.
func (w *worker) create(ctx context.Context) opOutcome {
	u := w.nextUser()
	rec := client.NewRecorder(ctx)
	start := time.Now()
	created := w.a.CreateCard(rec, w.key(u), w.createBody).Want(rec, http.StatusCreated)
	timed := time.Since(start)
	if err := rec.Err(); err != nil {
		return opOutcome{requests: 1, kind: scCreate, err: err}
	}
	w.a.DeleteCard(rec, w.key(u).Card(created.ExtID)).WantStatus(rec, http.StatusNoContent)
	return opOutcome{timed: timed, requests: 2, kind: scCreate, err: rec.Err()}
}

// get: GET one card (masked).
func (w *worker) get(ctx context.Context) opOutcome {
	u := w.nextUser()
	rec := client.NewRecorder(ctx)
	w.a.GetCard(rec, w.key(u).Card(u.card.extID)).WantStatus(rec, http.StatusOK)
	return opOutcome{requests: 1, kind: scGet, err: rec.Err()}
}

// list: GET a user's cards.
func (w *worker) list(ctx context.Context) opOutcome {
	u := w.nextUser()
	rec := client.NewRecorder(ctx)
	w.a.ListCards(rec, w.key(u), client.Page{}).WantStatus(rec, http.StatusOK)
	return opOutcome{requests: 1, kind: scList, err: rec.Err()}
}

// login: POST challenge, then POST login with the right cell; success is statusCode 5.
func (w *worker) login(ctx context.Context) opOutcome {
	u := w.nextUser()
	rec := client.NewRecorder(ctx)
	ch := w.a.Challenge(rec, w.key(u)).Want(rec, http.StatusOK)
	if err := rec.Err(); err != nil {
		return opOutcome{requests: 1, kind: scLogin, err: err}
	}
	if ch.Challenge == nil {
		return opOutcome{requests: 1, kind: scLogin, err: fmt.Errorf("user %s: no challenge left", u.extID)}
	}
	password, err := u.card.answer(*ch.Challenge)
	if err != nil {
		return opOutcome{requests: 1, kind: scLogin, err: fmt.Errorf("challenge %q: %w", *ch.Challenge, err)}
	}
	res := w.a.Login(rec, w.key(u), client.LoginRequest{Challenge: *ch.Challenge, Password: password}).Want(rec, http.StatusOK)
	err = rec.Err()
	if err == nil && res.StatusCode != 5 {
		err = fmt.Errorf("login with the right cell: statusCode %d, want 5", res.StatusCode)
	}
	return opOutcome{requests: 2, kind: scLogin, err: err}
}

// mixed: 90% challenge + login, 9% get, 1% replace.
func (w *worker) mixed(ctx context.Context) opOutcome {
	switch r := w.rng.IntN(100); {
	case r < 90:
		return w.login(ctx)
	case r < 99:
		return w.get(ctx)
	default:
		return w.replace(ctx)
	}
}

func (w *worker) op(scenario string) func(context.Context) opOutcome {
	switch scenario {
	case scReplace:
		return w.replace
	case scCreate:
		return w.create
	case scGet:
		return w.get
	case scList:
		return w.list
	case scLogin:
		return w.login
	case scMixed:
		return w.mixed
	}
	panic("unknown scenario " + scenario)
}

// sample is the resource counters at one instant.
type sample struct {
	at        time.Time
	svc, pg   time.Duration
	self      time.Duration
	busy, all uint64 // machine CPU ticks
	pool      poolStats
}

// probe reads the counters of the service, PostgreSQL, this process and the machine.
type probe struct {
	svcPID     int
	postmaster int // 0: unknown
	metrics    func(context.Context) poolStats
	pg         *pgWatch // nil: no PostgreSQL statistics
}

func (p probe) sample(ctx context.Context) sample {
	s := sample{at: time.Now(), self: selfCPU()}
	s.svc, _ = processCPU(p.svcPID)
	if p.postmaster > 0 {
		s.pg, _ = treeCPU(p.postmaster)
	}
	s.busy, s.all = machineCPU()
	if p.metrics != nil {
		s.pool = p.metrics(ctx)
	}
	return s
}

// latencyMs summarises latencies in milliseconds.
type latencyMs struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

func summarise(d []time.Duration) latencyMs {
	if len(d) == 0 {
		return latencyMs{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	pct := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(d)))) - 1
		return ms(d[min(max(i, 0), len(d)-1)])
	}
	return latencyMs{Mean: ms(sum / time.Duration(len(d))), P50: pct(0.50), P95: pct(0.95), P99: pct(0.99), Max: ms(d[len(d)-1])}
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// maxErrorSamples bounds the distinct error messages kept per run.
const maxErrorSamples = 5

// runScenario runs workers closed-loop for warmup + d. Operations that start before the warm-up
// ends or finish after the measured window are not counted; errors are counted whenever they
// happen.
func runScenario(ctx context.Context, scenario string, workers []*worker, warmup, d time.Duration, pr probe) (runResult, error) {
	type tally struct {
		lat      []time.Duration
		ops      int
		allOps   int // successful operations, measured or not
		requests int
		errors   int
		samples  []string
		kinds    map[string]int
	}
	tallies := make([]tally, len(workers))
	statementsReset := pr.pg != nil && pr.pg.hasStatements && pr.pg.resetStatements(ctx) == nil
	start := time.Now()
	measureFrom := start.Add(warmup)
	deadline := measureFrom.Add(d)
	var wg sync.WaitGroup
	for i, w := range workers {
		t := &tallies[i]
		t.kinds = map[string]int{}
		op := w.op(scenario)
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				out := op(ctx)
				t1 := time.Now()
				if out.err != nil {
					if ctx.Err() != nil {
						return
					}
					t.errors++
					msg := out.err.Error()
					if len(t.samples) < maxErrorSamples && !slices.Contains(t.samples, msg) {
						t.samples = append(t.samples, msg)
					}
					continue
				}
				t.allOps++
				if t0.Before(measureFrom) || t1.After(deadline) {
					continue
				}
				lat := out.timed
				if lat == 0 {
					lat = t1.Sub(t0)
				}
				t.lat = append(t.lat, lat)
				t.ops++
				t.requests += out.requests
				t.kinds[out.kind]++
			}
		})
	}
	sleepUntil(ctx, measureFrom)
	// Peak RSS of this run only: reset VmHWM when the measured window starts.
	resetOK := resetPeakRSS(pr.svcPID)
	before := pr.sample(ctx)
	stopSampling := make(chan struct{})
	var activity func() pgActivity
	if pr.pg != nil {
		activity = pr.pg.sampleActivity(ctx, stopSampling)
	}
	sleepUntil(ctx, deadline)
	after := pr.sample(ctx)
	close(stopSampling)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return runResult{}, err
	}
	rss, _ := peakRSS(pr.svcPID)
	var pga *pgActivity
	if pr.pg != nil {
		a := activity()
		if statementsReset {
			allOps := 0
			for _, t := range tallies {
				allOps += t.allOps
			}
			a.StatementsPerOp, a.Top, _ = pr.pg.statements(ctx, allOps)
		}
		pga = &a
	}

	r := runResult{Scenario: scenario, Concurrency: len(workers), Kinds: map[string]int{}}
	var lat []time.Duration
	for _, t := range tallies {
		lat = append(lat, t.lat...)
		r.Ops += t.ops
		r.Requests += t.requests
		r.Errors += t.errors
		for _, s := range t.samples {
			if len(r.ErrorSamples) < maxErrorSamples && !slices.Contains(r.ErrorSamples, s) {
				r.ErrorSamples = append(r.ErrorSamples, s)
			}
		}
		for k, n := range t.kinds {
			r.Kinds[k] += n
		}
	}
	if scenario != scMixed {
		r.Kinds = nil
	}
	wall := after.at.Sub(before.at)
	r.DurationSeconds = round3(wall.Seconds())
	r.OpsPerSecond = round1(float64(r.Ops) / wall.Seconds())
	r.RequestsPerSecond = round1(float64(r.Requests) / wall.Seconds())
	r.LatencyMs = summarise(lat)
	perOp := func(d time.Duration) float64 {
		if r.Ops == 0 {
			return 0
		}
		return round3(float64(d) / float64(time.Millisecond) / float64(r.Ops))
	}
	r.ServiceCPUMsPerOp = perOp(after.svc - before.svc)
	r.ServiceCores = round3((after.svc - before.svc).Seconds() / wall.Seconds())
	if pr.postmaster > 0 {
		r.PostgresCPUMsPerOp = perOp(after.pg - before.pg)
		r.PostgresCores = round3((after.pg - before.pg).Seconds() / wall.Seconds())
	}
	r.LoadGenCPUMsPerOp = perOp(after.self - before.self)
	if after.all > before.all {
		r.MachineBusy = round3(float64(after.busy-before.busy) / float64(after.all-before.all))
	}
	r.PeakRSSMiB = round1(float64(rss) / (1 << 20))
	r.PeakRSSSinceStart = !resetOK
	if p := after.pool.minus(before.pool); p.Known {
		r.Pool = &p
	}
	r.Postgres = pga
	return r, nil
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func sleepUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
}
