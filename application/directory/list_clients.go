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

// ListClients pages through the clients inside the caller's data room.
type ListClients struct {
	clients ClientReader
	now     Clock
	tracer  trace.Tracer
}

// ListClientsQuery asks for one page.
type ListClientsQuery struct {
	Caller caller.Caller
	Page   listing.Page
}

// Do returns a page of clients, oldest first. Errors: access errors.
func (uc *ListClients) Do(ctx context.Context, q ListClientsQuery) (listing.Result[directory.Client], error) {
	ctx, span := uc.tracer.Start(ctx, "ListClients")
	defer span.End()
	if err := q.Caller.Principal.Authorize(access.Request{Rights: []access.Right{access.ClientView}}, uc.now()); err != nil {
		return listing.Result[directory.Client]{}, err
	}
	var only []string // nil: every client; empty: none
	if room, restricted := q.Caller.Principal.DataRoom(); restricted {
		only = append([]string{}, room...)
	}
	res, err := uc.clients.List(ctx, only, q.Page)
	if err != nil {
		return res, fmt.Errorf("list clients: %w", err)
	}
	return res, nil
}
