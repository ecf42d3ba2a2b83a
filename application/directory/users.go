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

// CreateUser creates a user in a client.
type CreateUser struct {
	users      UserCreator
	dependents Dependents
	frame      caller.Frame
}

// CreateUserCommand describes the new user, its ClientExtID included; an empty extId is generated.
type CreateUserCommand struct {
	Caller caller.Caller
	User   directory.User
}

// Do creates the user, records user.created and tells the dependents. Errors: access errors,
// fault.ErrInvalid, *fault.NotFoundError, fault.ErrDuplicate.
func (uc *CreateUser) Do(ctx context.Context, cmd CreateUserCommand) (directory.User, error) {
	req := access.Request{Client: cmd.User.ClientExtID, Rights: []access.Right{access.UserCreate}}
	return caller.Run(ctx, uc.frame, "CreateUser", cmd.Caller, req, func(ctx context.Context) (directory.User, error) {
		now := uc.frame.Now()
		user, err := directory.NewUser(cmd.User, now)
		if err != nil {
			return directory.User{}, err
		}
		ev := entityEvent(directory.UserCreated, now, cmd.Caller.Meta(), user.ClientExtID, user.ExtID, user.Version)
		err = uc.users.Create(ctx, user, []event.Event{ev}, func(ctx context.Context) error {
			return uc.dependents.UserSaved(ctx, user)
		})
		return user, fault.Wrap(err, "create user %s", user.ExtID)
	})
}

// GetUser reads one user; self-admin callers may read themselves.
type GetUser struct {
	users UserReader
	frame caller.Frame
}

// GetUserQuery names the user.
type GetUserQuery struct {
	Caller                 caller.Caller
	ClientExtID, UserExtID string
}

// Do returns the user. Errors: access errors, *fault.NotFoundError.
func (uc *GetUser) Do(ctx context.Context, q GetUserQuery) (directory.User, error) {
	req := access.Request{Client: q.ClientExtID, User: q.UserExtID, Rights: []access.Right{access.UserView},
		Self: access.SelfRead}
	return caller.Run(ctx, uc.frame, "GetUser", q.Caller, req, func(ctx context.Context) (directory.User, error) {
		user, err := uc.users.Get(ctx, q.ClientExtID, q.UserExtID)
		return user, fault.Wrap(err, "get user")
	})
}

// ListUsers pages through a client's users.
type ListUsers struct {
	users UserReader
	frame caller.Frame
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
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.UserView}}
	return caller.Run(ctx, uc.frame, "ListUsers", q.Caller, req, func(ctx context.Context) (listing.Result[directory.User], error) {
		res, err := uc.users.List(ctx, q.ClientExtID, q.Filter, q.Page)
		return res, fault.Wrap(err, "list users of %s", q.ClientExtID)
	})
}
