package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
)

// TestMain runs the suite on a throwaway PostgreSQL cluster. The process time zone is moved away
// from UTC so that a store which forgets to normalize times read from the driver shows it.
func TestMain(m *testing.M) {
	time.Local = time.FixedZone("UTC+5", 5*60*60)
	pgtest.Main(m)
}

// base is a creation time with nanoseconds in a zone that is not UTC: the stores must keep it in
// UTC at microsecond precision.
var base = time.Date(2026, 11, 26, 22, 30, 0, 123_456_789, time.FixedZone("CET", 60*60))

// stored is t as the database keeps it: UTC, truncated to microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// openDB opens a fresh, migrated database for this test.
func openDB(t testing.TB) *bun.DB {
	t.Helper()
	return openURL(t, pgtest.URL(t), true)
}

// openURL opens url and migrates it when migrate is set; the pool is closed when the test ends.
func openURL(t testing.TB, url string, migrate bool) *bun.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatalf("open: got %v, want nil", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if migrate {
		if _, err := postgres.Migrate(ctx, db); err != nil {
			t.Fatalf("migrate: got %v, want nil", err)
		}
	}
	return db
}

// count runs a SELECT count(*) query (bun placeholders) and returns the number.
func count(t *testing.T, db *bun.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatalf("count %q: %v", query, err)
	}
	return n
}

// assertCounts fails unless each SELECT count(*) query of want counts its number.
func assertCounts(t *testing.T, db *bun.DB, want map[string]int) {
	t.Helper()
	for query, n := range want {
		if got := count(t, db, query); got != n {
			t.Errorf("%s: got %d, want %d", query, got, n)
		}
	}
}

// assertTime fails unless got is want at microsecond precision and in UTC.
func assertTime(t *testing.T, field string, got, want time.Time) {
	t.Helper()
	if !got.Equal(stored(want)) {
		t.Errorf("%s: got %v, want %v", field, got, stored(want))
	}
	if !got.IsZero() && got.Location() != time.UTC {
		t.Errorf("%s location: got %v, want UTC", field, got.Location())
	}
}
