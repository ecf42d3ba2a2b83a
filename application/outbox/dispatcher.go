// Package outbox delivers committed domain events to in-process subscribers: at least once, in
// order (so in order per credential), resuming after a restart from where each subscriber stopped.
// It is the extension point for other modules: a module subscribes by implementing Subscriber.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/otpcard/otpcard/domain/event"
)

// Subscriber receives events. Handle must be idempotent: after a crash an event may come again.
type Subscriber interface {
	// Name identifies the subscriber's position in the event log; it must never change.
	Name() string
	// Handle processes one event; an error stops delivery to this subscriber and the event comes
	// again after a backoff.
	Handle(ctx context.Context, e event.Stored) error
}

// BatchSubscriber is a Subscriber that can take a whole batch at once, in order (for example
// with one database statement); the dispatcher then calls HandleBatch instead of Handle. An error
// means none of the batch was handled.
type BatchSubscriber interface {
	Subscriber
	HandleBatch(ctx context.Context, events []event.Stored) error
}

// Feed hands out committed events.
type Feed interface {
	// Subscribe readies the positions of exactly these subscribers: a subscriber that has none
	// yet starts after the newest event committed so far (a new subscriber does not receive the
	// history, API.md section 7), and the positions of subscribers not named are forgotten, so
	// that a subscriber no longer configured cannot hold the outbox back.
	Subscribe(ctx context.Context, subscribers []string) error
	// Claim takes the subscriber's position unless another instance holds it (then it returns
	// 0, nil), loads up to limit committed events after it and calls deliver with them; the
	// position advances past the first `accepted` events, in one transaction. It returns how
	// many were accepted.
	Claim(ctx context.Context, subscriber string, limit int, deliver func([]event.Stored) (accepted int, err error)) (int, error)
}

// Options tune the dispatcher.
type Options struct {
	// Poll is how long an idle subscriber waits before looking again.
	Poll time.Duration
	// MaxBackoff bounds the wait after a failed delivery.
	MaxBackoff time.Duration
	// Batch is how many events one claim loads.
	Batch  int
	Logger *slog.Logger
}

// Dispatcher runs one delivery loop per subscriber.
type Dispatcher struct {
	feed   Feed
	subs   []Subscriber
	opts   Options
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewDispatcher builds a dispatcher; Start runs it.
func NewDispatcher(feed Feed, subs []Subscriber, o Options) *Dispatcher {
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 100
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{feed: feed, subs: subs, opts: o}
}

// Start readies the subscribers' positions (Feed.Subscribe) and launches the loops; it does not
// wait for any delivery.
func (d *Dispatcher) Start(ctx context.Context) error {
	names := make([]string, len(d.subs))
	for i, s := range d.subs {
		names[i] = s.Name()
	}
	if err := d.feed.Subscribe(ctx, names); err != nil {
		return fmt.Errorf("start event delivery: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	for _, s := range d.subs {
		d.wg.Go(func() { d.loop(ctx, s) })
	}
	return nil
}

// Stop ends the loops and waits for deliveries in flight, or until ctx ends.
func (d *Dispatcher) Stop(ctx context.Context) error {
	if d.cancel == nil {
		return nil
	}
	d.cancel()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DeliverPending delivers everything committed so far to every subscriber, once; for tools and
// tests that need the event log drained now.
func (d *Dispatcher) DeliverPending(ctx context.Context) error {
	for _, s := range d.subs {
		for {
			n, err := d.feed.Claim(ctx, s.Name(), d.opts.Batch, d.deliverTo(ctx, s))
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

func (d *Dispatcher) loop(ctx context.Context, s Subscriber) {
	backoff := time.Duration(0)
	for {
		n, err := d.feed.Claim(ctx, s.Name(), d.opts.Batch, d.deliverTo(ctx, s))
		wait := d.opts.Poll
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			backoff = min(max(2*backoff, d.opts.Poll), d.opts.MaxBackoff)
			wait = backoff
			d.opts.Logger.Warn("event delivery failed; retrying", "subscriber", s.Name(),
				"retry_in", wait.String(), "error", err.Error())
		case n > 0:
			backoff, wait = 0, 0
		default:
			backoff = 0
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}

// errPartial marks a batch that stopped at a failing event.
var errPartial = errors.New("delivery stopped")

func (d *Dispatcher) deliverTo(ctx context.Context, s Subscriber) func([]event.Stored) (int, error) {
	return func(events []event.Stored) (int, error) {
		if b, ok := s.(BatchSubscriber); ok {
			if err := b.HandleBatch(ctx, events); err != nil {
				return 0, errors.Join(errPartial, err)
			}
			return len(events), nil
		}
		for i, e := range events {
			if err := s.Handle(ctx, e); err != nil {
				return i, errors.Join(errPartial, err)
			}
		}
		return len(events), nil
	}
}
