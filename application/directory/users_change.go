package directory

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// ChangeUser applies a partial change to a user (a PATCH).
type ChangeUser struct {
	users      UserChanger
	dependents Dependents
	frame      caller.Frame
}

// ChangeUserCommand is the change; with Version set, only while the user is at that version.
type ChangeUserCommand struct {
	Caller                 caller.Caller
	ClientExtID, UserExtID string
	Version                *int32
	Change                 directory.UserChange
}

// Do changes the user, records user.changed and tells the dependents; a change that repeats the
// stored values returns the user as it is, with no new version and no event. Errors: access
// errors, *fault.NotFoundError, fault.ErrInvalid, *fault.VersionConflictError,
// fault.ErrDuplicate (the loginId is taken in the client).
func (uc *ChangeUser) Do(ctx context.Context, cmd ChangeUserCommand) (directory.User, error) {
	req := access.Request{Client: cmd.ClientExtID, User: cmd.UserExtID, Rights: []access.Right{access.UserModify}}
	return caller.Run(ctx, uc.frame, "ChangeUser", cmd.Caller, req, func(ctx context.Context) (directory.User, error) {
		var changed directory.User
		err := uc.users.Update(ctx, cmd.ClientExtID, cmd.UserExtID, func(ctx context.Context, u *directory.User) ([]event.Event, error) {
			did, err := patch(u, cmd.Version, cmd.Change, uc.frame.Now())
			changed = *u // what Do returns once Update succeeds
			if err != nil || !did {
				return nil, err
			}
			if err := uc.dependents.UserSaved(ctx, *u); err != nil {
				return nil, err
			}
			ev := entityEvent(directory.UserChanged, u.LastModified, cmd.Caller.Meta(), u.ClientExtID, u.ExtID, u.Version)
			ev.Data = commentData(cmd.Change.Comment)
			return []event.Event{ev}, nil
		})
		return changed, fault.Wrap(err, "change user %s", cmd.UserExtID)
	})
}

// DeleteUser deletes a user.
type DeleteUser struct {
	users      UserChanger
	dependents Dependents
	frame      caller.Frame
}

// DeleteUserCommand names the user.
type DeleteUserCommand struct {
	Caller                 caller.Caller
	ClientExtID, UserExtID string
}

// Do deletes the user, and with it what hangs on it (its OTP cards, through its dependents, which
// record otp-card.deleted); it records user.deleted. Errors: access errors, *fault.NotFoundError.
func (uc *DeleteUser) Do(ctx context.Context, cmd DeleteUserCommand) (Deleted, error) {
	req := access.Request{Client: cmd.ClientExtID, User: cmd.UserExtID, Rights: []access.Right{access.UserDelete}}
	return caller.Run(ctx, uc.frame, "DeleteUser", cmd.Caller, req, func(ctx context.Context) (Deleted, error) {
		var deleted Deleted
		err := uc.users.Delete(ctx, cmd.ClientExtID, cmd.UserExtID, func(ctx context.Context, u directory.User) ([]event.Event, error) {
			meta := cmd.Caller.Meta()
			if err := uc.dependents.UserDeleting(ctx, u, meta); err != nil {
				return nil, err
			}
			deleted = Deleted{ExtID: u.ExtID, Version: u.Version}
			now := later(uc.frame.Now(), u.LastModified)
			return []event.Event{entityEvent(directory.UserDeleted, now, meta, u.ClientExtID, u.ExtID, u.Version)}, nil
		})
		return deleted, fault.Wrap(err, "delete user %s", cmd.UserExtID)
	})
}
