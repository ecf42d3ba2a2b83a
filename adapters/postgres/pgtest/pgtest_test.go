package pgtest_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// currentDatabase connects to raw and returns current_database().
func currentDatabase(t *testing.T, raw string) string {
	t.Helper()
	db, err := sql.Open("pgx", raw)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var name string
	if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatalf("query %s: %v", raw, err)
	}
	return name
}

func TestURLGivesSeparateDatabases(t *testing.T) {
	u1, u2 := pgtest.URL(t), pgtest.URL(t)
	if u1 == u2 {
		t.Fatalf("URL returned the same database twice: %s", u1)
	}
	db1, db2 := currentDatabase(t, u1), currentDatabase(t, u2)
	if db1 == db2 {
		t.Fatalf("both URLs connect to database %q", db1)
	}

	db, err := sql.Open("pgx", u1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE only_in_first (x int)"); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("pgx", u2)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var n int
	if err := other.QueryRow("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_first'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("table created in the first database is visible in the second")
	}
}

func TestExternalServerDatabaseIsDroppedAfterTest(t *testing.T) {
	base := pgtest.URL(t) // a database on the throwaway cluster stands in for an external server
	var name string
	t.Run("external", func(t *testing.T) {
		t.Setenv(pgtest.EnvURL, base)
		u := pgtest.URL(t)
		name = currentDatabase(t, u)
		if !strings.HasPrefix(name, "otpcard_test_") {
			t.Fatalf("database name %q lacks prefix otpcard_test_", name)
		}
		parsed, err := url.Parse(u)
		if err != nil || parsed.Path != "/"+name {
			t.Fatalf("URL %s does not point to %s", u, name)
		}
	})
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after the test", name)
	}
}
