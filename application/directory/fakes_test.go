package directory_test

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var (
	_ app.ClientStore = (*fakeClientStore)(nil)
	_ app.UserStore   = (*fakeUserStore)(nil)
	_ app.Dependents  = (*fakeDependents)(nil)
)

var (
	now    = time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	tracer = noop.NewTracerProvider().Tracer("")
)

func clock() time.Time { return now }

// fakeDependents records what the directory told the other modules, in order, and refuses with
// fail when it is set: the directory's change must then fail whole.
type fakeDependents struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (d *fakeDependents) record(what string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, what)
	return d.fail
}

func (d *fakeDependents) told() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

func (d *fakeDependents) ClientCreated(_ context.Context, c directory.Client, meta event.Meta) error {
	return d.record("ClientCreated " + c.ExtID + " by " + meta.Actor.Subject)
}

func (d *fakeDependents) ClientDeleting(_ context.Context, c directory.Client, meta event.Meta) error {
	return d.record("ClientDeleting " + c.ExtID + " by " + meta.Actor.Subject)
}

func (d *fakeDependents) UserSaved(_ context.Context, u directory.User) error {
	return d.record("UserSaved " + u.ExtID + " " + string(u.State))
}

func (d *fakeDependents) UserDeleting(_ context.Context, u directory.User, meta event.Meta) error {
	return d.record("UserDeleting " + u.ExtID + " by " + meta.Actor.Subject)
}

// fakeClientStore keeps clients in memory; within runs as if inside its transaction: when it
// fails, nothing is stored.
type fakeClientStore struct {
	mu      sync.Mutex
	clients map[string]directory.Client
	deps    *fakeDependents
	events  []event.Event
	calls   map[string]int
	// lastOnly is the only argument of the last List call.
	lastOnly []string
	// users counts the users of each client, for Delete.
	users map[string]int
}

func newClientStore(clients ...directory.Client) *fakeClientStore {
	s := &fakeClientStore{clients: map[string]directory.Client{}, calls: map[string]int{}, users: map[string]int{},
		deps: &fakeDependents{}}
	for _, c := range clients {
		s.clients[c.ExtID] = c
	}
	return s
}

func (s *fakeClientStore) Create(ctx context.Context, c directory.Client, events []event.Event, within app.Within) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Create"]++
	for _, old := range s.clients {
		if old.ExtID == c.ExtID || old.Name == c.Name {
			return fault.ErrDuplicate
		}
	}
	if err := within(ctx); err != nil {
		return err
	}
	s.clients[c.ExtID] = c
	s.events = append(s.events, events...)
	return nil
}

func (s *fakeClientStore) Get(_ context.Context, extID string) (directory.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Get"]++
	c, ok := s.clients[extID]
	if !ok {
		return directory.Client{}, &fault.NotFoundError{Entity: "client", ExtID: extID}
	}
	return c, nil
}

func (s *fakeClientStore) List(_ context.Context, only []string, page listing.Page) (listing.Result[directory.Client], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["List"]++
	s.lastOnly = only
	var items []directory.Client
	for _, c := range s.clients {
		if only == nil || slices.Contains(only, c.ExtID) {
			items = append(items, c)
		}
	}
	slices.SortFunc(items, func(a, b directory.Client) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ExtID, b.ExtID))
	})
	if page.After != nil {
		i := slices.IndexFunc(items, func(c directory.Client) bool { return c.ExtID == page.After.ExtID })
		items = items[i+1:]
	}
	return listing.Trim(items[:min(len(items), page.Limit+1)], page.Limit, func(c directory.Client) listing.Cursor {
		return listing.Cursor{Created: c.Created, ExtID: c.ExtID}
	}), nil
}

// Update changes a client as the postgres store does: fn sees a copy, which is saved with the
// events only when fn succeeds and the name stays unique.
func (s *fakeClientStore) Update(_ context.Context, extID string, fn func(*directory.Client) ([]event.Event, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Update"]++
	c, ok := s.clients[extID]
	if !ok {
		return &fault.NotFoundError{Entity: "client", ExtID: extID}
	}
	events, err := fn(&c)
	if err != nil {
		return err
	}
	for _, old := range s.clients {
		if old.ExtID != extID && old.Name == c.Name {
			return fault.ErrDuplicate
		}
	}
	s.clients[extID] = c
	s.events = append(s.events, events...)
	return nil
}

// Delete removes a client when fn succeeds.
func (s *fakeClientStore) Delete(ctx context.Context, extID string, fn func(context.Context, app.ClientRemoval) ([]event.Event, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Delete"]++
	c, ok := s.clients[extID]
	if !ok {
		return &fault.NotFoundError{Entity: "client", ExtID: extID}
	}
	events, err := fn(ctx, app.ClientRemoval{Client: c, Users: s.users[extID]})
	if err != nil {
		return err
	}
	delete(s.clients, extID)
	s.events = append(s.events, events...)
	return nil
}

// fakeUserStore keeps users of known clients in memory; within runs as if inside its
// transaction.
type fakeUserStore struct {
	mu      sync.Mutex
	clients map[string]bool
	users   map[[2]string]directory.User // by client and user extId
	deps    *fakeDependents
	events  []event.Event
	calls   map[string]int
	// lastFilter is the filter of the last List call.
	lastFilter app.UserFilter
}

func newUserStore(clients ...string) *fakeUserStore {
	s := &fakeUserStore{clients: map[string]bool{}, users: map[[2]string]directory.User{},
		deps: &fakeDependents{}, calls: map[string]int{}}
	for _, c := range clients {
		s.clients[c] = true
	}
	return s
}

func (s *fakeUserStore) Create(ctx context.Context, u directory.User, events []event.Event, within app.Within) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Create"]++
	if !s.clients[u.ClientExtID] {
		return &fault.NotFoundError{Entity: "client", ExtID: u.ClientExtID}
	}
	for _, old := range s.users {
		if old.ExtID == u.ExtID || old.ClientExtID == u.ClientExtID && old.LoginID == u.LoginID {
			return fault.ErrDuplicate
		}
	}
	if err := within(ctx); err != nil {
		return err
	}
	s.users[[2]string{u.ClientExtID, u.ExtID}] = u
	s.events = append(s.events, events...)
	return nil
}

func (s *fakeUserStore) Get(_ context.Context, clientExtID, userExtID string) (directory.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Get"]++
	u, ok := s.users[[2]string{clientExtID, userExtID}]
	if !ok {
		return directory.User{}, &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	return u, nil
}

func (s *fakeUserStore) List(_ context.Context, clientExtID string, filter app.UserFilter, page listing.Page) (listing.Result[directory.User], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["List"]++
	s.lastFilter = filter
	if !s.clients[clientExtID] {
		return listing.Result[directory.User]{}, &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
	}
	var items []directory.User
	for _, u := range s.users {
		if u.ClientExtID == clientExtID && (filter.LoginID == "" || u.LoginID == filter.LoginID) {
			items = append(items, u)
		}
	}
	slices.SortFunc(items, func(a, b directory.User) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ExtID, b.ExtID))
	})
	if page.After != nil {
		items = slices.DeleteFunc(items, func(u directory.User) bool {
			return cmp.Or(u.Created.Compare(page.After.Created), cmp.Compare(u.ExtID, page.After.ExtID)) <= 0
		})
	}
	return listing.Trim(items[:min(len(items), page.Limit+1)], page.Limit, func(u directory.User) listing.Cursor {
		return listing.Cursor{Created: u.Created, ExtID: u.ExtID}
	}), nil
}

// Update changes a user as the postgres store does: fn sees a copy, which is saved with the
// events only when fn succeeds and the loginId stays unique in the client.
func (s *fakeUserStore) Update(ctx context.Context, clientExtID, userExtID string, fn func(context.Context, *directory.User) ([]event.Event, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Update"]++
	key := [2]string{clientExtID, userExtID}
	u, ok := s.users[key]
	if !ok {
		return &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	events, err := fn(ctx, &u)
	if err != nil {
		return err
	}
	for _, old := range s.users {
		if old.ExtID != userExtID && old.ClientExtID == clientExtID && old.LoginID == u.LoginID {
			return fault.ErrDuplicate
		}
	}
	s.users[key] = u
	s.events = append(s.events, events...)
	return nil
}

// Delete removes a user when fn succeeds.
func (s *fakeUserStore) Delete(ctx context.Context, clientExtID, userExtID string, fn func(context.Context, directory.User) ([]event.Event, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Delete"]++
	key := [2]string{clientExtID, userExtID}
	u, ok := s.users[key]
	if !ok {
		return &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	events, err := fn(ctx, u)
	if err != nil {
		return err
	}
	delete(s.users, key)
	s.events = append(s.events, events...)
	return nil
}

// UserState tells the state of a user of any client.
func (s *fakeUserStore) UserState(_ context.Context, userExtID string) (directory.UserState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.ExtID == userExtID {
			return u.State, nil
		}
	}
	return "", &fault.NotFoundError{Entity: "user", ExtID: userExtID}
}

func withPrefix(rights []access.Right) []string {
	out := make([]string, len(rights))
	for i, r := range rights {
		out[i] = access.RightPrefix + string(r)
	}
	return out
}

// admin is alice with exactly these rights and no data room.
func admin(rights ...access.Right) caller.Caller {
	return caller.Caller{Principal: access.NewAdmin("alice", nil, withPrefix(rights), nil), RequestID: "req-1"}
}

// adminIn is a Root admin restricted to the data room clients (none when empty).
func adminIn(clients ...string) caller.Caller {
	if clients == nil {
		clients = []string{}
	}
	return caller.Caller{Principal: access.NewAdmin("alice", []string{"Root"}, nil, clients), RequestID: "req-1"}
}

// self is a self-admin user who authenticated a minute ago.
func self(user string) caller.Caller {
	return caller.Caller{Principal: access.NewSelfAdmin(user, now.Add(-time.Minute)), RequestID: "req-2"}
}
