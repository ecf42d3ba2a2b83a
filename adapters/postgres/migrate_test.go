package postgres_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
)

// schemaTables are the tables 0001_init.sql creates, with the migration bookkeeping table.
var schemaTables = []string{"clients", "events", "otp_cards", "policies", "schema_migrations", "users"}

// publicTables lists the base tables of the public schema, sorted.
func publicTables(t *testing.T, db *bun.DB) []string {
	t.Helper()
	var names []string
	err := db.NewRaw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`).
		Scan(context.Background(), &names)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	return names
}

func TestMigrateAppliesOnceThenNothing(t *testing.T) {
	db := openURL(t, pgtest.URL(t), false)
	ctx := t.Context()

	applied, err := postgres.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("first migrate: got %v, want nil", err)
	}
	if want := []string{"0001_init.sql"}; !slices.Equal(applied, want) {
		t.Fatalf("first migrate applied: got %v, want %v", applied, want)
	}
	if got := publicTables(t, db); !slices.Equal(got, schemaTables) {
		t.Errorf("tables: got %v, want %v", got, schemaTables)
	}

	applied, err = postgres.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("second migrate: got %v, want nil", err)
	}
	if len(applied) != 0 {
		t.Errorf("second migrate applied: got %v, want none", applied)
	}
	if n := count(t, db, "SELECT count(*) FROM schema_migrations WHERE name = '0001_init.sql'"); n != 1 {
		t.Errorf("schema_migrations rows for 0001_init.sql: got %d, want 1", n)
	}
}

// TestMigrateConcurrentInstances starts eight instances on one fresh database at once, each with
// its own pool: the advisory lock lets exactly one apply the migration, and none fails.
func TestMigrateConcurrentInstances(t *testing.T) {
	const instances = 8
	url := pgtest.URL(t)
	dbs := make([]*bun.DB, instances)
	for i := range dbs {
		dbs[i] = openURL(t, url, false)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		applied = make([][]string, instances)
		errs    = make([]error, instances)
	)
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			applied[i], errs[i] = postgres.Migrate(ctx, db)
		}()
	}
	close(start)
	wg.Wait()

	appliers := 0
	for i := range instances {
		if errs[i] != nil {
			t.Errorf("instance %d: got %v, want nil", i, errs[i])
			continue
		}
		switch {
		case len(applied[i]) == 0:
		case slices.Equal(applied[i], []string{"0001_init.sql"}):
			appliers++
		default:
			t.Errorf("instance %d applied: got %v, want none or [0001_init.sql]", i, applied[i])
		}
	}
	if appliers != 1 {
		t.Errorf("instances that applied 0001_init.sql: got %d, want 1", appliers)
	}
	if n := count(t, dbs[0], "SELECT count(*) FROM schema_migrations"); n != 1 {
		t.Errorf("schema_migrations rows: got %d, want 1", n)
	}
	if got := publicTables(t, dbs[0]); !slices.Equal(got, schemaTables) {
		t.Errorf("tables: got %v, want %v", got, schemaTables)
	}
	// The session lock must be released: one more Migrate on any instance returns at once.
	if _, err := postgres.Migrate(ctx, dbs[instances-1]); err != nil {
		t.Errorf("migrate after the race: got %v, want nil", err)
	}
}
