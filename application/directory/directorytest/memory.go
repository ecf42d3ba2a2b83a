// Package directorytest holds hand-written in-memory fakes of the directory's ports and the
// contract suites that every store of clients and users passes. The application's unit tests use
// the fakes; the suites run against the fakes here and against PostgreSQL in adapters/postgres, so
// a fake cannot drift from the database unnoticed. Only tests import this package.
package directorytest

import (
	"context"
	"slices"
	"sync"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// Memory is the directory's tables in memory: clients, their users, and the events recorded with
// their changes. Its client and user stores share it as the postgres stores share the database:
// a user belongs to a client that exists, and a client is deleted only without users. Its mutex
// stands in for the row locks: each port method runs whole while it is held, callbacks included,
// so a callback must not call the stores again.
type Memory struct {
	mu      sync.Mutex
	clients map[string]directory.Client // by extId
	users   map[string]directory.User   // by extId, unique across clients
	events  []event.Event
	cs      *ClientStore
	us      *UserStore
}

// NewMemory returns an empty directory.
func NewMemory() *Memory {
	m := &Memory{clients: map[string]directory.Client{}, users: map[string]directory.User{}}
	m.cs = &ClientStore{Memory: m, Counter: storetest.NewCounter(&m.mu)}
	m.us = &UserStore{Memory: m, Counter: storetest.NewCounter(&m.mu)}
	return m
}

// ClientStore is the store of the memory's clients.
func (m *Memory) ClientStore() *ClientStore { return m.cs }

// UserStore is the store of the memory's users.
func (m *Memory) UserStore() *UserStore { return m.us }

// AddClient stores a client as it is, past every rule of the store: a test's starting point.
func (m *Memory) AddClient(c directory.Client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clients[c.ExtID] = storedClient(c)
}

// AddUser stores a user as it is, past every rule of the store: a test's starting point.
func (m *Memory) AddUser(u directory.User) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.users[u.ExtID] = storedUser(u)
}

// Client returns the stored client with that extId.
func (m *Memory) Client(extID string) (directory.Client, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.clients[extID]
	return storedClient(c), ok
}

// User returns the stored user of that client.
func (m *Memory) User(clientExtID, userExtID string) (directory.User, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[userExtID]
	if !ok || u.ClientExtID != clientExtID {
		return directory.User{}, false
	}
	return storedUser(u), true
}

// ClientCount counts the stored clients.
func (m *Memory) ClientCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.clients)
}

// UserCount counts the stored users of every client.
func (m *Memory) UserCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.users)
}

// Recorded returns the events recorded so far, in order.
func (m *Memory) Recorded() []event.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// createWithin ends a Create: it runs within (the other modules' part in the transaction) and, when
// within succeeds, saves the new entity and records its events.
func (m *Memory) createWithin(ctx context.Context, within app.Within, save func(), events []event.Event) error {
	if err := within(ctx); err != nil {
		return err
	}
	save()
	m.record(events)
	return nil
}

// record appends events to the log.
func (m *Memory) record(events []event.Event) { m.events = append(m.events, events...) }

// storedClient is c as the database keeps it: times in UTC to the microsecond, an empty display
// name as none, and no map shared with the caller.
func storedClient(c directory.Client) directory.Client {
	c.DisplayName = storetest.StoredMap(c.DisplayName)
	c.Created, c.LastModified = storetest.StoredTime(c.Created), storetest.StoredTime(c.LastModified)
	return c
}

// storedUser is u as the database keeps it, sharing nothing with the caller (the validity is
// kept as given, as the profile document keeps it).
func storedUser(u directory.User) directory.User {
	u.Properties = storetest.StoredMap(u.Properties)
	u.IsTechnicalUser = copyOf(u.IsTechnicalUser)
	u.Validity.From, u.Validity.To = copyOf(u.Validity.From), copyOf(u.Validity.To)
	u.Created, u.LastModified = storetest.StoredTime(u.Created), storetest.StoredTime(u.LastModified)
	return u
}

func copyOf[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
