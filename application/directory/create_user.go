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

// CreateUser creates a user in a client.
type CreateUser struct {
	users      UserCreator
	dependents Dependents
	now        Clock
	tracer     trace.Tracer
}

// CreateUserCommand describes the new user, its ClientExtID included; an empty extId is generated.
type CreateUserCommand struct {
	Caller caller.Caller
	User   directory.User
}

// Do creates the user, records user.created and tells the dependents. Errors: access errors,
// fault.ErrInvalid, *fault.NotFoundError, fault.ErrDuplicate.
func (uc *CreateUser) Do(ctx context.Context, cmd CreateUserCommand) (directory.User, error) {
	ctx, span := uc.tracer.Start(ctx, "CreateUser")
	defer span.End()
	now := uc.now()
	err := cmd.Caller.Principal.Authorize(access.Request{Client: cmd.User.ClientExtID, Rights: []access.Right{access.UserCreate}}, now)
	if err != nil {
		return directory.User{}, err
	}
	user, err := directory.NewUser(cmd.User, now)
	if err != nil {
		return directory.User{}, err
	}
	ev := entityEvent(directory.UserCreated, now, cmd.Caller.Meta(), user.ClientExtID, user.ExtID, user.Version)
	err = uc.users.Create(ctx, user, []event.Event{ev}, func(ctx context.Context) error {
		return uc.dependents.UserSaved(ctx, user)
	})
	if err != nil {
		return directory.User{}, fmt.Errorf("create user %s: %w", user.ExtID, err)
	}
	return user, nil
}
