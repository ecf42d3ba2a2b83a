// Package directory holds the client and user use cases. Each declares the small ports it
// needs; the postgres adapter implements them.
package directory

import (
	"context"
	"time"

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// Clock tells the time; the use cases never read the system clock themselves.
type Clock func() time.Time

// ClientStore keeps clients.
type ClientStore interface {
	// Create saves the client, its default policy and the events in one transaction; it returns
	// directory.ErrDuplicate when the extId or name is taken.
	Create(ctx context.Context, c directory.Client, defaultPolicy credential.Policy, events []event.Event) error
	// Get returns the client or a *directory.NotFoundError.
	Get(ctx context.Context, extID string) (directory.Client, error)
	// List returns a page of clients, oldest first; with only set, just those clients.
	List(ctx context.Context, only []string, page listing.Page) (listing.Result[directory.Client], error)
}

// UserStore keeps users.
type UserStore interface {
	// Create saves the user and the events in one transaction; it returns a
	// *directory.NotFoundError when the client is absent and directory.ErrDuplicate when the
	// extId or the loginId in that client is taken.
	Create(ctx context.Context, u directory.User, events []event.Event) error
	// Get returns the user of that client or a *directory.NotFoundError.
	Get(ctx context.Context, clientExtID, userExtID string) (directory.User, error)
}

func entityEvent(t event.Type, at time.Time, meta event.Meta, client, user string, version int32) event.Event {
	return event.Event{Type: t, Time: at, Actor: meta.Actor, ClientExtID: client, UserExtID: user,
		Version: version, RequestID: meta.RequestID}
}
