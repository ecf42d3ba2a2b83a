package postgres_test

import (
	"context"
	"path/filepath"
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

// migrationNames lists the migration files in name order, as Migrate applies them; the first is
// 0001_init.sql, later ones may be added without touching these tests.
func migrationNames(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("migration files: got %v (%v), want at least 0001_init.sql", paths, err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	slices.Sort(names)
	if names[0] != "0001_init.sql" {
		t.Fatalf("first migration: got %s, want 0001_init.sql", names[0])
	}
	return names
}

// assertTables fails unless every table of schemaTables exists.
func assertTables(t *testing.T, db *bun.DB) {
	t.Helper()
	got := publicTables(t, db)
	for _, want := range schemaTables {
		if !slices.Contains(got, want) {
			t.Errorf("tables: got %v, want %s among them", got, want)
		}
	}
}

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

	want := migrationNames(t)
	applied, err := postgres.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("first migrate: got %v, want nil", err)
	}
	if !slices.Equal(applied, want) {
		t.Fatalf("first migrate applied: got %v, want %v", applied, want)
	}
	assertTables(t, db)

	applied, err = postgres.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("second migrate: got %v, want nil", err)
	}
	if len(applied) != 0 {
		t.Errorf("second migrate applied: got %v, want none", applied)
	}
	var recorded []string
	if err := db.NewRaw("SELECT name FROM schema_migrations ORDER BY name").Scan(ctx, &recorded); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recorded, want) {
		t.Errorf("schema_migrations: got %v, want %v, each once", recorded, want)
	}
}

// TestMigrateConcurrentInstances starts eight instances on one fresh database at once, each with
// its own pool: the advisory lock lets exactly one apply the migration, and none fails.
func TestMigrateConcurrentInstances(t *testing.T) {
	const instances = 8
	want := migrationNames(t)
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
		case slices.Equal(applied[i], want):
			appliers++
		default:
			t.Errorf("instance %d applied: got %v, want none or %v", i, applied[i], want)
		}
	}
	if appliers != 1 {
		t.Errorf("instances that applied the migrations: got %d, want 1", appliers)
	}
	if n := count(t, dbs[0], "SELECT count(*) FROM schema_migrations"); n != len(want) {
		t.Errorf("schema_migrations rows: got %d, want %d", n, len(want))
	}
	assertTables(t, dbs[0])
	// The session lock must be released: one more Migrate on any instance returns at once.
	if _, err := postgres.Migrate(ctx, dbs[instances-1]); err != nil {
		t.Errorf("migrate after the race: got %v, want nil", err)
	}
}
