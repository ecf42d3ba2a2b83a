package directory

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// ChangeClient applies a partial change to a client (a PATCH).
type ChangeClient struct {
	clients    ClientChanger
	dependents Dependents
	frame      caller.Frame
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
	req := access.Request{Client: cmd.ExtID, Rights: []access.Right{access.ClientModify}}
	return caller.Run(ctx, uc.frame, "ChangeClient", cmd.Caller, req, func(ctx context.Context) (directory.Client, error) {
		var changed directory.Client
		err := uc.clients.Update(ctx, cmd.ExtID, func(ctx context.Context, client *directory.Client) ([]event.Event, error) {
			did, err := patch(client, cmd.Version, cmd.Change, uc.frame.Now())
			changed = *client // what Do returns once Update succeeds
			if err != nil || !did {
				return nil, err
			}
			ev := entityEvent(directory.ClientChanged, client.LastModified, cmd.Caller.Meta(), client.ExtID, "", client.Version)
			ev.Data = commentData(cmd.Change.Comment)
			return []event.Event{ev}, uc.dependents.ClientSaved(ctx, *client)
		})
		return changed, fault.Wrap(err, "change client %s", cmd.ExtID)
	})
}

// DeleteClient deletes a client that has no users.
type DeleteClient struct {
	clients    ClientChanger
	dependents Dependents
	frame      caller.Frame
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
	req := access.Request{Client: cmd.ExtID, Rights: []access.Right{access.ClientDelete}}
	return caller.Run(ctx, uc.frame, "DeleteClient", cmd.Caller, req, func(ctx context.Context) (Deleted, error) {
		var deleted Deleted
		err := uc.clients.Delete(ctx, cmd.ExtID, func(ctx context.Context, r ClientRemoval) ([]event.Event, error) {
			if err := r.Client.CheckDeletable(r.Users); err != nil {
				return nil, err
			}
			meta := cmd.Caller.Meta()
			if err := uc.dependents.ClientDeleting(ctx, r.Client, meta); err != nil {
				return nil, err
			}
			deleted = Deleted{ExtID: r.Client.ExtID, Version: r.Client.Version}
			now := later(uc.frame.Now(), r.Client.LastModified)
			return []event.Event{entityEvent(directory.ClientDeleted, now, meta, r.Client.ExtID, "", r.Client.Version)}, nil
		})
		return deleted, fault.Wrap(err, "delete client %s", cmd.ExtID)
	})
}
