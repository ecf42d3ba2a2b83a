package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/uptrace/bun"
	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/cluster"
	"github.com/otpcard/otpcard/adapters/telemetry"
)

// Database is the connection pool, on the configured server or on the embedded cluster.
type Database struct {
	DB      *bun.DB
	cluster *cluster.Cluster
}

// ClusterPort is the embedded cluster's port, or 0 when otpcard uses OTPCARD_DATABASE_URL.
func (d *Database) ClusterPort() int {
	if d.cluster == nil {
		return 0
	}
	return d.cluster.Port()
}

// openDatabase starts the embedded cluster when no URL is configured, connects and migrates.
func openDatabase(ctx context.Context, cfg Config, tel *telemetry.Telemetry, logger *slog.Logger) (*Database, error) {
	d := &Database{}
	url := cfg.DatabaseURL
	if cfg.Embedded() {
		c, err := cluster.Start(ctx, cluster.Config{
			DataDir: filepath.Join(cfg.DataDir, "postgres"), BinDir: cfg.PGBin, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("embedded database: %w", err)
		}
		if err := c.CreateDatabase(ctx, "otpcard"); err != nil {
			_ = c.Stop(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("embedded database: %w", err)
		}
		d.cluster, url = c, c.URL("otpcard")
	}
	db, err := postgres.Open(ctx, url, postgres.Options{MaxOpenConns: cfg.DatabaseMaxConns,
		TracerProvider: tel.TracerProvider(), MeterProvider: tel.MeterProvider()})
	if err == nil {
		d.DB = db
		var applied []string
		applied, err = postgres.Migrate(ctx, db)
		if len(applied) > 0 {
			logger.Info("migrations applied", "names", applied)
		}
	}
	if err != nil {
		return nil, errors.Join(err, d.Close(context.WithoutCancel(ctx)))
	}
	return d, nil
}

// Close closes the pool and stops the embedded cluster.
func (d *Database) Close(ctx context.Context) error {
	var errs []error
	if d.DB != nil {
		errs = append(errs, d.DB.Close())
	}
	if d.cluster != nil {
		errs = append(errs, d.cluster.Stop(ctx))
	}
	return errors.Join(errs...)
}

func newDatabase(lc fx.Lifecycle, cfg Config, tel *telemetry.Telemetry, logger *slog.Logger) (*Database, error) {
	d, err := openDatabase(context.Background(), cfg, tel, logger)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(d.Close))
	return d, nil
}
