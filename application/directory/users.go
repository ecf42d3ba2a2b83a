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

// GetUser reads one user; self-admin callers may read themselves.
type GetUser struct {
	users  UserReader
	now    Clock
	tracer trace.Tracer
}

// GetUserQuery names the user.
type GetUserQuery struct {
	Caller                 caller.Caller
	ClientExtID, UserExtID string
}

// Do returns the user. Errors: access errors, *fault.NotFoundError.
func (uc *GetUser) Do(ctx context.Context, q GetUserQuery) (directory.User, error) {
	ctx, span := uc.tracer.Start(ctx, "GetUser")
	defer span.End()
	err := q.Caller.Principal.Authorize(access.Request{Client: q.ClientExtID, User: q.UserExtID,
		Rights: []access.Right{access.UserView}, Self: access.SelfRead}, uc.now())
	if err != nil {
		return directory.User{}, err
	}
	user, err := uc.users.Get(ctx, q.ClientExtID, q.UserExtID)
	if err != nil {
		return directory.User{}, fmt.Errorf("get user: %w", err)
	}
	return user, nil
}

// ListUsers pages through a client's users.
type ListUsers struct {
	users  UserReader
	now    Clock
	tracer trace.Tracer
}

// ListUsersQuery asks for one page of the client's users, narrowed by Filter.
type ListUsersQuery struct {
	Caller      caller.Caller
	ClientExtID string
	Filter      UserFilter
	Page        listing.Page
}

// Do returns a page of users, oldest first. Errors: access errors, *fault.NotFoundError.
func (uc *ListUsers) Do(ctx context.Context, q ListUsersQuery) (listing.Result[directory.User], error) {
	ctx, span := uc.tracer.Start(ctx, "ListUsers")
	defer span.End()
	err := q.Caller.Principal.Authorize(access.Request{Client: q.ClientExtID, Rights: []access.Right{access.UserView}}, uc.now())
	if err != nil {
		return listing.Result[directory.User]{}, err
	}
	res, err := uc.users.List(ctx, q.ClientExtID, q.Filter, q.Page)
	if err != nil {
		return res, fmt.Errorf("list users of %s: %w", q.ClientExtID, err)
	}
	return res, nil
}
