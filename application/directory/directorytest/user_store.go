package directorytest

import (
	"context"
	"fmt"
	"strings"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var _ app.UserStore = (*UserStore)(nil)

// UserStore keeps the users of a Memory's clients, with the postgres store's rules (see
// app.UserStore), and remembers how it was called.
type UserStore struct {
	*Memory
	storetest.Counter
	// lastFilter is the filter of the last List call.
	lastFilter app.UserFilter
}

// NewUserStore is the user store of a new Memory holding clients with these extIds (named after
// them) and no users.
func NewUserStore(clientExtIDs ...string) *UserStore {
	m := NewMemory()
	for _, id := range clientExtIDs {
		m.AddClient(directory.Client{ExtID: id, Name: id, Version: 1})
	}
	return m.UserStore()
}

// LastFilter is the filter of the last List call.
func (s *UserStore) LastFilter() app.UserFilter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastFilter
}

// Create saves the user and its events after within succeeds; see app.UserCreator.
func (s *UserStore) Create(ctx context.Context, u directory.User, events []event.Event, within app.Within) error {
	defer s.Enter("Create")()
	if _, ok := s.clients[u.ClientExtID]; !ok {
		return &fault.NotFoundError{Entity: "client", ExtID: u.ClientExtID}
	}
	for _, old := range s.users {
		if old.ExtID == u.ExtID || old.ClientExtID == u.ClientExtID && old.LoginID == u.LoginID {
			return fmt.Errorf("%w: a user with that extId, or with that loginId in this client, exists", fault.ErrDuplicate)
		}
	}
	return s.createWithin(ctx, within, func() { s.users[u.ExtID] = storedUser(u) }, events)
}

// lookup returns the stored user of that client.
func (s *UserStore) lookup(clientExtID, userExtID string) (directory.User, error) {
	u, ok := s.users[userExtID]
	if !ok || u.ClientExtID != clientExtID {
		return directory.User{}, &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	return u, nil
}

// Get returns the user of that client; see app.UserReader.
func (s *UserStore) Get(_ context.Context, clientExtID, userExtID string) (directory.User, error) {
	defer s.Enter("Get")()
	u, err := s.lookup(clientExtID, userExtID)
	return storedUser(u), err
}

// List returns a page of the client's users, oldest first; see app.UserReader.
func (s *UserStore) List(_ context.Context, clientExtID string, filter app.UserFilter, page listing.Page) (listing.Result[directory.User], error) {
	defer s.Enter("List")()
	s.lastFilter = filter
	if _, ok := s.clients[clientExtID]; !ok {
		return listing.Result[directory.User]{}, &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
	}
	var items []directory.User
	for _, u := range s.users {
		if u.ClientExtID == clientExtID && (filter.LoginID == "" || u.LoginID == filter.LoginID) && searched(u, filter.Search) {
			items = append(items, storedUser(u))
		}
	}
	return storetest.Page(items, page, func(u directory.User) listing.Cursor {
		return listing.Cursor{Created: u.Created, ExtID: u.ExtID}
	}), nil
}

// Update changes the user when fn succeeds and moves its version; see app.UserChanger. fn sees a
// copy, so a failed change leaves the stored user as it was.
func (s *UserStore) Update(ctx context.Context, clientExtID, userExtID string, fn func(context.Context, *directory.User) ([]event.Event, error)) error {
	defer s.Enter("Update")()
	loaded, err := s.lookup(clientExtID, userExtID)
	if err != nil {
		return err
	}
	u := storedUser(loaded)
	events, err := fn(ctx, &u)
	if err != nil {
		return err
	}
	if u.Version == loaded.Version {
		return nil // fn changed nothing
	}
	for _, old := range s.users {
		if old.ExtID != userExtID && old.ClientExtID == clientExtID && old.LoginID == u.LoginID {
			return fmt.Errorf("%w: a user with loginId %q exists in client %s", fault.ErrDuplicate, u.LoginID, clientExtID)
		}
	}
	s.users[userExtID] = storedUser(u)
	s.record(events)
	return nil
}

// Delete removes the user when fn succeeds; see app.UserChanger.
func (s *UserStore) Delete(ctx context.Context, clientExtID, userExtID string, fn func(context.Context, directory.User) ([]event.Event, error)) error {
	defer s.Enter("Delete")()
	u, err := s.lookup(clientExtID, userExtID)
	if err != nil {
		return err
	}
	events, err := fn(ctx, storedUser(u))
	if err != nil {
		return err
	}
	delete(s.users, userExtID)
	s.record(events)
	return nil
}

// UserState tells the state of a user of any client; see app.UserStates.
func (s *UserStore) UserState(_ context.Context, userExtID string) (directory.UserState, error) {
	defer s.Enter("UserState")()
	u, ok := s.users[userExtID]
	if !ok {
		return "", &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	return u.State, nil
}

// searched reports whether the user matches a search (app.UserFilter.Search): extId exactly, or
// a case-insensitive prefix of loginId, first name, family name or e-mail.
func searched(u directory.User, search string) bool {
	if search == "" || u.ExtID == search {
		return true
	}
	prefix := strings.ToLower(search)
	for _, v := range []string{u.LoginID, u.Name.FirstName, u.Name.FamilyName, u.Contacts.Email} {
		if strings.HasPrefix(strings.ToLower(v), prefix) {
			return true
		}
	}
	return false
}
