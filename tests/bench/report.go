package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/otpcard/otpcard/tests/client"
)

// Results is the JSON file's content.
type Results struct {
	Started   time.Time   `json:"started"`
	Finished  time.Time   `json:"finished"`
	Command   string      `json:"command"`
	Settings  settings    `json:"settings"`
	Machine   machine     `json:"machine"`
	Service   serviceInfo `json:"service"`
	Baselines []baseline  `json:"baselines"`
	Runs      []runResult `json:"runs"`
	// HashCardMs is one core's time to compute a default card's verifiers (the replace target).
	HashCardMs float64  `json:"hashCardMs,omitempty"`
	Targets    []target `json:"targets,omitempty"`
	// Rollout is the rollout scenario's job, when it ran.
	Rollout *rolloutResult `json:"rollout,omitempty"`
	Notes   []string       `json:"notes"`
}

type settings struct {
	Concurrency     []int    `json:"concurrency"`
	DurationSeconds float64  `json:"durationSeconds"`
	WarmupSeconds   float64  `json:"warmupSeconds"`
	Scenarios       []string `json:"scenarios"`
	Smoke           bool     `json:"smoke"`
	UsersPerWorker  int      `json:"usersPerWorker"`
	SeededUsers     int      `json:"seededUsers"`
	CardsPerUser    int      `json:"cardsPerUser"`
	PgbenchScale    int      `json:"pgbenchScale"`
	Binary          string   `json:"binary"`
}

type machine struct {
	CPUModel        string            `json:"cpuModel"`
	Cores           int               `json:"cores"`
	MemoryMiB       int64             `json:"memoryMiB"`
	Kernel          string            `json:"kernel"`
	GoVersion       string            `json:"goVersion"`
	PostgresVersion string            `json:"postgresVersion"`
	PostgresConfig  map[string]string `json:"postgresConfig,omitempty"`
	LoadAvgStart    []float64         `json:"loadAvgStart"`
	LoadAvgEnd      []float64         `json:"loadAvgEnd"`
}

type serviceInfo struct {
	// PeakRSSMiB is the largest peak RSS of the service over the whole run (seeding included).
	PeakRSSMiB   float64 `json:"peakRssMiB"`
	SeedSeconds  float64 `json:"seedSeconds"`
	SeedCPUMsOp  float64 `json:"seedServiceCpuMsPerUser"`
	StartSeconds float64 `json:"startSeconds"`
	PoolMaxOpen  float64 `json:"poolMaxOpen,omitempty"`
}

// runResult is one scenario at one concurrency level.
type runResult struct {
	Scenario          string         `json:"scenario"`
	Concurrency       int            `json:"concurrency"`
	DurationSeconds   float64        `json:"durationSeconds"`
	Ops               int            `json:"ops"`
	Requests          int            `json:"requests"`
	OpsPerSecond      float64        `json:"opsPerSecond"`
	RequestsPerSecond float64        `json:"requestsPerSecond"`
	LatencyMs         latencyMs      `json:"latencyMs"`
	Errors            int            `json:"errors"`
	ErrorSamples      []string       `json:"errorSamples,omitempty"`
	Kinds             map[string]int `json:"kinds,omitempty"`
	// CPU per operation (milliseconds) and average cores busy during the measured window.
	ServiceCPUMsPerOp  float64     `json:"serviceCpuMsPerOp"`
	ServiceCores       float64     `json:"serviceCores"`
	PostgresCPUMsPerOp float64     `json:"postgresCpuMsPerOp"`
	PostgresCores      float64     `json:"postgresCores"`
	LoadGenCPUMsPerOp  float64     `json:"loadGeneratorCpuMsPerOp"`
	MachineBusy        float64     `json:"machineBusy"`
	PeakRSSMiB         float64     `json:"peakRssMiB"`
	PeakRSSSinceStart  bool        `json:"peakRssSinceStart,omitempty"`
	Pool               *poolStats  `json:"pool,omitempty"`
	Postgres           *pgActivity `json:"postgres,omitempty"`
	Baseline           string      `json:"baseline,omitempty"`
	BaselineTPS        float64     `json:"baselineTps,omitempty"`
	Ratio              float64     `json:"ratio,omitempty"`
}

// poolStats are the service's database/sql pool counters (from /metrics), as a difference over
// the measured window.
type poolStats struct {
	Known      bool    `json:"known"`
	WaitCount  float64 `json:"waitCount"`
	WaitMs     float64 `json:"waitMs"`
	MaxOpen    float64 `json:"maxOpen,omitempty"`
	OpenAtEnd  float64 `json:"openAtEnd,omitempty"`
	InUseAtEnd float64 `json:"inUseAtEnd,omitempty"`
	waitNanos  float64
}

func (a poolStats) minus(b poolStats) poolStats {
	if !a.Known || !b.Known {
		return poolStats{}
	}
	a.WaitCount -= b.WaitCount
	a.waitNanos -= b.waitNanos
	a.WaitMs = round3(a.waitNanos / 1e6)
	return a
}

// scrapePool reads the go_sql_connections_* series from the service's /metrics.
func scrapePool(api *client.API) func(context.Context) poolStats {
	return func(ctx context.Context) poolStats {
		rec := client.NewRecorder(ctx)
		r := api.Metrics(rec)
		if rec.Err() != nil || r.Status != http.StatusOK {
			return poolStats{}
		}
		var p poolStats
		sc := bufio.NewScanner(bytes.NewReader(r.Body))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "go_sql_connections_") {
				continue
			}
			name, rest, _ := strings.Cut(line, " ")
			if i := strings.IndexByte(line, '}'); i > 0 {
				name, rest = line[:i+1], strings.TrimSpace(line[i+1:])
			}
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				continue
			}
			v, err := strconv.ParseFloat(fields[0], 64)
			if err != nil {
				continue
			}
			base, _, _ := strings.Cut(name, "{")
			switch {
			case strings.HasPrefix(base, "go_sql_connections_wait_count"):
				p.WaitCount += v
				p.Known = true
			case strings.HasPrefix(base, "go_sql_connections_wait_duration"):
				p.waitNanos += v // otelsql reports nanoseconds
			case strings.HasPrefix(base, "go_sql_connections_max_open"):
				p.MaxOpen += v
			case strings.HasPrefix(base, "go_sql_connections_open"):
				p.OpenAtEnd += v
			case strings.HasPrefix(base, "go_sql_connections_in_use"):
				p.InUseAtEnd += v
			}
		}
		return p
	}
}

// describeMachine reads the CPU model, cores, memory and kernel.
func describeMachine() machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), LoadAvgStart: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				m.MemoryMiB = kb >> 10
			}
		}
	}
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		m.Kernel = utsString(u.Sysname[:]) + " " + utsString(u.Release[:])
	}
	return m
}

func utsString[T int8 | uint8](b []T) string {
	var sb strings.Builder
	for _, c := range b {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

// describePostgres reads the server version and the settings that shape the baselines.
func describePostgres(ctx context.Context, dbURL string) (string, map[string]string, error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return "", nil, err
	}
	defer db.Close()
	var version string
	if err := db.QueryRowContext(ctx, "SELECT current_setting('server_version')").Scan(&version); err != nil {
		return "", nil, err
	}
	conf := map[string]string{}
	for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "max_connections"} {
		var v string
		if err := db.QueryRowContext(ctx, "SELECT current_setting($1)", name).Scan(&v); err == nil {
			conf[name] = v
		}
	}
	return version, conf, nil
}

// baselineFor names the pgbench script a scenario is compared with: reads with select-only,
// writes (replace, create, login, mixed) with the one-row update.
func baselineFor(scenario string) string {
	switch scenario {
	case scGet, scList:
		return baseSelect
	}
	return baseUpdate
}

// attachRatios sets each run's baseline and ratio from the matching pgbench measurement.
func attachRatios(r *Results) {
	for i := range r.Runs {
		run := &r.Runs[i]
		run.Baseline = baselineFor(run.Scenario)
		for _, b := range r.Baselines {
			if b.Script == run.Baseline && b.Clients == run.Concurrency && b.TPS > 0 {
				run.BaselineTPS = b.TPS
				run.Ratio = round3(run.OpsPerSecond / b.TPS)
			}
		}
	}
}

// writeJSON writes the results to path.
func writeJSON(path string, r *Results) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func fmtLoad(l []float64) string {
	parts := make([]string, len(l))
	for i, v := range l {
		parts[i] = strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strings.Join(parts, " ")
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// writeMarkdown prints the machine, the results table and the baselines.
func writeMarkdown(w io.Writer, r *Results) {
	m := r.Machine
	fmt.Fprintf(w, "## otpcard load benchmark\n\n")
	fmt.Fprintf(w, "- Machine: %s, %d cores, %d MiB, %s; %s; PostgreSQL %s\n",
		m.CPUModel, m.Cores, m.MemoryMiB, m.Kernel, m.GoVersion, m.PostgresVersion)
	if len(m.PostgresConfig) > 0 {
		c := m.PostgresConfig
		fmt.Fprintf(w, "- PostgreSQL settings (throwaway cluster): fsync=%s, synchronous_commit=%s, full_page_writes=%s, shared_buffers=%s\n",
			c["fsync"], c["synchronous_commit"], c["full_page_writes"], c["shared_buffers"])
	}
	fmt.Fprintf(w, "- Load average: %s at start, %s at end\n", fmtLoad(m.LoadAvgStart), fmtLoad(m.LoadAvgEnd))
	s := r.Settings
	fmt.Fprintf(w, "- Settings: %s s per run after %s s warm-up; %d seeded users with %d card(s) each, the newest driven (policy cellReuse=true); pgbench scale %d\n",
		f1(s.DurationSeconds), f1(s.WarmupSeconds), s.SeededUsers, max(s.CardsPerUser, 1), s.PgbenchScale)
	fmt.Fprintf(w, "- Command: `%s`\n\n", r.Command)

	fmt.Fprintln(w, "| scenario | c | ops/s | p50 ms | p95 ms | p99 ms | errors | svc CPU ms/op | svc cores | PG CPU ms/op | peak RSS MiB | host busy | vs pgbench |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, run := range r.Runs {
		ratio := "n/a"
		if run.Ratio > 0 {
			ratio = fmt.Sprintf("%.3g × %s", run.Ratio, run.Baseline)
		}
		pg := "n/a"
		if run.PostgresCores > 0 || run.PostgresCPUMsPerOp > 0 {
			pg = f2(run.PostgresCPUMsPerOp)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %d | %s | %s | %s | %s | %.0f%% | %s |\n",
			run.Scenario, run.Concurrency, f1(run.OpsPerSecond), f2(run.LatencyMs.P50), f2(run.LatencyMs.P95),
			f2(run.LatencyMs.P99), run.Errors, f2(run.ServiceCPUMsPerOp), f2(run.ServiceCores), pg,
			f1(run.PeakRSSMiB), run.MachineBusy*100, ratio)
	}
	if len(r.Runs) > 0 && r.Runs[0].Postgres != nil {
		fmt.Fprintln(w, "\nPostgreSQL's view of the service's connections (averages over the measured window) and the load generator's CPU:")
		fmt.Fprintln(w, "\n| scenario | c | statements/op | connections | active | idle in transaction | waiting for a lock | load gen CPU ms/op |")
		fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
		for _, run := range r.Runs {
			p := run.Postgres
			if p == nil {
				continue
			}
			stmts := "n/a"
			if p.StatementsPerOp > 0 {
				stmts = f1(p.StatementsPerOp)
			}
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", run.Scenario, run.Concurrency, stmts,
				f1(p.Connections), f2(p.Active), f2(p.IdleInTx), f2(p.LockWaits), f2(run.LoadGenCPUMsPerOp))
		}
	}
	if len(r.Baselines) > 0 {
		fmt.Fprintln(w, "\n| pgbench | c | tps | avg latency ms |")
		fmt.Fprintln(w, "|---|--:|--:|--:|")
		for _, b := range r.Baselines {
			fmt.Fprintf(w, "| %s | %d | %s | %s |\n", b.Script, b.Clients, f1(b.TPS), f2(b.LatencyAvgMs))
		}
	}
	writeTargets(w, r.Targets)
	writeRolloutMarkdown(w, r.Rollout)
	fmt.Fprintf(w, "\nService peak RSS over the whole run: %s MiB. ", f1(r.Service.PeakRSSMiB))
	fmt.Fprintf(w, "One op: login = challenge + login; create = create (timed) + delete (untimed); mixed = 90%% login, 9%% get, 1%% replace.\n")
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\n> %s\n", n)
	}
}
