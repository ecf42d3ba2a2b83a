package postgres_test

import (
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/domain/event"
)

// This file is what the contract suites (directorytest, credentialtest) need of PostgreSQL: a
// fresh store for each case, and the events the stores recorded.

// contractDB opens one migrated database for a whole contract suite and returns fresh, which
// empties every table of it for the next case: a fresh store at a small part of the cost of a new
// database (emptying takes milliseconds; creating and migrating one takes a good part of a
// second). The cases of a suite run one after another.
func contractDB(t *testing.T) (fresh func(t *testing.T) *bun.DB) {
	t.Helper()
	db := openDB(t)
	var tables []string
	err := db.NewRaw("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() "+
		"AND tablename <> 'schema_migrations' ORDER BY tablename").Scan(t.Context(), &tables)
	if err != nil || len(tables) == 0 {
		t.Fatalf("tables: got %v (%v), want the migrated tables", tables, err)
	}
	truncate := "TRUNCATE " + strings.Join(tables, ", ") + " RESTART IDENTITY"
	return func(t *testing.T) *bun.DB {
		t.Helper()
		if _, err := db.ExecContext(t.Context(), truncate); err != nil {
			t.Fatalf("empty the tables: %v", err)
		}
		return db
	}
}

// recordedEvents reads every event the stores recorded, in the order they were recorded.
func recordedEvents(t *testing.T, db *bun.DB) []event.Event {
	t.Helper()
	events, err := postgres.RecordedEvents(t.Context(), db)
	if err != nil {
		t.Fatalf("read events: %v", err)
	}
	return events
}
