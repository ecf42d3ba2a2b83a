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
	// fault.ErrDuplicate when the extId or name is taken.
	Create(ctx context.Context, c directory.Client, defaultPolicy credential.Policy, events []event.Event) error
	// Get returns the client or a *fault.NotFoundError.
	Get(ctx context.Context, extID string) (directory.Client, error)
	// List returns a page of clients, oldest first; with only set, just those clients.
	List(ctx context.Context, only []string, page listing.Page) (listing.Result[directory.Client], error)
}

// UserStore keeps users.
type UserStore interface {
	// Create saves the user and the events in one transaction; it returns a
	// *fault.NotFoundError when the client is absent and fault.ErrDuplicate when the
	// extId or the loginId in that client is taken.
	Create(ctx context.Context, u directory.User, events []event.Event) error
	// Get returns the user of that client or a *fault.NotFoundError.
	Get(ctx context.Context, clientExtID, userExtID string) (directory.User, error)
	// List returns a page of the client's users, oldest first, narrowed by filter; it returns a
	// *fault.NotFoundError when the client is absent.
	List(ctx context.Context, clientExtID string, filter UserFilter, page listing.Page) (listing.Result[directory.User], error)
}

// UserFilter narrows a user list; empty members do not filter.
type UserFilter struct {
	// LoginID keeps the user with exactly this loginId.
	LoginID string
}

// ClientChanger changes and deletes clients, each in one transaction.
type ClientChanger interface {
	// Update loads the client with a row lock, calls fn, and when fn returns nil and moved the
	// client's version saves the client guarded by the version it loaded and records fn's events. It returns a
	// *fault.NotFoundError, fn's error unchanged, fault.ErrDuplicate when the new name is
	// taken, or fault.ErrVersionConflict when the stored version moved.
	Update(ctx context.Context, extID string, fn func(*directory.Client) ([]event.Event, error)) error
	// Delete loads the client with a row lock together with what hangs on it, calls fn, and when
	// fn returns nil deletes the client and its policies and records fn's events. It returns a
	// *fault.NotFoundError or fn's error unchanged. While Delete holds the lock no user or
	// policy can be added to the client.
	Delete(ctx context.Context, extID string, fn func(ClientRemoval) ([]event.Event, error)) error
}

// ClientRemoval is a client about to be deleted and what hangs on it.
type ClientRemoval struct {
	Client directory.Client
	// Users counts the client's users.
	Users int
	// Policies go with the client.
	Policies []PolicyRef
}

// PolicyRef names a policy deleted with its client, at its last version.
type PolicyRef struct {
	ExtID   string
	Version int32
}

// UserChanger changes and deletes users, each in one transaction.
type UserChanger interface {
	// Update loads the user of that client with a row lock, calls fn, and when fn returns nil and
	// moved the user's version saves the user guarded by the version it loaded and records fn's
	// events. It returns a
	// *fault.NotFoundError, fn's error unchanged, fault.ErrDuplicate when the new loginId
	// is taken in the client, or fault.ErrVersionConflict when the stored version moved.
	Update(ctx context.Context, clientExtID, userExtID string, fn func(*directory.User) ([]event.Event, error)) error
	// Delete loads the user of that client and its OTP cards with row locks, calls fn, and when fn
	// returns nil deletes the user with its cards and records fn's events. It returns a
	// *fault.NotFoundError or fn's error unchanged.
	Delete(ctx context.Context, clientExtID, userExtID string, fn func(UserRemoval) ([]event.Event, error)) error
}

// UserRemoval is a user about to be deleted with its OTP cards.
type UserRemoval struct {
	User  directory.User
	Cards []CardRef
}

// CardRef names an OTP card deleted with its user, as it was last.
type CardRef struct {
	ExtID, PolicyExtID string
	State              credential.State
	Version            int32
	LastModified       time.Time
}

func entityEvent(t event.Type, at time.Time, meta event.Meta, client, user string, version int32) event.Event {
	return event.Event{Type: t, Time: at, Actor: meta.Actor, ClientExtID: client, UserExtID: user,
		Version: version, RequestID: meta.RequestID}
}
