package directorytest

import (
	"context"
	"fmt"
	"slices"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var _ app.ClientStore = (*ClientStore)(nil)

// ClientStore keeps the clients of a Memory, with the postgres store's rules (see
// app.ClientStore), and remembers how it was called.
type ClientStore struct {
	*Memory
	storetest.Counter
	// lastOnly is the only argument of the last List call.
	lastOnly []string
}

// NewClientStore is the client store of a new Memory holding clients.
func NewClientStore(clients ...directory.Client) *ClientStore {
	m := NewMemory()
	for _, c := range clients {
		m.AddClient(c)
	}
	return m.ClientStore()
}

// LastOnly is the only argument of the last List call.
func (s *ClientStore) LastOnly() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lastOnly)
}

// Create saves the client and its events after within succeeds; see app.ClientCreator.
func (s *ClientStore) Create(ctx context.Context, c directory.Client, events []event.Event, within app.Within) error {
	defer s.Enter("Create")()
	for _, old := range s.clients {
		if old.ExtID == c.ExtID || old.Name == c.Name {
			return fmt.Errorf("%w: a client with that extId or name exists", fault.ErrDuplicate)
		}
	}
	return s.createWithin(ctx, within, func() { s.clients[c.ExtID] = storedClient(c) }, events)
}

// Get returns the client; see app.ClientReader.
func (s *ClientStore) Get(_ context.Context, extID string) (directory.Client, error) {
	defer s.Enter("Get")()
	c, err := s.lookup(extID)
	return storedClient(c), err
}

// lookup returns the stored client.
func (s *ClientStore) lookup(extID string) (directory.Client, error) {
	c, ok := s.clients[extID]
	if !ok {
		return directory.Client{}, &fault.NotFoundError{Entity: "client", ExtID: extID}
	}
	return c, nil
}

// List returns a page of clients, oldest first; see app.ClientReader.
func (s *ClientStore) List(_ context.Context, only []string, page listing.Page) (listing.Result[directory.Client], error) {
	defer s.Enter("List")()
	s.lastOnly = slices.Clone(only)
	var items []directory.Client
	for _, c := range s.clients {
		if only == nil || slices.Contains(only, c.ExtID) {
			items = append(items, storedClient(c))
		}
	}
	return storetest.Page(items, page, func(c directory.Client) listing.Cursor {
		return listing.Cursor{Created: c.Created, ExtID: c.ExtID}
	}), nil
}

// Update changes the client when fn succeeds and moves its version; see app.ClientChanger. fn
// sees a copy, so a failed change leaves the stored client as it was.
func (s *ClientStore) Update(ctx context.Context, extID string, fn func(context.Context, *directory.Client) ([]event.Event, error)) error {
	defer s.Enter("Update")()
	loaded, err := s.lookup(extID)
	if err != nil {
		return err
	}
	c := storedClient(loaded)
	events, err := fn(ctx, &c)
	if err != nil {
		return err
	}
	if c.Version == loaded.Version {
		return nil // fn changed nothing
	}
	for _, old := range s.clients {
		if old.ExtID != extID && old.Name == c.Name {
			return fmt.Errorf("%w: a client named %q exists", fault.ErrDuplicate, c.Name)
		}
	}
	s.clients[extID] = storedClient(c)
	s.record(events)
	return nil
}

// Delete removes the client when fn succeeds and no user is left; see app.ClientChanger.
func (s *ClientStore) Delete(ctx context.Context, extID string, fn func(context.Context, app.ClientRemoval) ([]event.Event, error)) error {
	defer s.Enter("Delete")()
	c, err := s.lookup(extID)
	if err != nil {
		return err
	}
	users := 0
	for _, u := range s.users {
		if u.ClientExtID == extID {
			users++
		}
	}
	events, err := fn(ctx, app.ClientRemoval{Client: storedClient(c), Users: users})
	if err != nil {
		return err
	}
	if users > 0 {
		return fmt.Errorf("%w: client %s is still referenced", directory.ErrHasDependents, extID)
	}
	delete(s.clients, extID)
	s.record(events)
	return nil
}
