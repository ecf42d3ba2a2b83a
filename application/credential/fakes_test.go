package credential_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// The fakes implement every port the credential use cases declare.
var (
	_ app.CardUpdater  = (*fakeStore)(nil)
	_ app.CardDeleter  = (*fakeStore)(nil)
	_ app.CardReader   = (*fakeStore)(nil)
	_ app.CardCreator  = (*fakeStore)(nil)
	_ app.CardPolicies = (*fakeStore)(nil)
	_ app.UserPolicies = (*fakeStore)(nil)
	_ app.CardStore    = (*fakeStore)(nil)
	_ app.CellHasher   = (*fakeHasher)(nil)
	_ app.CellVerifier = (*fakeHasher)(nil)
)

// fakeStore keeps cards, users and policies in memory. Its mutex stands in for the row lock: a
// callback runs while the store is locked, and inside reports that a callback is running.
type fakeStore struct {
	mu       sync.Mutex
	inside   atomic.Bool
	cards    map[string]credential.Snapshot // by credential extId
	users    map[string]string              // user extId -> client extId
	holders  map[string]credential.Holder   // user extId -> its state; absent: active
	policies map[string]credential.Policy   // by policy extId
	events   []event.Event
	held     []int // what every Create's admit was told the user holds
	// conflictOnSave makes Update fail as if the stored version moved after the load.
	conflictOnSave bool
	calls          map[string]int
}

func newFakeStore() *fakeStore {
	return &fakeStore{cards: map[string]credential.Snapshot{}, users: map[string]string{}, holders: map[string]credential.Holder{},
		policies: map[string]credential.Policy{}, calls: map[string]int{}}
}

// restore rebuilds a card that shares no slice with the stored snapshot.
func restore(s credential.Snapshot) *credential.OTPCard {
	return credential.RestoreOTPCard(credential.RestoreOTPCard(s).Snapshot())
}

func (s *fakeStore) addUser(client, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[user] = client
}

// setHolder sets a user's state.
func (s *fakeStore) setHolder(user string, h credential.Holder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holders[user] = h
}

func (s *fakeStore) addPolicy(p credential.Policy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policies[p.ExtID] = p
}

func (s *fakeStore) addCard(snap credential.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cards[snap.ExtID] = restore(snap).Snapshot()
}

// card returns the stored state of a card.
func (s *fakeStore) card(extID string) (credential.Snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, ok := s.cards[extID]
	return snap, ok
}

func (s *fakeStore) recorded() []event.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

func (s *fakeStore) called(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

func (s *fakeStore) lookup(key app.CardKey) (credential.Snapshot, error) {
	snap, ok := s.cards[key.ExtID]
	if !ok || snap.ClientExtID != key.ClientExtID || snap.UserExtID != key.UserExtID {
		return credential.Snapshot{}, &fault.NotFoundError{Entity: "credential", ExtID: key.ExtID}
	}
	return snap, nil
}

// change runs fn on a card inside the "transaction" and reports what to save.
func (s *fakeStore) change(key app.CardKey, fn app.CardChange) (*credential.OTPCard, []event.Event, error) {
	snap, err := s.lookup(key)
	if err != nil {
		return nil, nil, err
	}
	card := restore(snap)
	s.inside.Store(true)
	events, err := fn(card)
	s.inside.Store(false)
	return card, events, err
}

func (s *fakeStore) Update(_ context.Context, key app.CardKey, fn app.CardChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Update"]++
	card, events, err := s.change(key, fn)
	if err != nil {
		return err
	}
	if s.conflictOnSave {
		return fault.ErrVersionConflict
	}
	s.cards[key.ExtID] = card.Snapshot()
	s.events = append(s.events, events...)
	return nil
}

func (s *fakeStore) Delete(_ context.Context, key app.CardKey, fn app.CardChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Delete"]++
	_, events, err := s.change(key, fn)
	if err != nil {
		return err
	}
	delete(s.cards, key.ExtID)
	s.events = append(s.events, events...)
	return nil
}

func (s *fakeStore) Create(_ context.Context, card *credential.OTPCard, events []event.Event, admit func(credential.Holder, int) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Create"]++
	snap := card.Snapshot()
	if client, ok := s.users[snap.UserExtID]; !ok || client != snap.ClientExtID {
		return &fault.NotFoundError{Entity: "user", ExtID: snap.UserExtID}
	}
	if _, taken := s.cards[snap.ExtID]; taken {
		return fault.ErrDuplicate
	}
	held := 0
	for _, c := range s.cards {
		if c.UserExtID == snap.UserExtID && c.State != credential.StateArchived {
			held++
		}
	}
	s.held = append(s.held, held)
	if err := admit(s.holders[snap.UserExtID], held); err != nil {
		return err
	}
	s.cards[snap.ExtID] = snap
	s.events = append(s.events, events...)
	return nil
}

func (s *fakeStore) Get(_ context.Context, key app.CardKey) (*credential.OTPCard, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Get"]++
	snap, err := s.lookup(key)
	if err != nil {
		return nil, err
	}
	return restore(snap), nil
}

func (s *fakeStore) List(_ context.Context, clientExtID, userExtID string, page listing.Page) (listing.Result[*credential.OTPCard], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["List"]++
	if s.users[userExtID] != clientExtID {
		return listing.Result[*credential.OTPCard]{}, &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	var snaps []credential.Snapshot
	for _, c := range s.cards {
		if c.UserExtID == userExtID && (page.After == nil ||
			c.Created.After(page.After.Created) || c.Created.Equal(page.After.Created) && c.ExtID > page.After.ExtID) {
			snaps = append(snaps, c)
		}
	}
	slices.SortFunc(snaps, func(a, b credential.Snapshot) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ExtID, b.ExtID))
	})
	var cards []*credential.OTPCard
	for _, snap := range snaps[:min(len(snaps), page.Limit+1)] {
		cards = append(cards, restore(snap))
	}
	return listing.Trim(cards, page.Limit, func(c *credential.OTPCard) listing.Cursor {
		return listing.Cursor{Created: c.Snapshot().Created, ExtID: c.ExtID()}
	}), nil
}

func (s *fakeStore) PolicyOfCard(_ context.Context, key app.CardKey) (credential.Policy, credential.Holder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["PolicyOfCard"]++
	snap, err := s.lookup(key)
	if err != nil {
		return credential.Policy{}, 0, err
	}
	p, ok := s.policies[snap.PolicyExtID]
	if !ok {
		return credential.Policy{}, 0, &fault.NotFoundError{Entity: "policy", ExtID: snap.PolicyExtID}
	}
	return p, s.holders[snap.UserExtID], nil
}

func (s *fakeStore) PolicyForUser(_ context.Context, clientExtID, userExtID, policyExtID string) (credential.Policy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["PolicyForUser"]++
	if client, ok := s.users[userExtID]; !ok || client != clientExtID {
		return credential.Policy{}, &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	for _, p := range s.policies {
		if p.ClientExtID == clientExtID && (p.ExtID == policyExtID || policyExtID == "" && p.Default) {
			return p, nil
		}
	}
	return credential.Policy{}, credential.ErrUnknownPolicy
}

// UpdateUserCard hands fn the user's cards, newest first, with their policies and the user's
// state, and saves the card fn returns.
func (s *fakeStore) UpdateUserCard(_ context.Context, clientExtID, userExtID string, fn app.UserCardChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["UpdateUserCard"]++
	if client, ok := s.users[userExtID]; !ok || client != clientExtID {
		return &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	u := app.UserCards{Holder: s.holders[userExtID]}
	for _, snap := range s.cards {
		if snap.UserExtID == userExtID {
			u.Cards = append(u.Cards, app.UserCard{Card: restore(snap), Policy: s.policies[snap.PolicyExtID]})
		}
	}
	slices.SortFunc(u.Cards, func(a, b app.UserCard) int {
		return cmp.Or(b.Card.Snapshot().Created.Compare(a.Card.Snapshot().Created), cmp.Compare(b.Card.ExtID(), a.Card.ExtID()))
	})
	s.inside.Store(true)
	changed, events, err := fn(u)
	s.inside.Store(false)
	if err != nil || changed == nil {
		return err
	}
	s.cards[changed.ExtID()] = changed.Snapshot()
	s.events = append(s.events, events...)
	return nil
}

// fakeHasher derives a verifier as SHA-256 over salt and cell, and remembers what it hashed. With
// store set, it counts calls made while a store callback runs (they must never happen).
type fakeHasher struct {
	store *fakeStore
	err   error

	mu          sync.Mutex
	calls       int
	insideCalls int
	hashed      [][]string
	secrets     []credential.Secret
}

func fakeVerifier(salt []byte, index int, cell string) []byte {
	sum := sha256.Sum256(append(append(slices.Clone(salt), byte(index), byte(index>>8)), cell...))
	return sum[:16]
}

func (h *fakeHasher) Hash(ctx context.Context, cells []string) (credential.Secret, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.store != nil && h.store.inside.Load() {
		h.insideCalls++
	}
	h.hashed = append(h.hashed, slices.Clone(cells))
	if h.err != nil {
		return credential.Secret{}, h.err
	}
	if err := ctx.Err(); err != nil {
		return credential.Secret{}, err
	}
	salt := make([]byte, credential.SaltLength)
	salt[0], salt[1] = 0xfa, byte(h.calls)
	secret := credential.Secret{Scheme: "fake-sha256", Salt: salt, Verifiers: make([][]byte, len(cells))}
	for i, c := range cells {
		secret.Verifiers[i] = fakeVerifier(salt, i, c)
	}
	h.secrets = append(h.secrets, secret)
	return secret, nil
}

// Verify checks a cell against a secret the fake made, in constant time.
func (h *fakeHasher) Verify(secret credential.Secret, index int, value string) (bool, error) {
	if index < 0 || index >= len(secret.Verifiers) {
		return false, errors.New("no such cell")
	}
	return subtle.ConstantTimeCompare(fakeVerifier(secret.Salt, index, value), secret.Verifiers[index]) == 1, nil
}

func (h *fakeHasher) counts() (calls, inside int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls, h.insideCalls
}

func (h *fakeHasher) lastHashed() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.hashed) == 0 {
		return nil
	}
	return h.hashed[len(h.hashed)-1]
}

// clock is a fixed clock.
func clock(at time.Time) app.Clock { return func() time.Time { return at } }
