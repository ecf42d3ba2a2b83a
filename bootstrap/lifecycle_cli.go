package bootstrap

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/otpcard/otpcard/adapters/telemetry"
	appcredential "github.com/otpcard/otpcard/application/credential"
)

const lifecycleUsage = `usage: otpcard lifecycle run

Runs the lifecycle job once, now, whatever its interval (OTPCARD_LIFECYCLE_INTERVAL): records
otp-card.close-to-expiration and otp-card.expired for the cards that have not had them, and
retires renewed cards whose fallback period is over, as the actor system. It prints what it did.
When a service instance is running the job at that moment, it does nothing and exits 1.
`

// lifecycleCommand runs `otpcard lifecycle run`.
func lifecycleCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lifecycle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, lifecycleUsage) }
	if err := fs.Parse(args); err != nil {
		return &usageError{err}
	}
	if fs.NArg() != 1 || fs.Arg(0) != "run" {
		fmt.Fprintf(stderr, "otpcard lifecycle: want: run\n%s", lifecycleUsage)
		return &usageError{errors.New("lifecycle: want run")}
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	var r appcredential.LifecycleReport
	err = withDatabase(ctx, cfg, stderr, func(d *Database, tel *telemetry.Telemetry) error {
		hasher, err := newCellHasher(cfg)
		if err != nil {
			return err
		}
		r, err = newLifecycleJob(d, newTracer(tel), newAutomaticRenewals(cfg, d, hasher)).Run(ctx)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "lifecycle job: %d user(s) with due cards; %d close-to-expiration, %d expired, %d retired after the fallback period; "+
		"%d due for automatic renewal: %d renewed, %d skipped (two cards), %d without print recipients; took %s\n",
		r.Holders, r.CloseToExpiration, r.Expired, r.Retired, r.RenewalsDue, r.Renewed, r.SkippedTwoCards, r.NoPrintBatch,
		r.Finished.Sub(r.Started).Round(time.Millisecond))
	return nil
}
