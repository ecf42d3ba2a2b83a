package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	appcredential "github.com/otpcard/otpcard/application/credential"
)

// JobRuns lets one instance at a time run a job: the instance that takes the job's session
// advisory lock runs it, on a connection of its own held for the run, and the table job_runs
// remembers when each job last started; see appcredential.JobRuns. Should the connection break,
// PostgreSQL releases the lock and another instance may start the job while this one still
// finishes its run: the jobs are built for that (each step under its rows' locks, idempotent),
// the lock only saves them the work.
type JobRuns struct {
	db *bun.DB
}

// NewJobRuns builds the job lock.
func NewJobRuns(db *bun.DB) *JobRuns { return &JobRuns{db: db} }

var _ appcredential.JobRuns = (*JobRuns)(nil)

// Exclusive runs fn under the job's lock; see appcredential.JobRuns.
func (r *JobRuns) Exclusive(ctx context.Context, name string, now time.Time, every time.Duration, fn func(context.Context) error) (bool, error) {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return false, translate(err)
	}
	defer conn.Close()
	key := "otpcard job " + name
	var locked bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(hashtextextended(?, 0))", key).Scan(&locked); err != nil {
		return false, fmt.Errorf("lock job %s: %w", name, translate(err))
	}
	if !locked {
		return false, nil
	}
	defer func() {
		var unlocked bool
		err := conn.QueryRowContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtextextended(?, 0))", key).Scan(&unlocked)
		if err != nil || !unlocked { // a connection that may still hold the lock never goes back to the pool
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if every > 0 {
		var last time.Time
		err := conn.QueryRowContext(ctx, "SELECT started_at FROM job_runs WHERE name = ?", name).Scan(&last)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return false, fmt.Errorf("read job %s: %w", name, translate(err))
		case now.Before(last.Add(every)) && !last.After(now.Add(every)):
			return false, nil // a start further ahead than an interval came from a clock that runs ahead: run
		}
	}
	_, err = conn.ExecContext(ctx, `INSERT INTO job_runs (name, started_at) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = NULL`, name, now.UTC())
	if err != nil {
		return false, fmt.Errorf("start job %s: %w", name, translate(err))
	}
	if err := fn(ctx); err != nil {
		return true, err
	}
	_, err = conn.ExecContext(ctx, "UPDATE job_runs SET finished_at = clock_timestamp() WHERE name = ?", name)
	return true, translate(err)
}
