package bootstrap

import (
	"log/slog"
	"slices"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/webhook"
	"github.com/otpcard/otpcard/application/audit"
	"github.com/otpcard/otpcard/application/outbox"
	"github.com/otpcard/otpcard/domain/event"
)

// eventsModule delivers committed events to the subscribers of the "subscribers" group. A module
// that wants the events provides one more subscriber, one line:
//
//	fx.Provide(asSubscriber(newMySubscriber)),
func eventsModule(cfg Config) fx.Option {
	opts := []fx.Option{
		fx.Provide(newDispatcher),
		fx.Provide(asSubscriber(newAuditRecorder)),
		fx.Invoke(func(*outbox.Dispatcher) {}),
	}
	if cfg.WebhookURL != "" {
		opts = append(opts, fx.Provide(asSubscriber(newWebhook)))
	}
	return fx.Module("events", opts...)
}

var auditModule = fx.Module("audit",
	fx.Provide(newAuditStore, newAudit),
	servedOverHTTP[audit.UseCases](),
)

// asSubscriber adds a constructor's result to the subscribers the dispatcher serves.
func asSubscriber(constructor any) any {
	return fx.Annotate(constructor, fx.As(new(outbox.Subscriber)), fx.ResultTags(`group:"subscribers"`))
}

type dispatcherDeps struct {
	fx.In
	Lifecycle   fx.Lifecycle
	DB          *Database
	Subscribers []outbox.Subscriber `group:"subscribers"`
	Logger      *slog.Logger
}

func newDispatcher(d dispatcherDeps) *outbox.Dispatcher {
	dispatcher := outbox.NewDispatcher(postgres.NewEventFeed(d.DB.DB), d.Subscribers, outbox.Options{Logger: d.Logger})
	d.Lifecycle.Append(fx.StartStopHook(dispatcher.Start, dispatcher.Stop))
	return dispatcher
}

func newAuditStore(db *Database) *postgres.AuditStore { return postgres.NewAuditStore(db.DB) }

func newAuditRecorder(store *postgres.AuditStore) *audit.Recorder { return audit.NewRecorder(store) }

type auditDeps struct {
	fx.In
	Store  *postgres.AuditStore
	Tracer trace.Tracer
	// Types are the event types of every module (recordsEvents).
	Types [][]event.Type `group:"event-types"`
}

// newAudit answers audit queries about the event types every module records.
func newAudit(d auditDeps) audit.UseCases {
	return audit.UseCases{ListAuditEvents: audit.NewListAuditEvents(d.Store, clock, d.Tracer, slices.Concat(d.Types...))}
}

// recordsEvents tells the audit trail the event types a module records, one line in the
// module's fx.Module.
func recordsEvents(types func() []event.Type) fx.Option {
	return fx.Supply(fx.Annotated{Group: "event-types", Target: types()})
}

// newWebhook notifies OTPCARD_WEBHOOK_URL of every event. Its stop hook runs after the
// dispatcher's (fx stops in reverse order of construction), when no delivery is in flight.
func newWebhook(lc fx.Lifecycle, cfg Config) (*webhook.Notifier, error) {
	n, err := webhook.New(cfg.WebhookURL, cfg.WebhookSecret, nil)
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(n.Close))
	return n, nil
}
