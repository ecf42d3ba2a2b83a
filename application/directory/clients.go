package directory

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// Clients answers CreateClient, GetClient, ListClients, ChangeClient and DeleteClient.
type Clients struct {
	store   ClientStore
	changer ClientChanger
	now     Clock
	tracer  trace.Tracer
}

// NewClients builds the client use cases.
func NewClients(store ClientStore, changer ClientChanger, now Clock, tracer trace.Tracer) *Clients {
	return &Clients{store: store, changer: changer, now: now, tracer: tracer}
}

// CreateClient creates a client with its default OTP card policy. A caller with a data room
// creates only clients named in it (API.md section 2). Errors: access errors,
// fault.ErrInvalid, fault.ErrDuplicate.
func (uc *Clients) CreateClient(ctx context.Context, c caller.Caller, in directory.Client) (directory.Client, error) {
	ctx, span := uc.tracer.Start(ctx, "CreateClient")
	defer span.End()
	now := uc.now()
	if err := c.Principal.Authorize(access.Request{Rights: []access.Right{access.ClientCreate}}, now); err != nil {
		return directory.Client{}, err
	}
	client, err := directory.NewClient(in, now)
	if err != nil {
		return directory.Client{}, err
	}
	// The extId is known only now (it may have been generated): a data room admits named clients.
	if err := c.Principal.Authorize(access.Request{Client: client.ExtID, Rights: []access.Right{access.ClientCreate}}, now); err != nil {
		return directory.Client{}, err
	}
	policy := credential.NewDefaultPolicy(client.ExtID, now)
	events := []event.Event{
		entityEvent(directory.ClientCreated, now, c.Meta(), client.ExtID, "", client.Version),
		{Type: credential.PolicyCreated, Time: now, Actor: c.Meta().Actor, ClientExtID: client.ExtID,
			PolicyExtID: policy.ExtID, Version: policy.Version, RequestID: c.RequestID},
	}
	if err := uc.store.Create(ctx, client, policy, events); err != nil {
		return directory.Client{}, fmt.Errorf("create client %s: %w", client.ExtID, err)
	}
	return client, nil
}

// GetClient returns one client. Errors: access errors, *fault.NotFoundError.
func (uc *Clients) GetClient(ctx context.Context, c caller.Caller, extID string) (directory.Client, error) {
	ctx, span := uc.tracer.Start(ctx, "GetClient")
	defer span.End()
	err := c.Principal.Authorize(access.Request{Client: extID, Rights: []access.Right{access.ClientView}}, uc.now())
	if err != nil {
		return directory.Client{}, err
	}
	client, err := uc.store.Get(ctx, extID)
	if err != nil {
		return directory.Client{}, fmt.Errorf("get client: %w", err)
	}
	return client, nil
}

// ListClients returns a page of the clients inside the caller's data room. Errors: access errors.
func (uc *Clients) ListClients(ctx context.Context, c caller.Caller, page listing.Page) (listing.Result[directory.Client], error) {
	ctx, span := uc.tracer.Start(ctx, "ListClients")
	defer span.End()
	if err := c.Principal.Authorize(access.Request{Rights: []access.Right{access.ClientView}}, uc.now()); err != nil {
		return listing.Result[directory.Client]{}, err
	}
	var only []string // nil: every client; empty: none
	if room, restricted := c.Principal.DataRoom(); restricted {
		only = append([]string{}, room...)
	}
	res, err := uc.store.List(ctx, only, page)
	if err != nil {
		return res, fmt.Errorf("list clients: %w", err)
	}
	return res, nil
}
