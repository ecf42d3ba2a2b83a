package main

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// pgWatch reads PostgreSQL's own statistics about the service's database: the statements it
// ran (pg_stat_statements, when loaded) and what its connections are doing (pg_stat_activity,
// sampled during a run). They show round trips per operation and whether the connection pool,
// row locks or PostgreSQL are what the service waits for.
type pgWatch struct {
	db            *sql.DB
	database      string
	hasStatements bool // pg_stat_statements is loaded
}

func newPGWatch(dbURL, database string) (*pgWatch, error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	return &pgWatch{db: db, database: database}, nil
}

func (w *pgWatch) close() { _ = w.db.Close() }

// enableStatements loads pg_stat_statements into the cluster (a restart) and creates the
// extension, so that each run can count the statements the service sends per operation.
func enableStatements(ctx context.Context, c interface {
	URL(string) string
	Halt(context.Context) error
	Resume(context.Context) error
}) error {
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"); err != nil {
		return err
	}
	db.Close()
	if err := c.Halt(ctx); err != nil {
		return err
	}
	if err := c.Resume(ctx); err != nil {
		return err
	}
	db, err = sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
	return err
}

// resetStatements clears pg_stat_statements.
func (w *pgWatch) resetStatements(ctx context.Context) error {
	_, err := w.db.ExecContext(ctx, "SELECT pg_stat_statements_reset()")
	return err
}

// statement is one normalised statement of pg_stat_statements, per operation of a run.
type statement struct {
	Query      string  `json:"query"`
	CallsPerOp float64 `json:"callsPerOp"`
	MeanMs     float64 `json:"meanMs"`
	RowsPerOp  float64 `json:"rowsPerOp"`
}

// maxStatements bounds the statements kept per run.
const maxStatements = 12

// statements reads what the service's database ran since the last reset, divided by ops.
func (w *pgWatch) statements(ctx context.Context, ops int) (total float64, top []statement, err error) {
	rows, err := w.db.QueryContext(ctx, `SELECT s.query, s.calls, s.total_exec_time, s.rows
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = $1 ORDER BY s.calls DESC, s.total_exec_time DESC`, w.database)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	n := float64(max(ops, 1))
	for rows.Next() {
		var q string
		var calls, rowsN int64
		var totalMs float64
		if err := rows.Scan(&q, &calls, &totalMs, &rowsN); err != nil {
			return 0, nil, err
		}
		total += float64(calls)
		if len(top) < maxStatements {
			q = strings.Join(strings.Fields(q), " ")
			if len(q) > 200 {
				q = q[:200] + "..."
			}
			top = append(top, statement{Query: q, CallsPerOp: round3(float64(calls) / n),
				MeanMs: round3(totalMs / float64(max(calls, 1))), RowsPerOp: round3(float64(rowsN) / n)})
		}
	}
	return round3(total / n), top, rows.Err()
}

// pgActivity summarises PostgreSQL's view of a run.
type pgActivity struct {
	// StatementsPerOp counts every statement the service's database ran (BEGIN and COMMIT
	// included, the event dispatcher's too) over the whole run, warm-up included, divided by the
	// run's successful operations; Top are the most frequent. From pg_stat_statements.
	StatementsPerOp float64     `json:"statementsPerOp,omitempty"`
	Top             []statement `json:"topStatements,omitempty"`
	// Averages over samples of pg_stat_activity every 50 ms of the measured window: the
	// service's connections, those running a statement, those idle inside a transaction (the
	// service holds a transaction open while it works or waits), and those waiting for a lock.
	Samples     int     `json:"samples"`
	Connections float64 `json:"connections"`
	Active      float64 `json:"active"`
	IdleInTx    float64 `json:"idleInTransaction"`
	LockWaits   float64 `json:"lockWaits"`
	MaxConns    int     `json:"maxConnections"`
}

// sampleActivity samples pg_stat_activity until stop is closed and returns the averages.
func (w *pgWatch) sampleActivity(ctx context.Context, stop <-chan struct{}) func() pgActivity {
	var (
		mu  sync.Mutex
		sum pgActivity
		wg  sync.WaitGroup
	)
	wg.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var conns, active, idleTx, locks int
			err := w.db.QueryRowContext(ctx, `SELECT count(*),
				count(*) FILTER (WHERE state = 'active'),
				count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
				count(*) FILTER (WHERE wait_event_type = 'Lock')
				FROM pg_stat_activity
				WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
				w.database).Scan(&conns, &active, &idleTx, &locks)
			if err != nil {
				continue
			}
			mu.Lock()
			sum.Samples++
			sum.Connections += float64(conns)
			sum.Active += float64(active)
			sum.IdleInTx += float64(idleTx)
			sum.LockWaits += float64(locks)
			sum.MaxConns = max(sum.MaxConns, conns)
			mu.Unlock()
		}
	})
	return func() pgActivity {
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		a := sum
		if n := float64(a.Samples); n > 0 {
			a.Connections = round3(a.Connections / n)
			a.Active = round3(a.Active / n)
			a.IdleInTx = round3(a.IdleInTx / n)
			a.LockWaits = round3(a.LockWaits / n)
		}
		return a
	}
}
