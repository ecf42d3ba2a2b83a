package bootstrap

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
)

// Running is a started otpcard: the HTTP server listens and the database is migrated.
type Running struct {
	app    *fx.App
	server *HTTPServer
	db     *Database
}

// Start builds the fx graph for cfg and starts it. Logs go to logOut (stderr when nil).
// With OTPCARD_DATABASE_URL it first waits for the database (see waitForDatabase).
func Start(ctx context.Context, cfg Config, logOut io.Writer) (*Running, error) {
	if !cfg.Embedded() {
		if err := waitForDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseStartTimeout, newLogger(cfg, logOut)); err != nil {
			return nil, err
		}
	}
	r := &Running{}
	app := fx.New(
		Modules(cfg, logOut),
		fx.Populate(&r.server, &r.db),
		fx.WithLogger(func() fxevent.Logger { return fxevent.NopLogger }),
		fx.StartTimeout(90*time.Second),
		fx.StopTimeout(30*time.Second),
	)
	if err := app.Err(); err != nil {
		return nil, err
	}
	if err := app.Start(ctx); err != nil {
		return nil, err
	}
	r.app = app
	return r, nil
}

// Addr is where the API listens.
func (r *Running) Addr() net.Addr { return r.server.Addr() }

// BaseURL is http://host:port of the API, with a loopback host for wildcard listeners.
func (r *Running) BaseURL() string {
	addr := r.server.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// EmbeddedDatabasePort is the embedded cluster's port, 0 with OTPCARD_DATABASE_URL.
func (r *Running) EmbeddedDatabasePort() int { return r.db.ClusterPort() }

// Wait blocks until ctx ends (main cancels it on SIGINT and SIGTERM) or the app is shut down.
// fx's own signal handler is no substitute for ctx: it is installed only by the first call to
// Done, and a signal that arrived after the banner but before that call was caught by main's
// handler and lost, leaving the service running.
func (r *Running) Wait(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-r.app.Done():
	}
}

// Stop drains the HTTP server, closes the pool and stops the embedded cluster.
func (r *Running) Stop(ctx context.Context) error { return r.app.Stop(ctx) }
