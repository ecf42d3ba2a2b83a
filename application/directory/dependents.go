package directory

import (
	"context"

	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// Dependents is the seam through which other modules take part in the directory's changes: what
// hangs on clients and users (the credential module's policies, cards and holders) changes with
// them, in the same transaction. Each method runs inside the directory's transaction (ctx carries
// it), records its own events there, and fails the whole change by returning an error. The
// directory owns this interface; the credential module implements it and bootstrap wires it, so
// neither module reads or writes the other's tables.
type Dependents interface {
	// ClientCreated gives a new client what it needs from the start (its default policy).
	ClientCreated(ctx context.Context, client directory.Client, meta event.Meta) error
	// ClientSaved follows a client created or changed (its names, its print settings): the
	// modules that keep a copy of what they print or send. It runs after ClientCreated.
	ClientSaved(ctx context.Context, client directory.Client) error
	// ClientDeleting removes what hangs on a client about to be deleted (its policies); the
	// client has no users left.
	ClientDeleting(ctx context.Context, client directory.Client, meta event.Meta) error
	// UserSaved follows a user created or changed: who holds cards in which client, and whether
	// that user may authenticate and receive cards.
	UserSaved(ctx context.Context, user directory.User) error
	// UserDeleting removes what hangs on a user about to be deleted (its OTP cards).
	UserDeleting(ctx context.Context, user directory.User, meta event.Meta) error
}

// everyDependent tells each dependent in turn and stops at the first that refuses.
type everyDependent []Dependents

// each makes the call tell to every dependent in turn and returns the first refusal.
func (all everyDependent) each(tell func(d Dependents) error) error {
	for _, d := range all {
		if err := tell(d); err != nil {
			return err
		}
	}
	return nil
}

func (all everyDependent) ClientCreated(ctx context.Context, client directory.Client, meta event.Meta) error {
	return all.each(func(d Dependents) error { return d.ClientCreated(ctx, client, meta) })
}

func (all everyDependent) ClientSaved(ctx context.Context, client directory.Client) error {
	return all.each(func(d Dependents) error { return d.ClientSaved(ctx, client) })
}

func (all everyDependent) ClientDeleting(ctx context.Context, client directory.Client, meta event.Meta) error {
	return all.each(func(d Dependents) error { return d.ClientDeleting(ctx, client, meta) })
}

func (all everyDependent) UserSaved(ctx context.Context, user directory.User) error {
	return all.each(func(d Dependents) error { return d.UserSaved(ctx, user) })
}

func (all everyDependent) UserDeleting(ctx context.Context, user directory.User, meta event.Meta) error {
	return all.each(func(d Dependents) error { return d.UserDeleting(ctx, user, meta) })
}
