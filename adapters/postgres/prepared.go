package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// preparedQuery is a SELECT on a hot path whose SQL text never changes (card_sql.go), with $1,
// $2 ... where the values go; the values travel as arguments. pgx prepares such a
// statement once per connection and from then on runs it in one round trip (Bind, Execute) with
// binary results and PostgreSQL's cached plan. A bun query writes every value into its SQL
// text instead, which makes each statement new to the server: a Parse and Describe round trip
// before the one that fetches the rows, planning every time, and pgx's statement cache evicting
// (and deallocating) one statement for each new one.
type preparedQuery struct {
	name string // the span's name
	sql  string
}

// scan runs the statement on conn (the pool or a transaction of db) with args and scans every
// row into dest, a pointer to a slice of rows of a bun model.
func (p preparedQuery) scan(ctx context.Context, db *bun.DB, conn bun.IDB, dest any, args ...any) error {
	ctx = context.WithValue(ctx, preparedKey{}, p.name)
	// Prepared once per connection, whatever the pool's default mode (see Open).
	args = append([]any{pgx.QueryExecModeCacheStatement}, args...)
	var (
		rows *sql.Rows
		err  error
	)
	switch c := conn.(type) {
	case bun.Tx:
		rows, err = c.Tx.QueryContext(ctx, p.sql, args...)
	case *bun.DB:
		rows, err = c.DB.QueryContext(ctx, p.sql, args...)
	default:
		return fmt.Errorf("%s: cannot run on a %T", p.name, conn)
	}
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	if err := db.ScanRows(ctx, rows, dest); err != nil {
		return translate(err)
	}
	return nil
}

// execPrepared runs a parametrized write in tx, prepared once per connection like a
// preparedQuery: the SQL text depends only on which columns are written, never on the values.
func execPrepared(ctx context.Context, tx bun.Tx, name, query string, args ...any) (sql.Result, error) {
	ctx = context.WithValue(ctx, preparedKey{}, name)
	res, err := tx.Tx.ExecContext(ctx, query, append([]any{pgx.QueryExecModeCacheStatement}, args...)...)
	return res, translate(err)
}

// preparedKey marks the context of a preparedQuery's statement for statementTracer; its value
// is the statement's name.
type preparedKey struct{}

// startedKey carries a traced statement's start.
type startedKey struct{}

type started struct {
	at time.Time
	op string // SELECT, UPDATE, INSERT
}

// statementTracer gives each prepared statement what bunotel gives bun's queries (which it sees
// through bun's hooks; these bypass bun): a client span, whose text carries placeholders and
// never values, and a sample of bunotel's go.sql.query_timing histogram, so that /metrics counts
// every statement.
type statementTracer struct {
	tracer trace.Tracer
	timing metric.Int64Histogram
}

var _ pgx.QueryTracer = statementTracer{}

func newStatementTracer(tp trace.TracerProvider, mp metric.MeterProvider) (statementTracer, error) {
	const scope = "github.com/otpcard/otpcard/adapters/postgres"
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	timing, err := mp.Meter(scope).Int64Histogram("go.sql.query_timing",
		metric.WithDescription("Timing of processed queries"), metric.WithUnit("milliseconds"))
	return statementTracer{tracer: tp.Tracer(scope), timing: timing}, err
}

func (t statementTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	name, ok := ctx.Value(preparedKey{}).(string)
	if !ok {
		return ctx
	}
	ctx, _ = t.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(semconv.DBSystemNamePostgreSQL, semconv.DBQueryText(data.SQL)))
	op := strings.Fields(data.SQL)[0] // SELECT, UPDATE, INSERT
	return context.WithValue(ctx, startedKey{}, started{at: time.Now(), op: op})
}

func (t statementTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	s, ok := ctx.Value(startedKey{}).(started)
	if !ok {
		return
	}
	// The attributes bunotel gives its samples (its WithDBName is "otpcard", see Open).
	t.timing.Record(ctx, time.Since(s.at).Milliseconds(), metric.WithAttributes(
		attribute.String("db.name", "otpcard"), attribute.String("db.operation", s.op)))
	span := trace.SpanFromContext(ctx)
	if data.Err != nil {
		span.SetStatus(codes.Error, translate(data.Err).Error())
	}
	span.End()
}
