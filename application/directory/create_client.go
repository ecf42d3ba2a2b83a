package directory

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
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
