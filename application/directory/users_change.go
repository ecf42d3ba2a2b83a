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

// ChangeUser applies a partial change to a user (a PATCH).
type ChangeUser struct {
	users      UserChanger
	dependents Dependents
	now        Clock
	tracer     trace.Tracer
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
	ctx, span := uc.tracer.Start(ctx, "ChangeUser")
	defer span.End()
	err := cmd.Caller.Principal.Authorize(access.Request{Client: cmd.ClientExtID, User: cmd.UserExtID,
		Rights: []access.Right{access.UserModify}}, uc.now())
	if err != nil {
		return directory.User{}, err
	}
	var changed directory.User
	err = uc.users.Update(ctx, cmd.ClientExtID, cmd.UserExtID, func(ctx context.Context, u *directory.User) ([]event.Event, error) {
		if err := u.CheckVersion(cmd.Version); err != nil {
			return nil, err
		}
		did, err := u.Change(cmd.Change, uc.now())
		if err != nil {
			return nil, err
		}
		changed = *u
		if !did {
			return nil, nil
		}
		if err := uc.dependents.UserSaved(ctx, *u); err != nil {
			return nil, err
		}
		ev := entityEvent(directory.UserChanged, u.LastModified, cmd.Caller.Meta(), u.ClientExtID, u.ExtID, u.Version)
		ev.Data = commentData(cmd.Change.Comment)
		return []event.Event{ev}, nil
	})
	if err != nil {
		return directory.User{}, fmt.Errorf("change user %s: %w", cmd.UserExtID, err)
	}
	return changed, nil
}

// DeleteUser deletes a user.
type DeleteUser struct {
	users      UserChanger
	dependents Dependents
	now        Clock
	tracer     trace.Tracer
}

// DeleteUserCommand names the user.
type DeleteUserCommand struct {
	Caller                 caller.Caller
	ClientExtID, UserExtID string
}

// Do deletes the user, and with it what hangs on it (its OTP cards, through its dependents, which
// record otp-card.deleted); it records user.deleted. Errors: access errors, *fault.NotFoundError.
func (uc *DeleteUser) Do(ctx context.Context, cmd DeleteUserCommand) (Deleted, error) {
	ctx, span := uc.tracer.Start(ctx, "DeleteUser")
	defer span.End()
	err := cmd.Caller.Principal.Authorize(access.Request{Client: cmd.ClientExtID, User: cmd.UserExtID,
		Rights: []access.Right{access.UserDelete}}, uc.now())
	if err != nil {
		return Deleted{}, err
	}
	var deleted Deleted
	err = uc.users.Delete(ctx, cmd.ClientExtID, cmd.UserExtID, func(ctx context.Context, u directory.User) ([]event.Event, error) {
		meta := cmd.Caller.Meta()
		if err := uc.dependents.UserDeleting(ctx, u, meta); err != nil {
			return nil, err
		}
		deleted = Deleted{ExtID: u.ExtID, Version: u.Version}
		now := later(uc.now(), u.LastModified)
		return []event.Event{entityEvent(directory.UserDeleted, now, meta, u.ClientExtID, u.ExtID, u.Version)}, nil
	})
	if err != nil {
		return Deleted{}, fmt.Errorf("delete user %s: %w", cmd.UserExtID, err)
	}
	return deleted, nil
}
