package bootstrap

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/telemetry"
	"github.com/otpcard/otpcard/domain/rollout"
)

const rolloutUsage = `usage: otpcard rollout watch JOB

Shows a rollout job's progress as a live bar (items done of the total, rate and time left) until
the job ends, reading it from the service's database (the same configuration as the service).
Exits 0 when the job succeeded (some items may have failed: see GET .../items?result=failed),
1 when it failed or was cancelled, or when there is no such job.
`

// rolloutWatchEvery is how often rollout watch reads the job.
const rolloutWatchEvery = 250 * time.Millisecond

// rolloutCommand runs `otpcard rollout watch JOB`.
func rolloutCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rollout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, rolloutUsage) }
	if err := fs.Parse(args); err != nil {
		return &usageError{err}
	}
	if fs.NArg() != 2 || fs.Arg(0) != "watch" {
		fmt.Fprintf(stderr, "otpcard rollout: want: watch JOB\n%s", rolloutUsage)
		return &usageError{errors.New("rollout: want watch JOB")}
	}
	id := fs.Arg(1)
	if err := rollout.ValidateJobID(id); err != nil {
		return fmt.Errorf("rollout job %q: not a job id (a UUID)", shortArg(id))
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	return withDatabase(ctx, cfg, stderr, func(d *Database, _ *telemetry.Telemetry) error {
		return watchJob(ctx, postgres.NewRolloutStore(d.DB), id, stdout, rolloutWatchEvery)
	})
}

// jobReader reads a job by its id alone.
type jobReader interface {
	JobByID(ctx context.Context, id string) (rollout.Job, error)
}

// watchJob draws the job's progress until it ends. The bar counts the items done since the
// watch began, so that its rate and time left are the job's now, whatever it did before.
func watchJob(ctx context.Context, jobs jobReader, id string, out io.Writer, every time.Duration) error {
	j, err := jobs.JobByID(ctx, id)
	if err != nil {
		return err
	}
	start := j.Done
	bar := progressbar.NewOptions(max(j.Total-start, 1), progressbar.OptionSetWriter(out),
		progressbar.OptionSetDescription(progress(j)), progressbar.OptionShowIts(), progressbar.OptionSetItsString("items"),
		progressbar.OptionSetPredictTime(true), progressbar.OptionSetElapsedTime(true), progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(every), progressbar.OptionSetRenderBlankState(true))
	for {
		bar.Describe(progress(j))
		_ = bar.Set(j.Done - start)
		if j.Status.Ended() {
			_ = bar.Finish()
			fmt.Fprintf(out, "\nrollout job %s %s: %d of %d items done, %d failed", j.ID, j.Status, j.Done, j.Total, j.Failed)
			if j.PrintBatchID != "" {
				fmt.Fprintf(out, "; print batch %s", j.PrintBatchID)
			}
			fmt.Fprintln(out)
			if j.Status != rollout.StatusSucceeded {
				return fmt.Errorf("rollout job %s %s", j.ID, j.Status)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
		if j, err = jobs.JobByID(ctx, id); err != nil {
			return err
		}
	}
}

// progress is the bar's description: the job's kind and status, done of total, failed.
func progress(j rollout.Job) string {
	return fmt.Sprintf("%s %s %d/%d (%d failed)", j.Kind, j.Status, j.Done, j.Total, j.Failed)
}

// shortArg keeps an argument short enough to repeat in one line.
func shortArg(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
