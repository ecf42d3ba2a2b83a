package directory

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
)

// GetClient reads one client.
type GetClient struct {
	clients ClientReader
	now     Clock
	tracer  trace.Tracer
}

// GetClientQuery names the client.
type GetClientQuery struct {
	Caller caller.Caller
	ExtID  string
}

// Do returns the client. Errors: access errors, *fault.NotFoundError.
func (uc *GetClient) Do(ctx context.Context, q GetClientQuery) (directory.Client, error) {
	ctx, span := uc.tracer.Start(ctx, "GetClient")
	defer span.End()
	err := q.Caller.Principal.Authorize(access.Request{Client: q.ExtID, Rights: []access.Right{access.ClientView}}, uc.now())
	if err != nil {
		return directory.Client{}, err
	}
	client, err := uc.clients.Get(ctx, q.ExtID)
	if err != nil {
		return directory.Client{}, fmt.Errorf("get client: %w", err)
	}
	return client, nil
}
