package main

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Baseline scripts.
const (
	baseSelect = "select-only" // pgbench's built-in -S
	baseUpdate = "update"      // updateScript
)

// updateScript is a one-row UPDATE transaction: the write the service does per login, at its
// simplest.
const updateScript = `\set aid random(1, 100000 * :scale)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;
END;
`

// pgbench runs pgbench against one database of the cluster, as the postgres OS user when this
// process is root (like the cluster's own programs).
type pgbench struct {
	bin      string
	host     string
	port     string
	user     string
	password string
	database string
	dir      string // working directory the server user can reach; holds the update script
	cred     *syscall.Credential
}

// newPgbench prepares pgbench for the database at dbURL; dir must be reachable by the postgres
// user when root.
func newPgbench(binDir, dbURL, dir string) (*pgbench, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("pgbench: database URL: %w", err)
	}
	pw, _ := u.User.Password()
	p := &pgbench{
		bin: filepath.Join(binDir, "pgbench"), host: u.Hostname(), port: u.Port(), user: u.User.Username(),
		password: pw, database: strings.TrimPrefix(u.Path, "/"), dir: dir,
	}
	if _, err := os.Stat(p.bin); err != nil {
		return nil, fmt.Errorf("pgbench: %w (it comes with the PostgreSQL server package)", err)
	}
	if os.Geteuid() == 0 {
		pu, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgbench: running as root, it runs as the postgres user: %w", err)
		}
		uid, _ := strconv.ParseUint(pu.Uid, 10, 32)
		gid, _ := strconv.ParseUint(pu.Gid, 10, 32)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	if err := os.WriteFile(p.scriptPath(), []byte(updateScript), 0o644); err != nil {
		return nil, fmt.Errorf("pgbench: write script: %w", err)
	}
	return p, nil
}

func (p *pgbench) scriptPath() string { return filepath.Join(p.dir, "update.sql") }

// run executes pgbench with args plus the connection options and returns its output.
func (p *pgbench) run(ctx context.Context, args ...string) (string, error) {
	args = append(args, "-h", p.host, "-p", p.port, "-U", p.user, p.database)
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: p.cred}
	cmd.WaitDelay = 5 * time.Second
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PGPASSWORD="+p.password, "PGSSLMODE=disable", "PGCONNECT_TIMEOUT=10")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("pgbench %s: %w\n%s", strings.Join(args, " "), err, lastLinesOf(string(out), 15))
	}
	return string(out), nil
}

// init creates the pgbench tables at scale.
func (p *pgbench) init(ctx context.Context, scale int) error {
	_, err := p.run(ctx, "-i", "-q", "-s", strconv.Itoa(scale))
	return err
}

// baseline is one pgbench measurement.
type baseline struct {
	Script       string  `json:"script"`
	Clients      int     `json:"clients"`
	Threads      int     `json:"threads"`
	Seconds      int     `json:"seconds"`
	TPS          float64 `json:"tps"`
	LatencyAvgMs float64 `json:"latencyAvgMs"`
	Transactions int64   `json:"transactions"`
	Failed       int64   `json:"failed"`
	Command      string  `json:"command"`
}

var (
	tpsRe    = regexp.MustCompile(`(?m)^tps = ([0-9.]+) \(without initial connection time\)`)
	latRe    = regexp.MustCompile(`(?m)^latency average = ([0-9.]+) ms`)
	txRe     = regexp.MustCompile(`(?m)^number of transactions actually processed: ([0-9]+)`)
	failedRe = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
	tpsAnyRe = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
)

// measure runs one script at clients for d (whole seconds, at least 1).
func (p *pgbench) measure(ctx context.Context, script string, clients int, d time.Duration) (baseline, error) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	threads := min(clients, 2)
	args := []string{"-c", strconv.Itoa(clients), "-j", strconv.Itoa(threads), "-T", strconv.Itoa(secs)}
	switch script {
	case baseSelect:
		args = append(args, "-S")
	case baseUpdate:
		args = append(args, "-f", p.scriptPath())
	default:
		return baseline{}, fmt.Errorf("pgbench: unknown script %q", script)
	}
	out, err := p.run(ctx, args...)
	if err != nil {
		return baseline{}, err
	}
	b := baseline{Script: script, Clients: clients, Threads: threads, Seconds: secs,
		Command: strings.Replace("pgbench "+strings.Join(args, " "), p.scriptPath(), filepath.Base(p.scriptPath()), 1)}
	m := tpsRe.FindStringSubmatch(out)
	if m == nil {
		m = tpsAnyRe.FindStringSubmatch(out)
	}
	if m == nil {
		return baseline{}, fmt.Errorf("pgbench %s: no tps in its output:\n%s", b.Command, lastLinesOf(out, 15))
	}
	b.TPS, _ = strconv.ParseFloat(m[1], 64)
	b.TPS = round1(b.TPS)
	if m := latRe.FindStringSubmatch(out); m != nil {
		b.LatencyAvgMs, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := txRe.FindStringSubmatch(out); m != nil {
		b.Transactions, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := failedRe.FindStringSubmatch(out); m != nil {
		b.Failed, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return b, nil
}

// lastLinesOf returns the last n lines of text.
func lastLinesOf(text string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
