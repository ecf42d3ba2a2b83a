package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/postgres/cluster"
	"github.com/otpcard/otpcard/tests/client"
)

// commandLine renders the options as the command that reproduces them.
func commandLine(o options) string {
	if o.smoke && slices.Equal(o.concurrency, smokeOptions().concurrency) && o.duration == time.Second {
		return "go run ./tests/bench -smoke"
	}
	parts := []string{"go run ./tests/bench", "-c", concurrencyLevels(&o.concurrency).String(), "-d", o.duration.String()}
	if !slices.Equal(o.scenarios, allScenarios) {
		parts = append(parts, "-scenarios", strings.Join(o.scenarios, ","))
	}
	if slices.Contains(o.scenarios, scRollout) && o.rolloutCards != defaultOptions().rolloutCards {
		parts = append(parts, "-rollout-cards", strconv.Itoa(o.rolloutCards))
	}
	if o.binary != "" {
		parts = append(parts, "-binary", o.binary)
	}
	for _, kv := range o.serviceEnv {
		if strings.ContainsAny(kv, " \t\"'$") {
			kv = strconv.Quote(kv)
		}
		parts = append(parts, "-env", kv)
	}
	return strings.Join(parts, " ")
}

// waitIdle waits until the process pid uses less than 5% of a core over 250 ms, or max has
// passed; it returns how long it waited.
func waitIdle(ctx context.Context, pid int, max time.Duration) time.Duration {
	const window = 250 * time.Millisecond
	start := time.Now()
	for time.Since(start) < max && ctx.Err() == nil {
		c0, err := processCPU(pid)
		if err != nil {
			break
		}
		time.Sleep(window)
		c1, err := processCPU(pid)
		if err != nil || c1-c0 < window/20 {
			break
		}
	}
	return time.Since(start)
}

// perWorker is the number of users seeded per worker at the highest concurrency: -users, or more
// to reach -min-users in all.
func perWorker(o options) int {
	maxC := slices.Max(o.concurrency)
	return max(o.usersPerWorker, (o.minUsers+maxC-1)/maxC)
}

// sharedUsers hands worker i of the active ones every conc-th partition of the seeded users, so
// that at every concurrency all seeded users take part and no two workers share one.
func sharedUsers(parts [][]*benchUser, i, conc int) []*benchUser {
	var us []*benchUser
	for j := i; j < len(parts); j += conc {
		us = append(us, parts[j]...)
	}
	return us
}

// run performs the whole benchmark and returns its results, which it also prints to stdout as
// markdown and writes to o.out as JSON. progress receives one line per step.
func run(ctx context.Context, o options, stdout, progress io.Writer) (_ *Results, runErr error) {
	var logMu sync.Mutex // the build and pgbench -i log from their own goroutines
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		fmt.Fprintf(progress, "bench: %s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	maxC := slices.Max(o.concurrency)
	res := &Results{
		Started: time.Now().UTC().Truncate(time.Second),
		Command: commandLine(o),
		Settings: settings{Concurrency: o.concurrency, DurationSeconds: o.duration.Seconds(),
			WarmupSeconds: o.warmup.Seconds(), Scenarios: o.scenarios, Smoke: o.smoke,
			UsersPerWorker: perWorker(o), SeededUsers: maxC * perWorker(o), CardsPerUser: o.cardsPerUser, PgbenchScale: o.pgbenchScale,
			Binary: "go build -trimpath (module root)"},
		Machine: describeMachine(),
	}
	if !o.trimpath {
		res.Settings.Binary = "go build (module root)"
	}
	if o.binary != "" {
		res.Settings.Binary = o.binary
	}

	// Under /tmp, 0711: as root the cluster runs as the postgres user, which must reach its data
	// directory and the pgbench script below this directory.
	tmp, err := os.MkdirTemp("/tmp", "otpcard-bench-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := os.RemoveAll(tmp); err != nil {
			logf("remove %s: %v", tmp, err)
		}
	}()
	if err := os.Chmod(tmp, 0o711); err != nil {
		return nil, err
	}
	// Background work (the build, pgbench -i) is cancelled and awaited before tmp goes.
	ctx, cancel := context.WithCancel(ctx)
	var bg sync.WaitGroup
	defer bg.Wait()
	defer cancel()

	bin := o.binary
	buildDone := make(chan error, 1)
	if bin == "" {
		root, err := moduleRoot(ctx)
		if err != nil {
			return nil, err
		}
		bin = filepath.Join(tmp, "otpcard")
		logf("building otpcard (%s) in %s", res.Settings.Binary, root)
		bg.Go(func() {
			t0 := time.Now()
			err := buildRelease(ctx, root, bin, o.trimpath)
			if err == nil {
				logf("built otpcard in %.1f s", time.Since(t0).Seconds())
			}
			buildDone <- err
		})
	} else {
		if bin, err = filepath.Abs(bin); err != nil {
			return nil, err
		}
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("-binary: %w", err)
		}
		buildDone <- nil
	}

	binDir, err := cluster.FindBinDir(os.Getenv("OTPCARD_PG_BIN"))
	if err != nil {
		return nil, err
	}
	clusterDir := filepath.Join(tmp, "pg")
	t0 := time.Now()
	c, err := cluster.Start(ctx, cluster.Config{DataDir: clusterDir, BinDir: binDir, Ephemeral: true})
	if err != nil {
		return nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
		defer scancel()
		if err := c.Stop(sctx); err != nil {
			logf("stop PostgreSQL: %v", err)
			runErr = errors.Join(runErr, err)
		}
	}()
	logf("PostgreSQL from %s on port %d in %.1f s", binDir, c.Port(), time.Since(t0).Seconds())
	statementsOK := false
	if o.statements {
		if err := enableStatements(ctx, c); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			res.Notes = append(res.Notes, "pg_stat_statements could not be loaded ("+err.Error()+"): no statement counts.")
		} else {
			statementsOK = true
		}
	}
	for _, db := range []string{"otpcard", "pgbench"} {
		if err := c.CreateDatabase(ctx, db); err != nil {
			return nil, err
		}
	}
	res.Machine.PostgresVersion, res.Machine.PostgresConfig, err = describePostgres(ctx, c.URL("postgres"))
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL version: %w", err)
	}

	var pg *pgbench
	initDone := make(chan error, 1)
	if o.pgbench {
		dir, err := ensureDir(filepath.Join(tmp, "pgbench"), 0o755)
		if err != nil {
			return nil, err
		}
		if pg, err = newPgbench(binDir, c.URL("pgbench"), dir); err != nil {
			return nil, err
		}
		bg.Go(func() {
			t0 := time.Now()
			err := pg.init(ctx, o.pgbenchScale)
			if err == nil {
				logf("pgbench -i -s %d in %.1f s", o.pgbenchScale, time.Since(t0).Seconds())
			}
			initDone <- err
		})
	} else {
		initDone <- nil
	}

	if err := <-buildDone; err != nil {
		return nil, err
	}
	svcDir, err := ensureDir(filepath.Join(tmp, "service"), 0o700)
	if err != nil {
		return nil, err
	}
	t0 = time.Now()
	svc, err := startService(ctx, bin, svcDir, c.URL("otpcard"), o.serviceEnv)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := svc.stop(); err != nil {
			logf("stop otpcard: %v", err)
			runErr = errors.Join(runErr, err)
		}
	}()
	res.Service.StartSeconds = round3(time.Since(t0).Seconds())
	logf("otpcard pid %d ready at %s in %.1f s", svc.pid, svc.baseURL, res.Service.StartSeconds)

	token, err := jwtauth.MintHS256(svc.jwtSecret, jwtauth.MintOptions{
		Subject: "bench", Roles: []string{"Root"}, TTL: 24 * time.Hour, Issuer: "otpcard", Audience: "otpcard"})
	if err != nil {
		return nil, err
	}
	a := newAPI(svc.baseURL, token, maxC)
	defer a.HTTP().CloseIdleConnections()

	t0 = time.Now()
	cpu0, _ := processCPU(svc.pid)
	sd, err := seedData(ctx, a, maxC, perWorker(o), o.cardsPerUser)
	if err != nil {
		return nil, err
	}
	cpu1, _ := processCPU(svc.pid)
	res.Service.SeedSeconds = round3(time.Since(t0).Seconds())
	res.Service.SeedCPUMsOp = round3(float64(cpu1-cpu0) / float64(time.Millisecond) / float64(res.Settings.SeededUsers))
	logf("seeded 1 client, 1 policy, %d users with one card each in %.1f s (service CPU %.1f ms per user + card)",
		res.Settings.SeededUsers, res.Service.SeedSeconds, res.Service.SeedCPUMsOp)
	if rss, err := peakRSS(svc.pid); err == nil {
		res.Service.PeakRSSMiB = round1(float64(rss) / (1 << 20))
	}
	// The seeding left events for the audit trail to record; the first run starts once the
	// service has caught up, not while it still works for the seeding.
	logf("service idle after %.1f s", waitIdle(ctx, svc.pid, 30*time.Second).Seconds())

	if err := <-initDone; err != nil {
		return nil, err
	}

	pr := probe{
		svcPID:     svc.pid,
		postmaster: findPostmaster(pgDataDir(clusterDir), c.Port()),
		metrics:    scrapePool(client.New(svc.baseURL, client.Options{HTTP: &http.Client{Timeout: 5 * time.Second}})),
	}
	if pr.pg, err = newPGWatch(c.URL("postgres"), "otpcard"); err != nil {
		return nil, err
	}
	defer pr.pg.close()
	pr.pg.hasStatements = statementsOK
	if pr.postmaster == 0 {
		res.Notes = append(res.Notes, "PostgreSQL's postmaster was not found: no PostgreSQL CPU figures.")
	}
	if p := pr.metrics(ctx); p.Known {
		res.Service.PoolMaxOpen = p.MaxOpen
	}
	workers := make([]*worker, maxC)
	createBody := client.CredentialCreate{PolicyExtID: sd.policy, StateName: "active"}
	for i := range workers {
		workers[i] = &worker{a: a, client: sd.client, createBody: createBody, users: sd.workers[i],
			rng: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))}
	}

	// The replace target's yardstick, measured before the runs while the machine is idle (best of
	// 10, so that a busy moment does not count).
	var hash time.Duration
	if slices.Contains(o.scenarios, scReplace) && slices.Contains(o.concurrency, 1) {
		if hash, err = hashCost(ctx, 10); err != nil {
			return nil, fmt.Errorf("measure the hashing cost: %w", err)
		}
		res.HashCardMs = float64(hash.Microseconds()) / 1000
		logf("hashing a default card on one core: %.2f ms", res.HashCardMs)
	}

	// pgbench and the scenarios alternate per concurrency level, so that each ratio compares
	// figures taken minutes apart at most on a machine whose load may drift.
	for _, conc := range o.concurrency {
		if pg != nil {
			for _, script := range []string{baseSelect, baseUpdate} {
				b, err := pg.measure(ctx, script, conc, o.duration)
				if err != nil {
					return nil, err
				}
				res.Baselines = append(res.Baselines, b)
				logf("pgbench %-11s c=%-3d %9.1f tps  avg %.2f ms", script, conc, b.TPS, b.LatencyAvgMs)
			}
		}
		for i, w := range workers[:conc] {
			w.users, w.next = sharedUsers(sd.workers, i, conc), 0
		}
		for _, sc := range o.scenarios {
			if sc == scRollout {
				continue // after the closed loops, below
			}
			r, err := runScenario(ctx, sc, workers[:conc], o.warmup, o.duration, pr)
			if err != nil {
				return nil, err
			}
			res.Runs = append(res.Runs, r)
			res.Service.PeakRSSMiB = max(res.Service.PeakRSSMiB, r.PeakRSSMiB)
			logf("%-7s c=%-3d %9.1f ops/s  p50 %.2f p99 %.2f ms  errors %d  svc %.2f ms/op (%.2f cores)  pg %.2f ms/op  rss %.0f MiB",
				sc, conc, r.OpsPerSecond, r.LatencyMs.P50, r.LatencyMs.P99, r.Errors, r.ServiceCPUMsPerOp,
				r.ServiceCores, r.PostgresCPUMsPerOp, r.PeakRSSMiB)
			for _, s := range r.ErrorSamples {
				logf("  error: %s", s)
			}
			if !svc.running() {
				return nil, fmt.Errorf("otpcard exited during %s at c=%d (%v); its output:\n%s", sc, conc, svc.waitErr, svc.logs)
			}
		}
	}

	if slices.Contains(o.scenarios, scRollout) {
		login := workers[:min(2, len(workers))]
		for i, w := range login {
			w.users, w.next = sharedUsers(sd.workers, i, len(login)), 0
		}
		if res.Rollout, err = runRollout(ctx, a, sd.client, o.rolloutCards, svc.pid, pr.postmaster, login, logf); err != nil {
			return nil, fmt.Errorf("rollout: %w", err)
		}
	}

	res.Machine.LoadAvgEnd = loadAverage()
	res.Finished = time.Now().UTC().Truncate(time.Second)
	attachRatios(res)
	res.Targets = checkTargets(res, hash)
	if l := res.Machine.LoadAvgStart; len(l) > 0 && l[0] > float64(res.Machine.Cores) {
		res.Notes = append(res.Notes, fmt.Sprintf("The machine was busy when the run started (load average %.2f on %d cores): "+
			"absolute figures are pessimistic; the ratios to pgbench, measured alternately with the scenarios, are less sensitive to it.",
			l[0], res.Machine.Cores))
	}
	if pg == nil {
		res.Notes = append(res.Notes, "pgbench was skipped (-pgbench=false): no ratios.")
	}
	writeMarkdown(stdout, res)
	if o.out != "" {
		if err := writeJSON(o.out, res); err != nil {
			return res, err
		}
		logf("wrote %s", o.out)
	}
	return res, nil
}
