package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres"
)

// TestOpenUnreachableIsUnavailable: nothing listens on port 1, so Open fails fast with
// ErrUnavailable, the error the service maps to 503.
func TestOpenUnreachableIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const url = "postgres://otpcard:secret-password@127.0.0.1:1/otpcard?sslmode=disable&connect_timeout=5"
	began := time.Now()
	db, err := postgres.Open(ctx, url, postgres.Options{})
	elapsed := time.Since(began)
	if err == nil {
		_ = db.Close()
		t.Fatal("open 127.0.0.1:1: got nil error, want ErrUnavailable")
	}
	if !errors.Is(err, postgres.ErrUnavailable) {
		t.Errorf("open 127.0.0.1:1: got %v, want an error matching ErrUnavailable", err)
	}
	if elapsed > 12*time.Second {
		t.Errorf("open 127.0.0.1:1 took %v, want at most 12s", elapsed)
	}
	if strings.Contains(err.Error(), "secret-password") {
		t.Errorf("open error leaks the password: %v", err)
	}
}
