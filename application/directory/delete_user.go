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
