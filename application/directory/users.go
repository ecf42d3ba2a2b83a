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

// Users answers CreateUser, GetUser, ListUsers, ChangeUser and DeleteUser.
type Users struct {
	store   UserStore
	changer UserChanger
	now     Clock
	tracer  trace.Tracer
}

// NewUsers builds the user use cases.
func NewUsers(store UserStore, changer UserChanger, now Clock, tracer trace.Tracer) *Users {
	return &Users{store: store, changer: changer, now: now, tracer: tracer}
}

// CreateUser creates a user in a client. Errors: access errors, fault.ErrInvalid,
// *fault.NotFoundError, fault.ErrDuplicate.
func (uc *Users) CreateUser(ctx context.Context, c caller.Caller, in directory.User) (directory.User, error) {
	ctx, span := uc.tracer.Start(ctx, "CreateUser")
	defer span.End()
	now := uc.now()
	err := c.Principal.Authorize(access.Request{Client: in.ClientExtID, Rights: []access.Right{access.UserCreate}}, now)
	if err != nil {
		return directory.User{}, err
	}
	user, err := directory.NewUser(in, now)
	if err != nil {
		return directory.User{}, err
	}
	ev := entityEvent(directory.UserCreated, now, c.Meta(), user.ClientExtID, user.ExtID, user.Version)
	if err := uc.store.Create(ctx, user, []event.Event{ev}); err != nil {
		return directory.User{}, fmt.Errorf("create user %s: %w", user.ExtID, err)
	}
	return user, nil
}

// GetUser returns one user; self-admin callers may read themselves. Errors: access errors,
// *fault.NotFoundError.
func (uc *Users) GetUser(ctx context.Context, c caller.Caller, clientExtID, userExtID string) (directory.User, error) {
	ctx, span := uc.tracer.Start(ctx, "GetUser")
	defer span.End()
	err := c.Principal.Authorize(access.Request{Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.UserView}, Self: access.SelfRead}, uc.now())
	if err != nil {
		return directory.User{}, err
	}
	user, err := uc.store.Get(ctx, clientExtID, userExtID)
	if err != nil {
		return directory.User{}, fmt.Errorf("get user: %w", err)
	}
	return user, nil
}
