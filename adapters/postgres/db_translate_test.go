package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/otpcard/otpcard/domain/fault"
)

// TestOutageErrorsTranslateToUnavailable: every way a connection can fail while the database is down or
// going away ends as fault.ErrUnavailable (503 with Retry-After), while a context the caller cancelled
// (a client that went away) and ordinary SQL errors do not.
func TestOutageErrorsTranslateToUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name        string
		err         error
		unavailable bool
	}{
		{"connection refused", fmt.Errorf("dial: %w", refused), true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), true},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"EOF", fmt.Errorf("receive message: %w", io.EOF), true},
		{"bad connection", driver.ErrBadConn, true},
		{"connection done", sql.ErrConnDone, true},
		{"pgconn closed", fmt.Errorf("query: %w", pgconn.ErrConnClosed), true},
		{"closed network connection", fmt.Errorf("read: %w", net.ErrClosed), true},
		{"request deadline", fmt.Errorf("begin: %w", context.DeadlineExceeded), true},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"cannot connect now", &pgconn.PgError{Code: "57P03"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"connection failure class 08", &pgconn.PgError{Code: "08006"}, true},
		{"client went away", fmt.Errorf("query: %w", context.Canceled), false},
		{"client went away during a read", fmt.Errorf("read: %w", errors.Join(context.Canceled, io.ErrUnexpectedEOF)), false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"raised exception", &pgconn.PgError{Code: "P0001", Message: "SELECT secret"}, false},
		{"no rows", sql.ErrNoRows, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.err)
			if errors.Is(got, fault.ErrUnavailable) != tc.unavailable {
				t.Errorf("translate(%v) = %v: matches fault.ErrUnavailable %v, want %v", tc.err, got, !tc.unavailable, tc.unavailable)
			}
			if strings.Contains(got.Error(), "SELECT") {
				t.Errorf("translate(%v) = %q: the server's message travels on", tc.err, got)
			}
			if again := translate(got); again.Error() != got.Error() {
				t.Errorf("translate twice: got %q, want %q", again, got)
			}
		})
	}
}
