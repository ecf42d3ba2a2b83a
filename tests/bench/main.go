// Command bench is otpcard's load benchmark: one command that measures how fast the release-built
// service is on this machine and how close it gets to what its PostgreSQL allows.
//
//	go run ./tests/bench                 # full run: concurrency 1, 16, 64; 10 s per scenario
//	go run ./tests/bench -smoke          # a few seconds, as CI runs it (TestSmoke)
//	go run ./tests/bench -c 16 -d 30s -scenarios login,get
//
// It starts a throwaway PostgreSQL cluster (adapters/postgres/cluster), builds otpcard with
// `go build -trimpath` and runs it as a child process, seeds one client, a cellReuse policy and
// users with one card each through the HTTP API, then drives the HTTP API with a closed loop of
// workers per scenario and concurrency level. At each concurrency level it also runs pgbench on
// the same cluster (select-only and a one-row UPDATE transaction) and prints every scenario's
// throughput as a ratio to the matching baseline. Results go to stdout as markdown and to a JSON
// file. Everything it started is stopped and removed on exit, on errors and on Ctrl-C.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Scenario names, in the order they run and print.
const (
	scReplace = "replace"
	scCreate  = "create"
	scGet     = "get"
	scList    = "list"
	scLogin   = "login"
	scMixed   = "mixed"
)

var allScenarios = []string{scReplace, scCreate, scGet, scList, scLogin, scMixed}

// knownScenarios are allScenarios and those that run only when asked for: rollout, a job of
// 10,000 cards, takes minutes.
func knownScenarios() []string { return append(slices.Clone(allScenarios), scRollout) }

// options are the command's settings after flag parsing.
type options struct {
	concurrency    []int
	duration       time.Duration
	warmup         time.Duration
	scenarios      []string
	out            string
	smoke          bool
	usersPerWorker int
	minUsers       int // seed at least this many users in all
	cardsPerUser   int // cards each seeded user holds; the newest is the one driven
	pgbenchScale   int
	pgbench        bool
	statements     bool     // load pg_stat_statements
	binary         string   // prebuilt otpcard; empty: build the module's main package
	serviceEnv     []string // extra NAME=VALUE settings for the service (-env)
	trimpath       bool
	quiet          bool // no progress lines on stderr
	rolloutCards   int  // cards of the rollout scenario's job
}

// defaultOptions are the full run's settings.
func defaultOptions() options {
	return options{
		concurrency:    []int{1, 16, 64},
		duration:       10 * time.Second,
		warmup:         time.Second,
		scenarios:      slices.Clone(allScenarios),
		out:            "bench-results.json",
		usersPerWorker: 2,
		minUsers:       1000,
		cardsPerUser:   1,
		pgbenchScale:   10,
		pgbench:        true,
		statements:     true,
		trimpath:       true,
		rolloutCards:   10000,
	}
}

// applySmoke turns opts into the smoke run for every setting the user did not set explicitly.
func applySmoke(o *options, explicit map[string]bool) {
	o.smoke = true
	if !explicit["c"] {
		o.concurrency = []int{4}
	}
	if !explicit["d"] {
		o.duration = time.Second
	}
	if !explicit["warmup"] {
		o.warmup = 0
	}
	if !explicit["users"] {
		o.usersPerWorker = 1
	}
	if !explicit["min-users"] {
		o.minUsers = 0
	}
	if !explicit["pgbench-scale"] {
		o.pgbenchScale = 1
	}
}

// smokeOptions are the settings of `-smoke` with no other flag.
func smokeOptions() options {
	o := defaultOptions()
	applySmoke(&o, nil)
	return o
}

// listFlag is a flag.Value of comma-separated values, each read by parse and kept once; order, when
// set, sorts them, else they stay in the order given.
type listFlag[E comparable] struct {
	v     *[]E
	parse func(part string) (E, error)
	order func(a, b E) int
}

func (l listFlag[E]) String() string {
	if l.v == nil {
		return ""
	}
	parts := make([]string, len(*l.v))
	for i, e := range *l.v {
		parts[i] = fmt.Sprint(e)
	}
	return strings.Join(parts, ",")
}

func (l listFlag[E]) Set(s string) error {
	var out []E
	for _, part := range strings.Split(s, ",") {
		e, err := l.parse(part)
		if err != nil {
			return err
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if l.order != nil {
		slices.SortFunc(out, l.order)
	}
	*l.v = out
	return nil
}

// concurrencyLevels is the flag.Value of comma-separated concurrency levels.
func concurrencyLevels(v *[]int) listFlag[int] {
	return listFlag[int]{v: v, parse: func(part string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 1024 {
			return 0, fmt.Errorf("%q is not a concurrency level (1-1024)", part)
		}
		return n, nil
	}}
}

// scenarioNames is the flag.Value of comma-separated scenario names, run in the canonical order
// whatever order was given.
func scenarioNames(v *[]string) listFlag[string] {
	return listFlag[string]{v: v, parse: func(part string) (string, error) {
		part = strings.TrimSpace(part)
		if !slices.Contains(knownScenarios(), part) {
			return "", fmt.Errorf("unknown scenario %q (have %s)", part, strings.Join(knownScenarios(), ","))
		}
		return part, nil
	}, order: func(a, b string) int {
		return slices.Index(knownScenarios(), a) - slices.Index(knownScenarios(), b)
	}}
}

// envList is a repeatable flag.Value of NAME=VALUE settings.
type envList struct{ p *[]string }

func (e envList) String() string {
	if e.p == nil {
		return ""
	}
	return strings.Join(*e.p, " ")
}

func (e envList) Set(s string) error {
	name, _, ok := strings.Cut(s, "=")
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("%q is not NAME=VALUE", s)
	}
	*e.p = append(*e.p, s)
	return nil
}

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := defaultOptions()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(concurrencyLevels(&o.concurrency), "c", "comma-separated concurrency levels (workers, each one request at a time)")
	fs.DurationVar(&o.duration, "d", o.duration, "measured duration of each scenario at each concurrency level")
	fs.DurationVar(&o.warmup, "warmup", o.warmup, "unmeasured warm-up before each measured run")
	fs.Var(scenarioNames(&o.scenarios), "scenarios", "comma-separated scenarios to run: "+strings.Join(knownScenarios(), ",")+
		" (the default: all but rollout)")
	fs.IntVar(&o.rolloutCards, "rollout-cards", o.rolloutCards, "cards of the rollout scenario's issue job")
	fs.StringVar(&o.out, "o", o.out, "JSON results file")
	fs.BoolVar(&o.smoke, "smoke", false, "short run for CI: concurrency 4, 1 s per scenario, 1 user per worker, pgbench scale 1")
	fs.IntVar(&o.usersPerWorker, "users", o.usersPerWorker, "seeded users (one card each) per worker at the highest concurrency")
	fs.IntVar(&o.minUsers, "min-users", o.minUsers, "seed at least this many users in all (a working set larger than any cache a connection keeps); the active workers of each run share them all")
	fs.IntVar(&o.cardsPerUser, "cards", o.cardsPerUser, "cards each seeded user holds (1 or 2, the most a user may hold); challenge and login drive the newest, so 2 measures a user with two cards")
	fs.IntVar(&o.pgbenchScale, "pgbench-scale", o.pgbenchScale, "pgbench -i scale factor")
	fs.BoolVar(&o.pgbench, "pgbench", o.pgbench, "measure the pgbench baselines")
	fs.BoolVar(&o.statements, "pgss", o.statements, "load pg_stat_statements to count the service's statements per operation")
	fs.StringVar(&o.binary, "binary", "", "use this otpcard binary instead of building the module (e.g. to compare two builds)")
	fs.Var(envList{&o.serviceEnv}, "env", "NAME=VALUE for the service's environment, e.g. -env OTPCARD_DATABASE_MAX_CONNS=8 -env GOGC=200 (repeatable; after the bench's own settings, so it wins)")
	fs.BoolVar(&o.trimpath, "trimpath", o.trimpath, "build the release binary with -trimpath")
	fs.BoolVar(&o.quiet, "q", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./tests/bench [flags]\n\nLoad benchmark of otpcard against a throwaway PostgreSQL, with pgbench baselines.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.smoke {
		explicit := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
		applySmoke(&o, explicit)
	}
	switch {
	case len(o.concurrency) == 0:
		return o, errors.New("-c: no concurrency level")
	case len(o.scenarios) == 0:
		return o, errors.New("-scenarios: no scenario")
	case o.duration < 100*time.Millisecond:
		return o, errors.New("-d: at least 100ms")
	case o.warmup < 0:
		return o, errors.New("-warmup: negative")
	case o.usersPerWorker < 1 || o.usersPerWorker > 100:
		return o, errors.New("-users: 1-100")
	case o.minUsers < 0 || o.minUsers > 100000:
		return o, errors.New("-min-users: 0-100000")
	case o.cardsPerUser < 1 || o.cardsPerUser > 2:
		return o, errors.New("-cards: 1 or 2")
	case o.pgbenchScale < 1:
		return o, errors.New("-pgbench-scale: at least 1")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	// The first Ctrl-C cancels the run, whose deferred cleanup stops the service and the cluster
	// and removes the temporary files; a second one kills the process (stop restores default).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	var progress io.Writer = os.Stderr
	if o.quiet {
		progress = io.Discard
	}
	_, err = run(ctx, o, os.Stdout, progress)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
