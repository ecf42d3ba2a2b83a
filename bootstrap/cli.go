package bootstrap

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/telemetry"
)

// Exit codes of Main.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2 // the command line itself is wrong
)

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, explicit := "serve", false
	switch {
	case len(args) > 0 && (args[0] == "--version" || args[0] == "-version"):
		cmd, args, explicit = "version", args[1:], true
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		cmd, args, explicit = args[0], args[1:], true
	}
	if cmd == "help" {
		return help(args, stdout, stderr)
	}
	if _, known := commandUsage(cmd); !known {
		fmt.Fprintf(stderr, "otpcard: unknown command %q\n%s", cmd, usage)
		return exitUsage
	}
	// A request for help wins wherever it stands: `otpcard migrate --help` must never migrate,
	// and `otpcard token --role --help` must not mint a token for the role "--help".
	if asksForHelp(args) {
		if !explicit { // `otpcard --help` is about otpcard, not about its default command
			fmt.Fprint(stdout, usage)
		} else {
			printCommandUsage(stdout, cmd)
		}
		return exitOK
	}
	if cmd != "token" && cmd != "events" && cmd != "lifecycle" && cmd != "rollout" && cmd != "console" && !noArguments(cmd, args, stderr) { // they take arguments of their own
		return exitUsage
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, stdout, stderr)
	case "migrate":
		err = migrate(ctx, stdout, stderr)
	case "token":
		err = token(args, stdout, stderr)
	case "healthcheck":
		err = healthcheck(ctx)
	case "version":
		printVersion(stdout)
	case "events":
		err = eventsCommand(ctx, args, stdout, stderr)
	case "lifecycle":
		err = lifecycleCommand(ctx, args, stdout, stderr)
	case "rollout":
		err = rolloutCommand(ctx, args, stdout, stderr)
	case "console":
		err = consoleCommand(ctx, args, stdout, stderr)
	}
	var misuse *usageError
	switch {
	case errors.As(err, &misuse):
		return exitUsage // the flag package has printed the line and the usage
	case err != nil:
		fmt.Fprintf(stderr, "otpcard: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// loadConfig reads the environment and fills in generated secrets.
func loadConfig() (Config, error) {
	cfg, err := LoadConfig(os.LookupEnv)
	if err != nil {
		return cfg, fmt.Errorf("invalid configuration:\n%w", err)
	}
	if err := cfg.EnsureSecrets(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func serve(ctx context.Context, stdout, stderr io.Writer) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	limitMemory()
	r, err := Start(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	// .ci/run and the tests read the URL after "otpcard listening on ", up to the first space.
	fmt.Fprintf(stdout, "otpcard listening on %s\n", listeningOn(r.Addr()))
	if port := r.EmbeddedDatabasePort(); port != 0 {
		fmt.Fprintf(stdout, "database: embedded PostgreSQL on 127.0.0.1:%d, data in %s\n", port, cfg.DataDir)
	}
	if len(cfg.JWTHS256Secret) > 0 { // with only an identity provider's keys there is nothing to mint with
		fmt.Fprintf(stdout, "mint an admin token: go run . token --role Root   (or: otpcard token --role Root)\n")
		fmt.Fprintf(stdout, "then: curl -H \"Authorization: Bearer $TOKEN\" %s/nevisidm/api/core/v1/clients\n", r.BaseURL())
	}
	r.Wait(ctx)
	fmt.Fprintln(stdout, "otpcard: shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.Stop(stopCtx)
}

// listeningOn describes the address the API really listens on: a URL that curl can use, and for
// a wildcard listener the fact that every interface takes connections, which a loopback URL
// alone would hide. 0.0.0.0 stands for the wildcard because curl and browsers reach it on the
// local machine, where [::] needs brackets (and curl -g).
func listeningOn(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	port := strconv.Itoa(tcp.Port)
	switch {
	case tcp.IP.IsUnspecified() && tcp.IP.To4() == nil: // Go listens dual-stack on [::]
		return "http://0.0.0.0:" + port + " (every interface, IPv4 and IPv6)"
	case tcp.IP.IsUnspecified():
		return "http://0.0.0.0:" + port + " (every IPv4 interface)"
	}
	return "http://" + net.JoinHostPort(tcp.IP.String(), port)
}

func migrate(ctx context.Context, stdout, stderr io.Writer) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stderr)
	tel, err := telemetry.New(ctx, telemetry.Config{ServiceName: "otpcard", ServiceVersion: version, Logger: logger})
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.WithoutCancel(ctx))
	if cfg.Embedded() {
		d, err := openDatabase(ctx, cfg, tel, logger)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "migrations are up to date")
		return d.Close(context.WithoutCancel(ctx))
	}
	if err := waitForDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseStartTimeout, logger); err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{})
	if err != nil {
		return &VariableError{Variable: "OTPCARD_DATABASE_URL", Err: err}
	}
	defer db.Close()
	applied, err := postgres.Migrate(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied %d migration(s) %v; migrations are up to date\n", len(applied), applied)
	return nil
}

// stringList is a repeatable flag that also splits on commas.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// tokenOptions are the flags of `otpcard token`.
type tokenOptions struct {
	roles, perms, clients stringList
	sub, self             string
	ttl                   time.Duration
}

// tokenFlagSet declares the flags of `otpcard token` into the returned options; out receives
// parse errors and the usage.
func tokenFlagSet(out io.Writer) (*flag.FlagSet, *tokenOptions) {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(out)
	o := &tokenOptions{}
	fs.StringVar(&o.sub, "sub", "admin", "principal name (sub claim)")
	fs.StringVar(&o.self, "self", "", "mint a self-admin token (for X-Token) for this user extId")
	fs.DurationVar(&o.ttl, "ttl", time.Hour, "lifetime of the token")
	fs.Var(&o.roles, "role", "role: Root, ClientRoot, UserAdmin, Helpdesk, Auditor, RolloutOperator (repeatable)")
	fs.Var(&o.perms, "permission", "right such as CredentialView or AccessControl.CredentialView (repeatable)")
	fs.Var(&o.clients, "client", "restrict the token's data room to this clientExtId (repeatable)")
	fs.Usage = func() {
		fmt.Fprint(out, tokenUsage)
		fs.PrintDefaults()
	}
	return fs, o
}

func token(args []string, stdout, stderr io.Writer) error {
	fs, o := tokenFlagSet(stderr)
	if err := fs.Parse(args); err != nil {
		return &usageError{err}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otpcard token: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return &usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if len(cfg.JWTHS256Secret) == 0 {
		return errors.New("token: no HS256 secret is configured (OTPCARD_JWT_HS256_SECRET); tokens of an external identity provider cannot be minted here")
	}
	opts := jwtauth.MintOptions{Subject: o.sub, TTL: o.ttl, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
	if o.self != "" {
		opts.Subject = o.self
	} else {
		if len(o.roles) == 0 && len(o.perms) == 0 {
			return errors.New("token: give at least one --role or --permission (or --self USER for a self-admin token)")
		}
		for _, p := range o.perms {
			if !strings.HasPrefix(p, "AccessControl.") {
				p = "AccessControl." + p
			}
			opts.Permissions = append(opts.Permissions, p)
		}
		opts.Roles = o.roles
		if len(o.clients) > 0 {
			opts.Clients, opts.HasClients = o.clients, true
		}
	}
	tok, err := jwtauth.MintHS256(cfg.JWTHS256Secret, opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// healthcheck asks the local service's /readyz; for images without a shell.
func healthcheck(ctx context.Context) error {
	cfg, err := LoadConfig(os.LookupEnv)
	if err != nil {
		return err
	}
	_, port, _ := net.SplitHostPort(cfg.HTTPAddr)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /readyz answered %d", resp.StatusCode)
	}
	return nil
}

// defaultMemoryLimit is the soft heap limit when GOMEMLIMIT is not set. Hashing a card allocates
// 64 KiB per cell (Argon2id), about 11 MB per card, all short-lived: without a limit the heap
// grows far beyond what is live before the collector runs.
const defaultMemoryLimit = 96 << 20

// defaultGCPercent is the collector's target when GOGC is not set: off, so that the collector
// runs when the heap reaches the memory limit above rather than whenever it has grown by a
// multiple of what is live. otpcard's live heap is a few MB (pools, caches, the requests in
// flight) while issuing a card allocates about 11 MB that dies at once; with a percentage, even
// 400, a collection ran every few cards and about a quarter of the service's CPU went to the
// collector. The memory limit still bounds the heap, and Go's collector limiter keeps it from
// taking more than half the CPU should the live heap ever approach the limit.
const defaultGCPercent = -1

// limitMemory sets the soft memory limit and the collector's target unless the operator chose
// them with GOMEMLIMIT and GOGC.
func limitMemory() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}
