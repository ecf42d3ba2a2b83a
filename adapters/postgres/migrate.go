package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/uptrace/bun"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the advisory lock that serializes migrations across instances.
const migrationLockKey = 7_468_716_372_617_264 // "otpcard" in spirit; any constant works

// Migrate applies the embedded migrations that have not run yet, each in its own transaction,
// under a session advisory lock so that instances starting together apply each one once. It
// returns the names applied.
func Migrate(ctx context.Context, db *bun.DB) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", translate(err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", migrationLockKey); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", translate(err))
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", migrationLockKey)
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: %w", translate(err))
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	var applied []string
	for _, path := range names {
		name := strings.TrimPrefix(path, "migrations/")
		done, err := applyMigration(ctx, conn, path, name)
		if err != nil {
			return applied, err
		}
		if done {
			applied = append(applied, name)
		}
	}
	return applied, nil
}

func applyMigration(ctx context.Context, conn bun.Conn, path, name string) (bool, error) {
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = ?)", name).Scan(&exists); err != nil {
		return false, fmt.Errorf("migrate %s: %w", name, translate(err))
	}
	if exists {
		return false, nil
	}
	body, err := migrationFiles.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("migrate %s: %w", name, err)
	}
	err = conn.RunInTx(ctx, &sql.TxOptions{}, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (name) VALUES (?)", name)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("migrate %s: %w", name, translate(err))
	}
	return true, nil
}
