// Package postgres keeps otpcard's state in PostgreSQL through bun (pgdialect) on the pgx/v5
// stdlib driver: rows, stores, and migrations embedded in the binary.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/extra/bunotel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Options shape the connection pool and its telemetry.
type Options struct {
	MaxOpenConns   int
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
}

// Open connects to PostgreSQL at url and checks the connection. The pool is sized for a small
// machine: a few connections per core is what PostgreSQL serves best.
func Open(ctx context.Context, url string, o Options) (*bun.DB, error) {
	sqldb, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 16
	}
	sqldb.SetMaxOpenConns(o.MaxOpenConns)
	sqldb.SetMaxIdleConns(o.MaxOpenConns)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	db := bun.NewDB(sqldb, pgdialect.New())
	var hookOpts []bunotel.Option
	hookOpts = append(hookOpts, bunotel.WithDBName("otpcard"))
	if o.TracerProvider != nil {
		hookOpts = append(hookOpts, bunotel.WithTracerProvider(o.TracerProvider))
	}
	if o.MeterProvider != nil {
		hookOpts = append(hookOpts, bunotel.WithMeterProvider(o.MeterProvider))
	}
	db = db.WithQueryHook(bunotel.NewQueryHook(hookOpts...))
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("connect to database: %w", translate(err))
	}
	return db, nil
}

// ErrUnavailable reports that the database cannot be reached.
var ErrUnavailable = errors.New("database unavailable")

// SQLSTATEs the stores translate.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// isCode reports whether err is a PostgreSQL error with that SQLSTATE.
func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// translate hides driver details: connection failures become ErrUnavailable so that no SQL or
// driver text travels further than a log line.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if unavailableCode(pgErr.Code) {
			return fmt.Errorf("%w: postgres error %s", ErrUnavailable, pgErr.Code)
		}
		return fmt.Errorf("postgres error %s", pgErr.Code)
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || errors.Is(err, sql.ErrConnDone) || pgconn.Timeout(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// unavailableCode tells the SQLSTATEs that mean "try again later": class 08 connection
// exceptions, 53300 too_many_connections, 57P01 admin_shutdown, 57P02 crash_shutdown and 57P03
// cannot_connect_now.
func unavailableCode(code string) bool {
	switch code {
	case "53300", "57P01", "57P02", "57P03":
		return true
	}
	return strings.HasPrefix(code, "08")
}
