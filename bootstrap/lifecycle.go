package bootstrap

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/telemetry"
	"github.com/otpcard/otpcard/application/caller"
	appcredential "github.com/otpcard/otpcard/application/credential"
)

// lifecycleModule runs the credential module's lifecycle job on a schedule (API.md 10.4).
var lifecycleModule = fx.Module("lifecycle",
	fx.Provide(newLifecycleJob, newLifecycleMetrics),
	fx.Invoke(scheduleLifecycle),
)

// newLifecycleJob builds the job; its automatic renewals go to the printing module's batches.
func newLifecycleJob(db *Database, tracer trace.Tracer, renewals appcredential.AutomaticRenewals) *appcredential.LifecycleJob {
	return appcredential.NewLifecycleJob(appcredential.LifecycleDeps{
		Store: postgres.NewUpkeepStore(db.DB), Cards: postgres.NewCardStore(db.DB), Runs: postgres.NewJobRuns(db.DB),
		Renewals: renewals, Frame: caller.Frame{Now: clock, Tracer: tracer},
	})
}

// lifecycleMetrics count the job's runs and what they did on /metrics.
type lifecycleMetrics struct {
	runs      metric.Int64Counter
	cards     metric.Int64Counter
	lastCards metric.Int64Gauge
	duration  metric.Float64Histogram
}

func newLifecycleMetrics(tel *telemetry.Telemetry) (*lifecycleMetrics, error) {
	m := tel.MeterProvider().Meter("github.com/otpcard/otpcard/lifecycle")
	var err error
	l := &lifecycleMetrics{}
	if l.runs, err = m.Int64Counter("otpcard.lifecycle.runs",
		metric.WithDescription("Runs of the lifecycle job on this instance, by outcome (succeeded, failed).")); err != nil {
		return nil, err
	}
	if l.cards, err = m.Int64Counter("otpcard.lifecycle.cards",
		metric.WithDescription("Cards the lifecycle job acted on, by action: close-to-expiration, expired, retired, renewed, "+
			"renewal-skipped-two-cards (the user holds two cards), renewal-no-print-batch (the client has no print recipients).")); err != nil {
		return nil, err
	}
	if l.lastCards, err = m.Int64Gauge("otpcard.lifecycle.last_run.cards",
		metric.WithDescription("Cards the last run of the lifecycle job on this instance touched.")); err != nil {
		return nil, err
	}
	l.duration, err = m.Float64Histogram("otpcard.lifecycle.run.duration", metric.WithUnit("s"),
		metric.WithDescription("How long the lifecycle job's runs on this instance took."))
	return l, err
}

// record counts one run.
func (l *lifecycleMetrics) record(ctx context.Context, r appcredential.LifecycleReport, failed bool) {
	outcome := "succeeded"
	if failed {
		outcome = "failed"
	}
	l.runs.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome)))
	for action, n := range map[string]int{
		"close-to-expiration": r.CloseToExpiration, "expired": r.Expired, "retired": r.Retired, "renewed": r.Renewed,
		"renewal-skipped-two-cards": r.SkippedTwoCards, "renewal-no-print-batch": r.NoPrintBatch,
	} {
		l.cards.Add(ctx, int64(n), metric.WithAttributes(attribute.String("action", action)))
	}
	l.lastCards.Record(ctx, int64(r.Touched()))
	if !r.Started.IsZero() {
		l.duration.Record(ctx, r.Finished.Sub(r.Started).Seconds())
	}
}

// lifecycleTick is how often an instance asks whether the job is due: a tenth of the interval,
// between a second and a minute, so that the job runs at most a tick later than due.
func lifecycleTick(interval time.Duration) time.Duration {
	return min(max(interval/10, time.Second), time.Minute)
}

// scheduleLifecycle asks at every tick, from the start on, whether the job is due, and runs it
// when no instance has started it for an interval; it stops with the service.
func scheduleLifecycle(lc fx.Lifecycle, cfg Config, job *appcredential.LifecycleJob, m *lifecycleMetrics, logger *slog.Logger) {
	every(lc, lifecycleTick(cfg.LifecycleInterval), func(ctx context.Context) {
		runLifecycleIfDue(ctx, cfg.LifecycleInterval, job, m, logger)
	})
}

// every calls fn at the start and then at every tick, in one goroutine, until the service stops;
// the stop waits for a call in progress (until the stop's own deadline).
func every(lc fx.Lifecycle, tick time.Duration, fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			wg.Go(func() {
				ticker := time.NewTicker(tick)
				defer ticker.Stop()
				for {
					fn(ctx)
					select {
					case <-ctx.Done():
						return
					case <-ticker.C:
					}
				}
			})
			return nil
		},
		OnStop: func(stop context.Context) error {
			cancel()
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
				return nil
			case <-stop.Done():
				return stop.Err()
			}
		},
	})
}

func runLifecycleIfDue(ctx context.Context, interval time.Duration, job *appcredential.LifecycleJob, m *lifecycleMetrics, logger *slog.Logger) {
	report, ran, err := job.RunDue(ctx, interval)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		m.record(ctx, report, true)
		logger.Error("lifecycle job failed; the next run tries again", append(lifecycleAttrs(report), "error", err.Error())...)
	case ran:
		m.record(ctx, report, false)
		level := slog.LevelDebug // a run with nothing to do is not news
		if report.Holders > 0 {
			level = slog.LevelInfo
		}
		logger.Log(ctx, level, "lifecycle job ran", lifecycleAttrs(report)...)
	}
}

// lifecycleAttrs are a report as log attributes.
func lifecycleAttrs(r appcredential.LifecycleReport) []any {
	return []any{"users", r.Holders, "close_to_expiration", r.CloseToExpiration, "expired", r.Expired,
		"retired", r.Retired, "renewals_due", r.RenewalsDue, "renewed", r.Renewed,
		"renewal_skipped_two_cards", r.SkippedTwoCards, "renewal_no_print_batch", r.NoPrintBatch, "users_failed", r.Failed,
		"duration", r.Finished.Sub(r.Started).String()}
}
