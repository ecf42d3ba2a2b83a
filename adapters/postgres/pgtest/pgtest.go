// Package pgtest gives each test a fresh, empty PostgreSQL database.
//
// With OTPCARD_TEST_DATABASE_URL set, databases are created on that server and dropped after the
// test. Otherwise a throwaway cluster (package cluster, Ephemeral) is started on first use and
// thrown away when the test binary ends. Tests never skip: without a server or PostgreSQL
// binaries, URL fails the test with a one-line explanation.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/otpcard/otpcard/adapters/postgres/cluster"
)

// EnvURL names the variable holding the URL of an existing server to create test databases on.
const EnvURL = "OTPCARD_TEST_DATABASE_URL"

// envBinDir names the variable that overrides where the PostgreSQL binaries are.
const envBinDir = "OTPCARD_PG_BIN"

// sqlTimeout bounds each administrative statement (CREATE/DROP DATABASE).
const sqlTimeout = 30 * time.Second

// harness is the throwaway cluster of one test binary, started on first use.
type harness struct {
	once    sync.Once
	dir     string
	cluster *cluster.Cluster
	err     error
}

// current is set by Main before any test runs; it is test infrastructure, not service state.
var current *harness

// Main runs the package's tests and stops the throwaway cluster afterwards.
// Use: func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	h := &harness{}
	current = h
	code := m.Run()
	if err := h.close(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// URL returns the URL of a new, empty database for this test.
func URL(t testing.TB) string {
	t.Helper()
	if raw := os.Getenv(EnvURL); raw != "" {
		return externalURL(t, raw)
	}
	h := current
	if h == nil {
		t.Fatal("pgtest: URL needs pgtest.Main: add func TestMain(m *testing.M) { pgtest.Main(m) }")
	}
	c, err := h.get()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := "t_" + randomHex(t)
	ctx, cancel := context.WithTimeout(context.Background(), sqlTimeout)
	defer cancel()
	if err := c.CreateDatabase(ctx, name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return c.URL(name)
}

// get starts the throwaway cluster once and returns it (or the error starting it).
func (h *harness) get() (*cluster.Cluster, error) {
	h.once.Do(func() {
		h.dir, h.err = os.MkdirTemp("", "otpcard-pgtest-*")
		if h.err != nil {
			return
		}
		// The postgres OS user (when running as root) must traverse this directory.
		if h.err = os.Chmod(h.dir, 0o755); h.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		h.cluster, h.err = cluster.Start(ctx, cluster.Config{
			DataDir:   filepath.Join(h.dir, "postgres"),
			BinDir:    os.Getenv(envBinDir),
			Ephemeral: true,
		})
	})
	return h.cluster, h.err
}

// close stops the throwaway cluster, if one was started, and removes its directory.
func (h *harness) close() error {
	var err error
	if h.cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err = h.cluster.Stop(ctx)
		cancel()
	}
	if h.dir != "" {
		if rerr := os.RemoveAll(h.dir); err == nil {
			err = rerr
		}
	}
	return err
}

// externalURL creates otpcard_test_<random> on the server at raw, drops it (WITH (FORCE)) when
// the test ends, and returns raw with its path replaced by the new database.
func externalURL(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s must be a postgres:// URL", EnvURL)
	}
	name := "otpcard_test_" + randomHex(t)
	if err := adminExec(raw, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database on %s: %v", u.Redacted(), err)
	}
	t.Cleanup(func() {
		if err := adminExec(raw, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// adminExec runs one statement on the server at raw.
func adminExec(raw, stmt string) error {
	db, err := sql.Open("pgx", raw)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), sqlTimeout)
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

// randomHex returns 16 random hex digits (lower case, valid in an unquoted identifier).
func randomHex(t testing.TB) string {
	t.Helper()
	buf := make([]byte, 8)
	if _, err := rand.Read(buf); err != nil {
		t.Fatalf("pgtest: random name: %v", err)
	}
	return strings.ToLower(hex.EncodeToString(buf))
}
