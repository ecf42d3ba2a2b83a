package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/cluster"
	"github.com/otpcard/otpcard/adapters/telemetry"
)

// Database is the connection pool, on the configured server or on the embedded cluster.
type Database struct {
	DB      *bun.DB
	cluster *cluster.Cluster
}

// ClusterPort is the embedded cluster's port, or 0 when otpcard uses OTPCARD_DATABASE_URL.
func (d *Database) ClusterPort() int {
	if d.cluster == nil {
		return 0
	}
	return d.cluster.Port()
}

// openDatabase starts the embedded cluster when no URL is configured, connects and migrates.
func openDatabase(ctx context.Context, cfg Config, tel *telemetry.Telemetry, logger *slog.Logger) (*Database, error) {
	d := &Database{}
	url := cfg.DatabaseURL
	if cfg.Embedded() {
		c, err := cluster.Start(ctx, cluster.Config{
			DataDir: filepath.Join(cfg.DataDir, "postgres"), BinDir: cfg.PGBin, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("embedded database: %w", err)
		}
		if err := c.CreateDatabase(ctx, "otpcard"); err != nil {
			_ = c.Stop(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("embedded database: %w", err)
		}
		d.cluster, url = c, c.URL("otpcard")
	}
	db, err := postgres.Open(ctx, url, postgres.Options{MaxOpenConns: cfg.DatabaseMaxConns,
		TracerProvider: tel.TracerProvider(), MeterProvider: tel.MeterProvider()})
	if err != nil && !cfg.Embedded() { // it answered waitForDatabase a moment ago
		err = &VariableError{Variable: "OTPCARD_DATABASE_URL", Err: err}
	}
	if err == nil {
		d.DB = db
		var applied []string
		applied, err = postgres.Migrate(ctx, db)
		if len(applied) > 0 {
			logger.Info("migrations applied", "names", applied)
		}
	}
	if err != nil {
		return nil, errors.Join(err, d.Close(context.WithoutCancel(ctx)))
	}
	return d, nil
}

// Pauses between attempts to reach OTPCARD_DATABASE_URL at start: short, since a PostgreSQL
// container usually answers a few seconds after otpcard's; doubling up to a cap keeps the log
// at a line every two seconds should it take longer.
const (
	databaseStartPause    = 250 * time.Millisecond
	databaseStartMaxPause = 2 * time.Second
)

// waitForDatabase returns once PostgreSQL at url accepts a connection. In compose or
// Kubernetes otpcard often starts before its database, so an unreachable or still starting
// server is tried again, with one log line per failed attempt, until timeout has passed (an
// attempt under way then ends by its connect timeout). A password the server refuses or a
// database it does not have will not change: they end the wait at once. Every error names
// OTPCARD_DATABASE_URL and none shows the password.
func waitForDatabase(ctx context.Context, url string, timeout time.Duration, logger *slog.Logger) error {
	const variable = "OTPCARD_DATABASE_URL"
	cfg, err := pgconn.ParseConfig(url)
	if err != nil { // LoadConfig has said so already; this is for callers that skipped it
		return &VariableError{Variable: variable, Err: errors.New(databaseURLProblem(url))}
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = postgres.DefaultConnectTimeout
	}
	where := net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
	fail := func(what string, err error) error {
		return &VariableError{Variable: variable, Err: fmt.Errorf("%s: %s", what, connectProblem(err))}
	}
	deadline := time.Now().Add(timeout)
	pause := databaseStartPause
	for attempt := 1; ; attempt++ {
		err := connectOnce(ctx, cfg)
		remaining := time.Until(deadline)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return fail("start stopped while waiting for PostgreSQL at "+where, err)
		case !retryable(err):
			return fail("PostgreSQL at "+where+" refused the connection", err)
		case remaining <= 0:
			return fail(fmt.Sprintf("no PostgreSQL answered at %s within %s (OTPCARD_DATABASE_START_TIMEOUT)", where, timeout), err)
		}
		pause = min(pause, remaining.Round(time.Millisecond))
		logger.Warn("database not reachable yet, retrying", "address", where, "attempt", attempt,
			"retry_in", pause.String(), "error", connectProblem(err))
		select {
		case <-ctx.Done():
			return fail("start stopped while waiting for PostgreSQL at "+where, err)
		case <-time.After(pause):
		}
		pause = min(2*pause, databaseStartMaxPause)
	}
}

// connectOnce opens and closes one connection.
func connectOnce(ctx context.Context, cfg *pgconn.Config) error {
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	_ = conn.Close(ctx) // the server answered: that was the question
	return nil
}

// retryable reports whether a failed connection attempt may succeed later, as it does while
// PostgreSQL is still starting: a refused or reset connection, a host name not yet in DNS, a
// timeout, 57P03 "the database system is starting up", too many connections for a moment. A
// refused password (class 28), an unknown database (3D000) or a TLS setting the server does not
// support stay as they are.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "53300", "57P01", "57P02", "57P03":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	var netErr net.Error
	return errors.As(err, &netErr) || pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// connectProblem is a failed connection attempt in one line: the server's message and SQLSTATE,
// or the network error, without pgconn's prefix (which names the user and database, never the
// password) and its line breaks.
func connectProblem(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Error()
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Error()
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Close closes the pool and stops the embedded cluster.
func (d *Database) Close(ctx context.Context) error {
	var errs []error
	if d.DB != nil {
		errs = append(errs, d.DB.Close())
	}
	if d.cluster != nil {
		errs = append(errs, d.cluster.Stop(ctx))
	}
	return errors.Join(errs...)
}

func newDatabase(lc fx.Lifecycle, cfg Config, tel *telemetry.Telemetry, logger *slog.Logger) (*Database, error) {
	d, err := openDatabase(context.Background(), cfg, tel, logger)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(d.Close))
	return d, nil
}

// withDatabase is how a one-off command (otpcard events, otpcard lifecycle) reaches the database:
// telemetry, then the configured or embedded database, migrated, handed to fn and closed after.
func withDatabase(ctx context.Context, cfg Config, stderr io.Writer, fn func(d *Database, tel *telemetry.Telemetry) error) error {
	logger := newLogger(cfg, stderr)
	tel, err := telemetry.New(ctx, telemetry.Config{ServiceName: "otpcard", ServiceVersion: version, Logger: logger})
	if err != nil {
		return err
	}
	defer tel.Shutdown(context.WithoutCancel(ctx))
	d, err := openDatabase(ctx, cfg, tel, logger)
	if err != nil {
		return err
	}
	defer d.Close(context.WithoutCancel(ctx))
	return fn(d, tel)
}
