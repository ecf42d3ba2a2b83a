// Package cluster runs a private PostgreSQL cluster from locally installed binaries: the
// service's embedded default database (when OTPCARD_DATABASE_URL is empty) and the tests'
// throwaway database server.
//
// The cluster listens on 127.0.0.1 only (no Unix socket) and authenticates the superuser
// "otpcard" with a random password kept in a file readable only by this process's user.
// Running as root, the PostgreSQL programs run as the "postgres" OS user.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
)

// ErrNotOwned is returned by Halt and Resume on a cluster that another process started.
var ErrNotOwned = errors.New("cluster: the server was started by another process")

// ErrStopped is returned by Halt and Resume after Stop.
var ErrStopped = errors.New("cluster: stopped")

// startAttempts bounds how often Start picks a new port when the chosen one was taken meanwhile.
const startAttempts = 3

// Config says where a cluster lives and how it runs.
type Config struct {
	// DataDir is where the cluster lives (e.g. "<OTPCARD_DATA_DIR>/postgres"); created if missing.
	// It holds the password file and, when the postgres user can reach it, the PostgreSQL data.
	DataDir string
	// BinDir overrides where initdb, pg_ctl and postgres are (OTPCARD_PG_BIN); see FindBinDir.
	BinDir string
	// Logger receives a few lines about where the cluster lives; nil discards them.
	Logger *slog.Logger
	// Ephemeral is for tests: initdb --no-sync, fsync off, and DataDir removed on Stop.
	Ephemeral bool
}

// Cluster is a running PostgreSQL server started (or found running) by Start.
type Cluster struct {
	srv      server
	logger   *slog.Logger
	password string
	port     int  // fixed after Start; Resume reuses it
	owned    bool // false when another process started the server: Stop leaves it alone

	mu      sync.Mutex
	running bool
	stopped bool
}

// Start brings up the cluster in cfg.DataDir: initdb on first use, reuse of an existing data
// directory, or reuse of a server another process already runs there (which Stop then leaves
// running). It returns once a password-authenticated connection succeeds.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	binDir, err := FindBinDir(cfg.BinDir)
	if err != nil {
		return nil, err
	}
	user, err := serverUser()
	if err != nil {
		return nil, err
	}
	l, err := prepareLayout(cfg.DataDir, user, logger)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		srv:    server{binDir: binDir, user: user, layout: l, ephemeral: cfg.Ephemeral},
		logger: logger,
	}
	unlock, err := lockPath(ctx, l.lockFile())
	if err != nil {
		return nil, err
	}
	err = c.boot(ctx)
	unlock()
	if err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		if c.owned {
			_ = c.srv.stop(context.WithoutCancel(ctx))
		}
		return nil, err
	}
	logger.Info("PostgreSQL cluster ready", "port", c.port, "cluster_dir", l.home, "reused_running", !c.owned)
	return c, nil
}

// boot initialises the data directory if needed and starts or adopts the server.
func (c *Cluster) boot(ctx context.Context) error {
	l := c.srv.layout
	var err error
	if c.srv.initialised() {
		c.password, err = readPassword(l.passwordFile())
		if err != nil {
			return fmt.Errorf("cluster: %s exists but its password is unreadable (remove it to start afresh): %w",
				l.pgData(), err)
		}
	} else {
		if c.password, err = loadOrCreatePassword(l.passwordFile()); err != nil {
			return err
		}
		if err := c.srv.initdb(ctx, c.password); err != nil {
			return err
		}
	}
	running, err := c.srv.status(ctx)
	if err != nil {
		return err
	}
	if running {
		c.port, err = c.srv.runningPort()
		return err
	}
	preferred := readPort(l.portFile())
	for attempt := 1; ; attempt++ {
		port, err := pickPort(preferred)
		if err != nil {
			return err
		}
		err = c.srv.start(ctx, port)
		if err == nil {
			c.port, c.owned, c.running = port, true, true
			break
		}
		// Retry only when someone else took the port between our check and the server's bind.
		if attempt == startAttempts || portFree(port) {
			return err
		}
		preferred = 0
	}
	if err := writePort(l.portFile(), c.port); err != nil {
		c.logger.Warn("cannot remember PostgreSQL port", "error", err)
	}
	return nil
}

// URL returns the connection URL for database:
// postgres://otpcard:PASSWORD@127.0.0.1:PORT/database?sslmode=disable.
func (c *Cluster) URL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, c.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Stop shuts the server down (pg_ctl stop -m fast) and, when Ephemeral, removes its directories.
// It is idempotent and does nothing for a server that another process started.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.owned || c.stopped {
		return nil
	}
	if c.running {
		if err := c.srv.stop(ctx); err != nil {
			return err
		}
		c.running = false
	}
	c.stopped = true
	if c.srv.ephemeral {
		l := c.srv.layout
		if err := os.RemoveAll(l.home); err != nil {
			return fmt.Errorf("cluster: remove %s: %w", l.home, err)
		}
		if err := os.RemoveAll(l.top); err != nil {
			return fmt.Errorf("cluster: remove %s: %w", l.top, err)
		}
	}
	return nil
}

// Halt stops the server but keeps the Cluster usable: Resume starts it again on the same port.
// It is meant for fault tests and is a no-op when already halted.
func (c *Cluster) Halt(ctx context.Context) error { return c.setRunning(ctx, false) }

// Resume starts a halted server again on the same port and waits until it accepts connections.
// It is a no-op when the server runs.
func (c *Cluster) Resume(ctx context.Context) error { return c.setRunning(ctx, true) }

// setRunning starts (Resume) or stops (Halt) the server unless it already is in that state; only
// the owner of a Cluster not stopped may.
func (c *Cluster) setRunning(ctx context.Context, running bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.owned:
		return ErrNotOwned
	case c.stopped:
		return ErrStopped
	case c.running == running:
		return nil
	case !running:
		if err := c.srv.stop(ctx); err != nil {
			return err
		}
		c.running = false
		return nil
	}
	if err := c.srv.start(ctx, c.port); err != nil {
		return err
	}
	c.running = true
	return c.waitReady(ctx)
}
