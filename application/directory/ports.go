// Package directory holds the client and user use cases: the directory module. Each use case
// declares the small ports it needs; the postgres adapter implements them.
package directory

import (
	"context"

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// Within is what else happens inside a store's transaction: ctx carries the transaction, so that
// another module's part in the change (Dependents) commits or rolls back with it.
type Within func(ctx context.Context) error

// ClientCreator saves new clients.
type ClientCreator interface {
	// Create saves the client and the events and runs within, in one transaction; it returns
	// fault.ErrDuplicate when the extId or name is taken, and within's error unchanged.
	Create(ctx context.Context, c directory.Client, events []event.Event, within Within) error
}

// ClientReader reads clients.
type ClientReader interface {
	// Get returns the client or a *fault.NotFoundError.
	Get(ctx context.Context, extID string) (directory.Client, error)
	// List returns a page of clients, oldest first; with only set, just those clients.
	List(ctx context.Context, only []string, page listing.Page) (listing.Result[directory.Client], error)
}

// ClientChanger changes and deletes clients, each in one transaction.
type ClientChanger interface {
	// Update loads the client with a row lock, calls fn, and when fn returns nil and moved the
	// client's version saves the client guarded by the version it loaded and records fn's
	// events. It returns a *fault.NotFoundError, fn's error unchanged, fault.ErrDuplicate when
	// the new name is taken, or fault.ErrVersionConflict when the stored version moved.
	Update(ctx context.Context, extID string, fn func(context.Context, *directory.Client) ([]event.Event, error)) error
	// Delete loads the client with a row lock and counts its users, calls fn (with ctx carrying
	// the transaction), and when fn returns nil deletes the client and records fn's events. It
	// returns a *fault.NotFoundError, fn's error unchanged, or directory.ErrHasDependents when
	// users are left (fn was expected to refuse). While Delete holds the lock no user can be
	// added to the client.
	Delete(ctx context.Context, extID string, fn func(context.Context, ClientRemoval) ([]event.Event, error)) error
}

// ClientRemoval is a client about to be deleted.
type ClientRemoval struct {
	Client directory.Client
	// Users counts the client's users.
	Users int
}

// ClientStore is every port of the client use cases: what a store of clients implements.
type ClientStore interface {
	ClientCreator
	ClientReader
	ClientChanger
}

// UserCreator saves new users.
type UserCreator interface {
	// Create saves the user and the events and runs within, in one transaction; it returns a
	// *fault.NotFoundError when the client is absent, fault.ErrDuplicate when the extId or the
	// loginId in that client is taken, and within's error unchanged.
	Create(ctx context.Context, u directory.User, events []event.Event, within Within) error
}

// UserReader reads users.
type UserReader interface {
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
	// Search keeps the users whose extId is Search, or whose loginId, first name, family name or
	// e-mail address starts with it, in any case (the console's search, API.md 12).
	Search string
}

// UserChanger changes and deletes users, each in one transaction.
type UserChanger interface {
	// Update loads the user of that client with a row lock, calls fn (with ctx carrying the
	// transaction), and when fn returns nil and moved the user's version saves the user guarded by
	// the version it loaded and records fn's events. It returns a *fault.NotFoundError, fn's error
	// unchanged, fault.ErrDuplicate when the new loginId is taken in the client, or
	// fault.ErrVersionConflict when the stored version moved.
	Update(ctx context.Context, clientExtID, userExtID string, fn func(context.Context, *directory.User) ([]event.Event, error)) error
	// Delete loads the user of that client with a row lock, calls fn (with ctx carrying the
	// transaction), and when fn returns nil deletes the user and records fn's events. It returns
	// a *fault.NotFoundError or fn's error unchanged.
	Delete(ctx context.Context, clientExtID, userExtID string, fn func(context.Context, directory.User) ([]event.Event, error)) error
}

// UserStates tells a user's state by its extId alone; extIds are unique across clients.
type UserStates interface {
	// UserState returns the state of the user with that extId, or a *fault.NotFoundError.
	UserState(ctx context.Context, userExtID string) (directory.UserState, error)
}

// UserStore is every port of the user use cases: what a store of users implements.
type UserStore interface {
	UserCreator
	UserReader
	UserChanger
	UserStates
}
