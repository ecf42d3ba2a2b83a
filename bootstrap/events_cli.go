package bootstrap

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/telemetry"
)

const eventsUsage = `usage: otpcard events rewind SUBSCRIBER

A subscriber that has never run starts at the newest event: a new webhook does not announce
history. To hand a subscriber the history still in the outbox, rewind it; it then receives every
event the outbox still holds, oldest first, from its next delivery on (a running service picks
this up by itself). Subscribers: audit, webhook, notify.
`

// eventsCommand runs `otpcard events ...`.
func eventsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, eventsUsage) }
	if err := fs.Parse(args); err != nil {
		return &usageError{err}
	}
	if fs.NArg() != 2 || fs.Arg(0) != "rewind" {
		fmt.Fprintf(stderr, "otpcard events: want: rewind SUBSCRIBER\n%s", eventsUsage)
		return &usageError{errors.New("events: want rewind SUBSCRIBER")}
	}
	subscriber := fs.Arg(1)
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	// Only the subscribers this configuration runs: the service forgets the cursors of others at
	// its next start.
	configured := []string{"audit"}
	if cfg.WebhookURL != "" {
		configured = append(configured, "webhook")
	}
	if cfg.SMTPURL != "" {
		configured = append(configured, "notify")
	}
	if !slices.Contains(configured, subscriber) {
		return fmt.Errorf("events rewind: %q is not a subscriber of this configuration (it has: %s)",
			subscriber, strings.Join(configured, ", "))
	}
	var ahead int
	err = withDatabase(ctx, cfg, stderr, func(d *Database, _ *telemetry.Telemetry) error {
		ahead, err = postgres.NewEventFeed(d.DB).Rewind(ctx, subscriber)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "subscriber %s rewound: it will receive the %d event(s) still in the outbox, oldest first\n", subscriber, ahead)
	return nil
}
