// Package credentialtest holds hand-written in-memory fakes of the credential module's store
// ports and the contract suites that every store of cards and policies passes. The application's
// unit tests use the fakes; the suites run against the fakes here and against PostgreSQL in
// adapters/postgres, so a fake cannot drift from the database unnoticed. Only tests import this
// package.
package credentialtest

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// Memory is the credential module's tables in memory: policies, holders and cards, and the events
// recorded with their changes. Its card and policy stores share it as the postgres stores share
// the database: a card is created under a policy of its client and counts for that policy's
// deletion, and a client exists while it has its default policy. Its mutex stands in for the row
// locks: each port method runs whole while it is held, callbacks included, so a callback must not
// call the stores again.
type Memory struct {
	mu       sync.Mutex
	policies map[string]credential.Policy   // by extId
	holders  map[string]holder              // by user extId
	cards    map[string]credential.Snapshot // by extId
	events   []event.Event
	// held is what every card Create's admit was told the user holds.
	held []int
	// conflictOnSave makes card Updates fail as if the stored version moved after the load.
	conflictOnSave bool
	// inside is set while a card callback runs.
	inside atomic.Bool
	cs     *CardStore
	ps     *PolicyStore
}

// holder is a user who may hold cards, in its client.
type holder struct {
	client string
	state  credential.Holder
}

// NewMemory returns an empty credential module: no client, no holder, no card.
func NewMemory() *Memory {
	m := &Memory{policies: map[string]credential.Policy{}, holders: map[string]holder{},
		cards: map[string]credential.Snapshot{}}
	m.cs = &CardStore{Memory: m, Counter: storetest.NewCounter(&m.mu)}
	m.ps = &PolicyStore{Memory: m, Counter: storetest.NewCounter(&m.mu)}
	return m
}

// CardStore is the store of the memory's cards and holders.
func (m *Memory) CardStore() *CardStore { return m.cs }

// PolicyStore is the store of the memory's policies.
func (m *Memory) PolicyStore() *PolicyStore { return m.ps }

// AddUser records an active holder of cards in the client, past every rule of the stores.
func (m *Memory) AddUser(clientExtID, userExtID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holders[userExtID] = holder{client: clientExtID, state: credential.HolderActive}
}

// SetHolder sets the state of a holder added before.
func (m *Memory) SetHolder(userExtID string, state credential.Holder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.holders[userExtID]
	h.state = state
	m.holders[userExtID] = h
}

// AddPolicy stores a policy as it is, past every rule of the stores: a client's default policy
// makes the client known.
func (m *Memory) AddPolicy(p credential.Policy) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.policies[p.ExtID] = storedPolicy(p)
}

// AddCard stores a card as it is, past every rule of the stores.
func (m *Memory) AddCard(s credential.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cards[s.ExtID] = storedSnapshot(s)
}

// Card returns the stored state of a card.
func (m *Memory) Card(extID string) (credential.Snapshot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.cards[extID]
	if !ok {
		return credential.Snapshot{}, false
	}
	return storedSnapshot(s), true
}

// Policy returns a stored policy.
func (m *Memory) Policy(extID string) (credential.Policy, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.policies[extID]
	return p, ok
}

// Policies returns every stored policy by extId.
func (m *Memory) Policies() map[string]credential.Policy {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.policies)
}

// Defaults lists the extIds of the client's default policies (exactly one when all is well).
func (m *Memory) Defaults(clientExtID string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, p := range m.policies {
		if p.ClientExtID == clientExtID && p.Default {
			out = append(out, p.ExtID)
		}
	}
	slices.Sort(out)
	return out
}

// Recorded returns the events recorded so far, in order.
func (m *Memory) Recorded() []event.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.events)
}

// Held lists what every card Create's admit was told the user holds, in order.
func (m *Memory) Held() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.held)
}

// ConflictOnSave makes every later card Update fail with fault.ErrVersionConflict after its
// callback, as if the stored version had moved: a race no single caller can cause.
func (m *Memory) ConflictOnSave() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.conflictOnSave = true
}

// InCallback reports whether a card callback is running (the stand-in for "inside the
// transaction, holding the row lock").
func (m *Memory) InCallback() bool { return m.inside.Load() }

// clientExists reports whether the client has its default policy, which every client has from its
// creation to its deletion; the module knows clients by nothing else.
func (m *Memory) clientExists(clientExtID string) bool {
	for _, p := range m.policies {
		if p.ClientExtID == clientExtID && p.Default {
			return true
		}
	}
	return false
}

// checkUser returns the state of the user in the client, or a *fault.NotFoundError naming the
// client or the user that is absent.
func (m *Memory) checkUser(clientExtID, userExtID string) (credential.Holder, error) {
	if !m.clientExists(clientExtID) {
		return 0, &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
	}
	h, ok := m.holders[userExtID]
	if !ok || h.client != clientExtID {
		return 0, &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	return h.state, nil
}

// userCards returns the cards of the user in the client, oldest first.
func (m *Memory) userCards(clientExtID, userExtID string) []credential.Snapshot {
	var out []credential.Snapshot
	for _, s := range m.cards {
		if s.ClientExtID == clientExtID && s.UserExtID == userExtID {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b credential.Snapshot) int {
		return storetest.CompareCursors(cardCursor(a), cardCursor(b))
	})
	return out
}

// record appends events to the log.
func (m *Memory) record(events []event.Event) { m.events = append(m.events, events...) }

// storedSnapshot is s as the database keeps it: times in UTC to the microsecond, and no slice
// shared with the caller's card.
func storedSnapshot(s credential.Snapshot) credential.Snapshot {
	s = credential.RestoreOTPCard(s).Snapshot()
	for _, t := range []*time.Time{&s.ValidFrom, &s.ValidTo, &s.LastSuccessfulLogin, &s.LastFailedLogin,
		&s.Created, &s.LastModified, &s.LockedUntil} {
		*t = storetest.StoredTime(*t)
	}
	return s
}

// restored is the stored card s as a new aggregate that shares nothing with the store.
func restored(s credential.Snapshot) *credential.OTPCard {
	return credential.RestoreOTPCard(storedSnapshot(s))
}

// storedPolicy is p as the database keeps it: times in UTC to the microsecond.
func storedPolicy(p credential.Policy) credential.Policy {
	p.Created, p.LastModified = storetest.StoredTime(p.Created), storetest.StoredTime(p.LastModified)
	return p
}
