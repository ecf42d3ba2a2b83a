package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// readyTimeout bounds how long Start and Resume wait for the first successful connection.
const readyTimeout = 30 * time.Second

// sqlStateDuplicateDatabase is the SQLSTATE of "database already exists".
const sqlStateDuplicateDatabase = "42P04"

// waitReady retries a password-authenticated connection to database postgres until it works.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("cluster: open connection: %w", err)
	}
	defer func() { _ = db.Close() }()
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: no connection to PostgreSQL on port %d within %s: %w\nlast lines of %s:\n%s",
				c.port, readyTimeout, err, c.srv.layout.logFile(), c.srv.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// CreateDatabase creates database name; a database that already exists is not an error.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("cluster: open connection: %w", err)
	}
	defer func() { _ = db.Close() }()
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name))
	var state interface{ SQLState() string }
	if errors.As(err, &state) && state.SQLState() == sqlStateDuplicateDatabase {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cluster: create database %s: %w", name, err)
	}
	return nil
}

// quoteIdent quotes name as an SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
