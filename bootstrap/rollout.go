package bootstrap

import (
	"context"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/adapters/postgres"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appprinting "github.com/otpcard/otpcard/application/printing"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/rollout"
)

// rolloutModule is the rollout module (API.md 11.1): the job routes, and the runner that works
// through the jobs in the background on every instance.
var rolloutModule = fx.Module("rollout",
	fx.Provide(newRolloutWake, newRollout, newRolloutPrinting, newRolloutImporter),
	servedOverHTTP[approllout.UseCases](),
	recordsEvents(rollout.EventTypes),
	fx.Invoke(runRollouts),
)

// rolloutWake tells this instance's runner that a job was stored.
type rolloutWake chan struct{}

func newRolloutWake() rolloutWake { return make(rolloutWake, 1) }

func (w rolloutWake) wake() {
	select {
	case w <- struct{}{}:
	default: // a wake-up is pending already
	}
}

func newRolloutPrinting(cfg Config, db *Database, hasher *cellhash.Hasher) approllout.Printing {
	printer := newPrinter(cfg, db)
	return appprinting.NewRolloutPrinting(appprinting.NewCardPrinting(newIssueForPrint(db, hasher), printer), printer)
}

func newRolloutImporter(db *Database, hasher *cellhash.Hasher) approllout.Importer {
	return appcredential.NewRolloutImporter(newIssueForPrint(db, hasher), postgres.NewCardStore(db.DB), hasher, clock)
}

func newRollout(db *Database, tracer trace.Tracer, printing approllout.Printing, importer approllout.Importer, wake rolloutWake) approllout.UseCases {
	return approllout.New(approllout.Deps{Jobs: postgres.NewRolloutStore(db.DB),
		Targets:  appcredential.NewRolloutTargets(postgres.NewCardStore(db.DB)),
		Printing: printing, Importer: importer, Wake: wake.wake, Now: clock, Tracer: tracer})
}

// rolloutPoll is how often a runner looks for jobs stored by other instances, or left by one
// that stopped.
const rolloutPoll = 2 * time.Second

// runRollouts runs the jobs: at the start, when this instance stores a job, and every poll.
func runRollouts(lc fx.Lifecycle, cfg Config, db *Database, printing approllout.Printing, importer approllout.Importer,
	wake rolloutWake, logger *slog.Logger) {
	host, _ := os.Hostname()
	store := postgres.NewRolloutStore(db.DB)
	runner := approllout.NewRunner(approllout.RunnerDeps{Jobs: store, Leases: store, Printing: printing, Importer: importer, Now: clock,
		Owner: host + "/" + extid.New(), Lease: cfg.RolloutLease, Chunk: rolloutChunk})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() {
				defer close(done)
				ticker := time.NewTicker(rolloutPoll)
				defer ticker.Stop()
				for {
					if n, err := store.SweepStaging(ctx, clock().Add(-staleStaging)); err != nil && ctx.Err() == nil {
						logger.Warn("sweeping import uploads that were cut off", "error", err.Error())
					} else if n > 0 {
						logger.Info("swept import uploads that were cut off", "jobs", n)
					}
					for ctx.Err() == nil {
						found, err := runner.RunOne(ctx)
						if err != nil && ctx.Err() == nil {
							logger.Error("rollout job stopped (a job that can go on resumes when its lease runs out)", "error", err.Error())
						}
						if !found || err != nil {
							break
						}
					}
					select {
					case <-ctx.Done():
						return
					case <-wake:
					case <-ticker.C:
					}
				}
			}()
			return nil
		},
		OnStop: func(stop context.Context) error {
			cancel() // a chunk in flight rolls back; its items are done again by whoever resumes
			select {
			case <-done:
				return nil
			case <-stop.Done():
				return stop.Err()
			}
		},
	})
}

// staleStaging is when an import still staging was cut off (by a crash): longer than any upload.
const staleStaging = approllout.MaxImportDuration + time.Hour

// rolloutChunk is how many items one chunk (one transaction, one encrypted part of the batch)
// holds: at most 500 (API.md 11.2); fewer bounds the cells in memory and the locks held.
const rolloutChunk = 100
