package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"go.uber.org/dig"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// Running is a started otpcard: the HTTP server listens and the database is migrated.
type Running struct {
	app    *fx.App
	server *HTTPServer
	db     *Database
}

// Start builds the fx graph for cfg and starts it. Logs go to logOut (stderr when nil).
// What the operator must fix comes back as one line: a VariableError naming the variable, or
// the error of the constructor or start hook that failed, never fx's account of the graph.
func Start(ctx context.Context, cfg Config, logOut io.Writer) (*Running, error) {
	logger := newLogger(cfg, logOut)
	if err := checkJWKSFile(ctx, cfg); err != nil {
		return nil, err
	}
	if !cfg.Embedded() {
		if err := waitForDatabase(ctx, cfg.DatabaseURL, cfg.DatabaseStartTimeout, logger); err != nil {
			return nil, err
		}
	}
	r := &Running{}
	var built *Database
	app := fx.New(
		Modules(cfg, logOut),
		fx.Populate(&r.server, &r.db),
		// Remembers the database as soon as it is built: should a later constructor fail, the
		// app never starts, fx runs no stop hook, and the embedded cluster would outlive otpcard.
		fx.Decorate(func(d *Database) *Database { built = d; return d }),
		fx.WithLogger(func() fxevent.Logger { return fxevent.NopLogger }),
		fx.StartTimeout(90*time.Second),
		fx.StopTimeout(30*time.Second),
	)
	if err := app.Err(); err != nil {
		if built != nil {
			if cerr := built.Close(context.WithoutCancel(ctx)); cerr != nil {
				logger.Error("stop the database after a failed start", "error", cerr.Error())
			}
		}
		return nil, startError(err)
	}
	if err := app.Start(ctx); err != nil { // fx has run the stop hooks of what had started
		return nil, startError(err)
	}
	r.app = app
	return r, nil
}

// startError turns an error out of fx into what the operator can act on: the VariableError
// inside it, or else the error of the constructor or hook that failed, without fx's and dig's
// account of the dependency graph around it.
func startError(err error) error {
	var v *VariableError
	if errors.As(err, &v) {
		return v
	}
	return fmt.Errorf("start: %w", dig.RootCause(err))
}

// checkJWKSFile reads OTPCARD_JWT_JWKS_FILE before anything starts, so that a missing file or
// one without a usable key is a line naming the variable, and no database is started for
// nothing. The verifier in the graph reads the (small) file again; OTPCARD_JWT_JWKS_URL is
// fetched there only, since a second fetch would ask the identity provider twice.
func checkJWKSFile(ctx context.Context, cfg Config) error {
	if cfg.JWTJWKSFile == "" {
		return nil
	}
	_, err := jwtauth.New(ctx, jwtauth.Config{Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, JWKSFile: cfg.JWTJWKSFile})
	if err != nil {
		return &VariableError{Variable: "OTPCARD_JWT_JWKS_FILE", Err: err}
	}
	return nil
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
