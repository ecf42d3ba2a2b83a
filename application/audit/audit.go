// Package audit is the audit trail module: the first subscriber of the domain events. It keeps
// every event, append-only, in its own tables and answers queries about them (API.md section 7).
package audit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/outbox"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// Filter narrows a query; empty members match everything.
type Filter struct {
	ClientExtID, UserExtID, CredentialExtID string
	Type                                    event.Type
	Since                                   time.Time
	// Clients restricts to a data room; nil means every client.
	Clients []string
}

// Store keeps the audit trail.
type Store interface {
	// Append records events; recording the same event twice keeps one row.
	Append(ctx context.Context, events ...event.Stored) error
	// List returns a page of recorded events, oldest first (by time, then id).
	List(ctx context.Context, f Filter, page listing.Page) (listing.Result[event.Stored], error)
}

// Recorder is the audit trail's subscriber.
type Recorder struct {
	store Store
}

// NewRecorder builds the subscriber.
func NewRecorder(store Store) *Recorder { return &Recorder{store: store} }

var _ outbox.BatchSubscriber = (*Recorder)(nil)

// Name is the recorder's position in the event log.
func (r *Recorder) Name() string { return "audit" }

// Handle records one event.
func (r *Recorder) Handle(ctx context.Context, e event.Stored) error {
	return r.HandleBatch(ctx, []event.Stored{e})
}

// HandleBatch records a batch of events in one go, so the trail keeps up with busy instances.
func (r *Recorder) HandleBatch(ctx context.Context, events []event.Stored) error {
	if len(events) == 0 {
		return nil
	}
	if err := r.store.Append(ctx, events...); err != nil {
		return fmt.Errorf("audit events %d-%d: %w", events[0].ID, events[len(events)-1].ID, err)
	}
	return nil
}

// UseCases are the audit module's use cases: the one value of the module that bootstrap
// provides and the HTTP adapter takes whole.
type UseCases struct {
	ListAuditEvents *ListAuditEvents
}

// ListAuditEvents answers audit queries: the audit module's use case.
type ListAuditEvents struct {
	store Store
	frame caller.Frame
	types map[event.Type]bool
}

// NewListAuditEvents builds the query use case; types are the event types the modules record, the
// only ones a query may filter by.
func NewListAuditEvents(store Store, now func() time.Time, tracer trace.Tracer, types []event.Type) *ListAuditEvents {
	known := make(map[event.Type]bool, len(types))
	for _, t := range types {
		known[t] = true
	}
	return &ListAuditEvents{store: store, frame: caller.Frame{Now: now, Tracer: tracer}, types: known}
}

// ListAuditEventsQuery asks for one page of the audit trail, narrowed by Filter.
type ListAuditEventsQuery struct {
	Caller caller.Caller
	Filter Filter
	Page   listing.Page
}

// Do returns a page of the audit trail inside the caller's data room; it needs AuditView.
// Errors: access errors, fault.ErrInvalid (a type no module records).
func (uc *ListAuditEvents) Do(ctx context.Context, q ListAuditEventsQuery) (listing.Result[event.Stored], error) {
	c, f, page := q.Caller, q.Filter, q.Page
	req := access.Request{Client: f.ClientExtID, Rights: []access.Right{access.AuditView}}
	return caller.Run(ctx, uc.frame, "ListAuditEvents", c, req, func(ctx context.Context) (listing.Result[event.Stored], error) {
		if f.Type != "" && !uc.types[f.Type] {
			return listing.Result[event.Stored]{}, fmt.Errorf("%w: type %.64q is not an event type", fault.ErrInvalid, f.Type)
		}
		f.Clients = nil
		if room, restricted := c.Principal.DataRoom(); restricted {
			f.Clients = append([]string{}, room...)
		}
		res, err := uc.store.List(ctx, f, page)
		return res, fault.Wrap(err, "list audit events")
	})
}

// CursorOf places a recorded event in the listing order.
func CursorOf(e event.Stored) listing.Cursor {
	return listing.Cursor{Created: e.Time, ExtID: strconv.FormatInt(e.ID, 10)}
}
