package directory

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// CreateClient creates a client, and with it what its dependents give it (its default OTP card
// policy).
type CreateClient struct {
	clients    ClientCreator
	dependents Dependents
	now        Clock
	tracer     trace.Tracer
}

// CreateClientCommand describes the new client; an empty extId is generated.
type CreateClientCommand struct {
	Caller caller.Caller
	Client directory.Client
}

// Do creates the client and records client.created. A caller with a data room creates only
// clients named in it (API.md section 2). Errors: access errors, fault.ErrInvalid,
// fault.ErrDuplicate.
func (uc *CreateClient) Do(ctx context.Context, cmd CreateClientCommand) (directory.Client, error) {
	ctx, span := uc.tracer.Start(ctx, "CreateClient")
	defer span.End()
	now := uc.now()
	if err := cmd.Caller.Principal.Authorize(access.Request{Rights: []access.Right{access.ClientCreate}}, now); err != nil {
		return directory.Client{}, err
	}
	client, err := directory.NewClient(cmd.Client, now)
	if err != nil {
		return directory.Client{}, err
	}
	// The extId is known only now (it may have been generated): a data room admits named clients.
	if err := cmd.Caller.Principal.Authorize(access.Request{Client: client.ExtID, Rights: []access.Right{access.ClientCreate}}, now); err != nil {
		return directory.Client{}, err
	}
	meta := cmd.Caller.Meta()
	events := []event.Event{entityEvent(directory.ClientCreated, now, meta, client.ExtID, "", client.Version)}
	err = uc.clients.Create(ctx, client, events, func(ctx context.Context) error {
		return uc.dependents.ClientCreated(ctx, client, meta)
	})
	if err != nil {
		return directory.Client{}, fmt.Errorf("create client %s: %w", client.ExtID, err)
	}
	return client, nil
}

// GetClient reads one client.
type GetClient struct {
	clients ClientReader
	now     Clock
	tracer  trace.Tracer
}

// GetClientQuery names the client.
type GetClientQuery struct {
	Caller caller.Caller
	ExtID  string
}

// Do returns the client. Errors: access errors, *fault.NotFoundError.
func (uc *GetClient) Do(ctx context.Context, q GetClientQuery) (directory.Client, error) {
	ctx, span := uc.tracer.Start(ctx, "GetClient")
	defer span.End()
	err := q.Caller.Principal.Authorize(access.Request{Client: q.ExtID, Rights: []access.Right{access.ClientView}}, uc.now())
	if err != nil {
		return directory.Client{}, err
	}
	client, err := uc.clients.Get(ctx, q.ExtID)
	if err != nil {
		return directory.Client{}, fmt.Errorf("get client: %w", err)
	}
	return client, nil
}

// ListClients pages through the clients inside the caller's data room.
type ListClients struct {
	clients ClientReader
	now     Clock
	tracer  trace.Tracer
}

// ListClientsQuery asks for one page.
type ListClientsQuery struct {
	Caller caller.Caller
	Page   listing.Page
}

// Do returns a page of clients, oldest first. Errors: access errors.
func (uc *ListClients) Do(ctx context.Context, q ListClientsQuery) (listing.Result[directory.Client], error) {
	ctx, span := uc.tracer.Start(ctx, "ListClients")
	defer span.End()
	if err := q.Caller.Principal.Authorize(access.Request{Rights: []access.Right{access.ClientView}}, uc.now()); err != nil {
		return listing.Result[directory.Client]{}, err
	}
	var only []string // nil: every client; empty: none
	if room, restricted := q.Caller.Principal.DataRoom(); restricted {
		only = append([]string{}, room...)
	}
	res, err := uc.clients.List(ctx, only, q.Page)
	if err != nil {
		return res, fmt.Errorf("list clients: %w", err)
	}
	return res, nil
}
