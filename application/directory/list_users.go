package directory

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
)

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
