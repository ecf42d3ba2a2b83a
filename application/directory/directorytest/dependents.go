package directorytest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

var _ app.Dependents = (*Dependents)(nil)

// Dependents stands in for the other modules: it records what the directory told them, in order,
// and refuses every call once Refuse set an error (the directory's change must then fail whole).
// The zero value is ready to use.
type Dependents struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

// Refuse makes every later call return err; nil accepts again.
func (d *Dependents) Refuse(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fail = err
}

// Told lists the calls so far, such as "ClientCreated acme by alice" or "UserSaved u1 active".
func (d *Dependents) Told() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

func (d *Dependents) record(what string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, what)
	return d.fail
}

// ClientCreated records "ClientCreated <client> by <actor>".
func (d *Dependents) ClientCreated(_ context.Context, c directory.Client, meta event.Meta) error {
	return d.record("ClientCreated " + c.ExtID + " by " + meta.Actor.Subject)
}

// ClientSaved records "ClientSaved <client> v<version>".
func (d *Dependents) ClientSaved(_ context.Context, c directory.Client) error {
	return d.record(fmt.Sprintf("ClientSaved %s v%d", c.ExtID, c.Version))
}

// ClientDeleting records "ClientDeleting <client> by <actor>".
func (d *Dependents) ClientDeleting(_ context.Context, c directory.Client, meta event.Meta) error {
	return d.record("ClientDeleting " + c.ExtID + " by " + meta.Actor.Subject)
}

// UserSaved records "UserSaved <user> <state>".
func (d *Dependents) UserSaved(_ context.Context, u directory.User) error {
	return d.record("UserSaved " + u.ExtID + " " + string(u.State))
}

// UserDeleting records "UserDeleting <user> by <actor>".
func (d *Dependents) UserDeleting(_ context.Context, u directory.User, meta event.Meta) error {
	return d.record("UserDeleting " + u.ExtID + " by " + meta.Actor.Subject)
}
