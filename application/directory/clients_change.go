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

// DeleteClient deletes a client that has no users.
type DeleteClient struct {
	clients    ClientChanger
	dependents Dependents
	now        Clock
	tracer     trace.Tracer
}

// DeleteClientCommand names the client.
type DeleteClientCommand struct {
	Caller caller.Caller
	ExtID  string
}

// Deleted tells what a delete removed: the entity at its last version.
type Deleted struct {
	ExtID   string
	Version int32
}

// Do deletes the client, and with it what hangs on it (its policies, through its dependents); it
// records client.deleted. Errors: access errors, *fault.NotFoundError, directory.ErrHasDependents.
func (uc *DeleteClient) Do(ctx context.Context, cmd DeleteClientCommand) (Deleted, error) {
	ctx, span := uc.tracer.Start(ctx, "DeleteClient")
	defer span.End()
	err := cmd.Caller.Principal.Authorize(access.Request{Client: cmd.ExtID, Rights: []access.Right{access.ClientDelete}}, uc.now())
	if err != nil {
		return Deleted{}, err
	}
	var deleted Deleted
	err = uc.clients.Delete(ctx, cmd.ExtID, func(ctx context.Context, r ClientRemoval) ([]event.Event, error) {
		if err := r.Client.CheckDeletable(r.Users); err != nil {
			return nil, err
		}
		meta := cmd.Caller.Meta()
		if err := uc.dependents.ClientDeleting(ctx, r.Client, meta); err != nil {
			return nil, err
		}
		deleted = Deleted{ExtID: r.Client.ExtID, Version: r.Client.Version}
		now := later(uc.now(), r.Client.LastModified)
		return []event.Event{entityEvent(directory.ClientDeleted, now, meta, r.Client.ExtID, "", r.Client.Version)}, nil
	})
	if err != nil {
		return Deleted{}, fmt.Errorf("delete client %s: %w", cmd.ExtID, err)
	}
	return deleted, nil
}
