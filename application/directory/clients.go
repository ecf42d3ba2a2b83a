package directory

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// CreateClient creates a client, and with it what its dependents give it (its default OTP card
// policy).
type CreateClient struct {
	clients    ClientCreator
	dependents Dependents
	frame      caller.Frame
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
	req := access.Request{Rights: []access.Right{access.ClientCreate}}
	return caller.Run(ctx, uc.frame, "CreateClient", cmd.Caller, req, func(ctx context.Context) (directory.Client, error) {
		now := uc.frame.Now()
		client, err := directory.NewClient(cmd.Client, now)
		if err != nil {
			return directory.Client{}, err
		}
		// The extId is known only now (it may have been generated): a data room admits named clients.
		req.Client = client.ExtID
		if err := cmd.Caller.Principal.Authorize(req, now); err != nil {
			return directory.Client{}, err
		}
		meta := cmd.Caller.Meta()
		events := []event.Event{entityEvent(directory.ClientCreated, now, meta, client.ExtID, "", client.Version)}
		err = uc.clients.Create(ctx, client, events, func(ctx context.Context) error {
			if err := uc.dependents.ClientCreated(ctx, client, meta); err != nil {
				return err
			}
			return uc.dependents.ClientSaved(ctx, client)
		})
		return client, fault.Wrap(err, "create client %s", client.ExtID)
	})
}

// GetClient reads one client.
type GetClient struct {
	clients ClientReader
	frame   caller.Frame
}

// GetClientQuery names the client.
type GetClientQuery struct {
	Caller caller.Caller
	ExtID  string
}

// Do returns the client. Errors: access errors, *fault.NotFoundError.
func (uc *GetClient) Do(ctx context.Context, q GetClientQuery) (directory.Client, error) {
	req := access.Request{Client: q.ExtID, Rights: []access.Right{access.ClientView}}
	return caller.Run(ctx, uc.frame, "GetClient", q.Caller, req, func(ctx context.Context) (directory.Client, error) {
		client, err := uc.clients.Get(ctx, q.ExtID)
		return client, fault.Wrap(err, "get client")
	})
}

// ListClients pages through the clients inside the caller's data room.
type ListClients struct {
	clients ClientReader
	frame   caller.Frame
}

// ListClientsQuery asks for one page.
type ListClientsQuery struct {
	Caller caller.Caller
	Page   listing.Page
}

// Do returns a page of clients, oldest first. Errors: access errors.
func (uc *ListClients) Do(ctx context.Context, q ListClientsQuery) (listing.Result[directory.Client], error) {
	req := access.Request{Rights: []access.Right{access.ClientView}}
	return caller.Run(ctx, uc.frame, "ListClients", q.Caller, req, func(ctx context.Context) (listing.Result[directory.Client], error) {
		var only []string // nil: every client; empty: none
		if room, restricted := q.Caller.Principal.DataRoom(); restricted {
			only = append([]string{}, room...)
		}
		res, err := uc.clients.List(ctx, only, q.Page)
		return res, fault.Wrap(err, "list clients")
	})
}
