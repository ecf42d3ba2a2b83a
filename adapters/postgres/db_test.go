package postgres_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// TestOpenUnreachableIsUnavailable: nothing listens on port 1, so Open fails fast with
// fault.ErrUnavailable, the error the service maps to 503.
func TestOpenUnreachableIsUnavailable(t *testing.T) {
	const url = "postgres://otpcard:secret-password@127.0.0.1:1/otpcard?sslmode=disable&connect_timeout=5"
	elapsed, err := openUnavailable(t, "open 127.0.0.1:1", url)
	if elapsed > 12*time.Second {
		t.Errorf("open 127.0.0.1:1 took %v, want at most 12s", elapsed)
	}
	if strings.Contains(err.Error(), "secret-password") {
		t.Errorf("open error leaks the password: %v", err)
	}
}

// TestServerSideUnavailabilityIsUnavailable: when PostgreSQL refuses or drops connections for
// reasons that pass (restart or failover: 57P01 admin_shutdown, 57P03 cannot_connect_now; no
// free connection slot: 53300 too_many_connections), the error must still match fault.ErrUnavailable
// so that the API answers 503 with Retry-After instead of 500.
func TestServerSideUnavailabilityIsUnavailable(t *testing.T) {
	t.Run("backend terminated inside a transaction", func(t *testing.T) {
		w, card := aliceCard(t)
		err := w.cards.Update(t.Context(), keyOf(card), func(*credential.OTPCard) ([]event.Event, error) {
			// Another connection of the pool plays the administrator shutting the server down.
			_, err := w.db.ExecContext(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE datname = current_database() AND pid <> pg_backend_pid()`)
			return nil, err
		})
		if !errors.Is(err, fault.ErrUnavailable) {
			t.Errorf("update on a terminated backend: got %v, want an error matching fault.ErrUnavailable", err)
		}
	})

	t.Run("no connection slot left", func(t *testing.T) {
		raw := pgtest.URL(t)
		admin := openURL(t, raw, false)
		var dbName string // unique per test: roles belong to the whole cluster
		if err := admin.NewRaw("SELECT current_database()").Scan(t.Context(), &dbName); err != nil {
			t.Fatal(err)
		}
		role := "no_slots_" + dbName
		if _, err := admin.ExecContext(t.Context(), "CREATE ROLE ? LOGIN PASSWORD 'pw' CONNECTION LIMIT 0", bun.Ident(role)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP ROLE ?", bun.Ident(role)) })
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(role, "pw")
		openUnavailable(t, "open with no connection slot (53300)", u.String())
	})
}

// TestOpenSilentServerIsUnavailable: a server that accepts connections but never answers (hung,
// or behind a partition that drops packets) is unreachable too; Open gives up after
// connect_timeout and must say fault.ErrUnavailable.
func TestOpenSilentServerIsUnavailable(t *testing.T) {
	url := "postgres://otpcard@" + silentServer(t) + "/otpcard?sslmode=disable&connect_timeout=2"
	elapsed, _ := openUnavailable(t, "open a silent server", url)
	if elapsed > 12*time.Second {
		t.Errorf("open a silent server took %v, want at most 12s", elapsed)
	}
}

// TestOutageOpenDefaultsConnectTimeout: a URL without connect_timeout still gives up on a silent
// server after DefaultConnectTimeout, well before Open's own 10 s ping deadline, whatever form the
// connection string has. Without it a connection attempt waits as long as the caller's context
// allows, or for the operating system's TCP timeout when it has no deadline.
func TestOutageOpenDefaultsConnectTimeout(t *testing.T) {
	addr := silentServer(t)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{
		"URL without query": "postgres://otpcard@" + addr + "/otpcard",
		"URL with query":    "postgres://otpcard@" + addr + "/otpcard?sslmode=disable",
		"key=value":         "host=" + host + " port=" + port + " user=otpcard dbname=otpcard sslmode=disable",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			elapsed, _ := openUnavailable(t, "open a silent server", url)
			if elapsed < postgres.DefaultConnectTimeout-time.Second || elapsed > postgres.DefaultConnectTimeout+3*time.Second {
				t.Errorf("open a silent server took %v, want about DefaultConnectTimeout (%v)", elapsed, postgres.DefaultConnectTimeout)
			}
		})
	}
}

// openUnavailable opens url (what says so in the messages) and fails unless Open fails with an
// error matching fault.ErrUnavailable; it returns how long Open took and its error.
func openUnavailable(t *testing.T, what, url string) (time.Duration, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	began := time.Now()
	db, err := postgres.Open(ctx, url, postgres.Options{})
	elapsed := time.Since(began)
	if err == nil {
		_ = db.Close()
		t.Fatalf("%s: got nil error, want fault.ErrUnavailable", what)
	}
	if !errors.Is(err, fault.ErrUnavailable) {
		t.Errorf("%s: got %v, want an error matching fault.ErrUnavailable", what, err)
	}
	return elapsed, err
}

// silentServer accepts TCP connections and never answers; it returns its address.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = ln.Close(); <-done })
	go func() {
		defer close(done)
		var held []net.Conn
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return ln.Addr().String()
}
