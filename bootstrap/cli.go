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
	"strings"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/telemetry"
)

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
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
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "otpcard: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "otpcard: %v\n", err)
		return 1
	}
	return 0
}

const usage = `usage: otpcard [command]

commands:
  serve        run the service (the default)
  migrate      apply database migrations and exit
  token        mint an HS256 token with the configured secret (otpcard token -h)
  healthcheck  exit 0 when the local service is ready (for container health checks)
`

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
	fmt.Fprintf(stdout, "otpcard listening on %s\n", r.BaseURL())
	if port := r.EmbeddedDatabasePort(); port != 0 {
		fmt.Fprintf(stdout, "database: embedded PostgreSQL on 127.0.0.1:%d, data in %s\n", port, cfg.DataDir)
	}
	fmt.Fprintf(stdout, "mint an admin token: go run . token --role Root   (or: otpcard token --role Root)\n")
	fmt.Fprintf(stdout, "then: curl -H \"Authorization: Bearer $TOKEN\" %s/nevisidm/api/core/v1/clients\n", r.BaseURL())
	r.Wait()
	fmt.Fprintln(stdout, "otpcard: shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.Stop(stopCtx)
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
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{})
	if err != nil {
		return err
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

func token(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var roles, perms, clients stringList
	sub := fs.String("sub", "admin", "principal name (sub claim)")
	self := fs.String("self", "", "mint a self-admin token (for X-Token) for this user extId")
	ttl := fs.Duration("ttl", time.Hour, "lifetime of the token")
	fs.Var(&roles, "role", "role: Root, ClientRoot, UserAdmin, Helpdesk, Auditor (repeatable)")
	fs.Var(&perms, "permission", "right such as CredentialView or AccessControl.CredentialView (repeatable)")
	fs.Var(&clients, "client", "restrict the token's data room to this clientExtId (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("token: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if len(cfg.JWTHS256Secret) == 0 {
		return errors.New("token: no HS256 secret is configured (OTPCARD_JWT_HS256_SECRET); tokens of an external identity provider cannot be minted here")
	}
	opts := jwtauth.MintOptions{Subject: *sub, TTL: *ttl, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience}
	if *self != "" {
		opts.Subject = *self
	} else {
		if len(roles) == 0 && len(perms) == 0 {
			return errors.New("token: give at least one --role or --permission (or --self USER for a self-admin token)")
		}
		for _, p := range perms {
			if !strings.HasPrefix(p, "AccessControl.") {
				p = "AccessControl." + p
			}
			opts.Permissions = append(opts.Permissions, p)
		}
		opts.Roles = roles
		if len(clients) > 0 {
			opts.Clients, opts.HasClients = clients, true
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
