package directory

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
)

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
