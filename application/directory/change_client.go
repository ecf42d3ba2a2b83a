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

// ChangeClient applies a partial change to a client (a PATCH).
type ChangeClient struct {
	clients ClientChanger
	now     Clock
	tracer  trace.Tracer
}

// ChangeClientCommand is the change; with Version set, only while the client is at that version.
type ChangeClientCommand struct {
	Caller  caller.Caller
	ExtID   string
	Version *int32
	Change  directory.ClientChange
}

// Do changes the client and records client.changed; a change that repeats the stored values
// returns the client as it is, with no new version and no event. Errors: access errors,
// *fault.NotFoundError, fault.ErrInvalid, *fault.VersionConflictError, fault.ErrDuplicate (the
// name is taken).
func (uc *ChangeClient) Do(ctx context.Context, cmd ChangeClientCommand) (directory.Client, error) {
	ctx, span := uc.tracer.Start(ctx, "ChangeClient")
	defer span.End()
	err := cmd.Caller.Principal.Authorize(access.Request{Client: cmd.ExtID, Rights: []access.Right{access.ClientModify}}, uc.now())
	if err != nil {
		return directory.Client{}, err
	}
	var changed directory.Client
	err = uc.clients.Update(ctx, cmd.ExtID, func(client *directory.Client) ([]event.Event, error) {
		if err := client.CheckVersion(cmd.Version); err != nil {
			return nil, err
		}
		did, err := client.Change(cmd.Change, uc.now())
		if err != nil {
			return nil, err
		}
		changed = *client
		if !did {
			return nil, nil
		}
		ev := entityEvent(directory.ClientChanged, client.LastModified, cmd.Caller.Meta(), client.ExtID, "", client.Version)
		ev.Data = commentData(cmd.Change.Comment)
		return []event.Event{ev}, nil
	})
	if err != nil {
		return directory.Client{}, fmt.Errorf("change client %s: %w", cmd.ExtID, err)
	}
	return changed, nil
}
