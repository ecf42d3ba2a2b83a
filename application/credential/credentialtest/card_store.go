package credentialtest

import (
	"context"
	"fmt"
	"slices"

	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var (
	_ app.CardStore = (*CardStore)(nil)
	_ app.Holders   = (*CardStore)(nil)
)

// CardStore keeps the cards and holders of a Memory, with the postgres store's rules (see the
// ports in app.CardStore and app.Holders), and counts how it was called.
type CardStore struct {
	*Memory
	storetest.Counter
}

// NewCardStore is the card store of a new, empty Memory.
func NewCardStore() *CardStore { return NewMemory().CardStore() }

func cardNotFound(key app.CardKey) error {
	return &fault.NotFoundError{Entity: "OTP credential", ExtID: key.ExtID}
}

// lookup returns the stored card under key.
func (s *CardStore) lookup(key app.CardKey) (credential.Snapshot, error) {
	snap, ok := s.cards[key.ExtID]
	if !ok || snap.ClientExtID != key.ClientExtID || snap.UserExtID != key.UserExtID {
		return credential.Snapshot{}, cardNotFound(key)
	}
	return snap, nil
}

// whileInside runs a callback as if inside the store's transaction: InCallback reports true
// meanwhile.
func (s *CardStore) whileInside(callback func()) {
	s.inside.Store(true)
	defer s.inside.Store(false)
	callback()
}

// change loads the card under key and calls fn with a copy of it inside the transaction; it
// returns the card as loaded, the copy as fn left it, and fn's events.
func (s *CardStore) change(key app.CardKey, fn app.CardChange) (credential.Snapshot, *credential.OTPCard, []event.Event, error) {
	loaded, err := s.lookup(key)
	if err != nil {
		return loaded, nil, nil, err
	}
	card := restored(loaded)
	var events []event.Event
	s.whileInside(func() { events, err = fn(card) })
	return loaded, card, events, err
}

// cardCursor places a card in the order of every list.
func cardCursor(s credential.Snapshot) listing.Cursor {
	return listing.Cursor{Created: s.Created, ExtID: s.ExtID}
}

// Get returns the card under key; see app.CardReader.
func (s *CardStore) Get(_ context.Context, key app.CardKey) (*credential.OTPCard, error) {
	defer s.Enter("Get")()
	snap, err := s.lookup(key)
	if err != nil {
		return nil, err
	}
	return restored(snap), nil
}

// List returns a page of the user's cards, oldest first; see app.CardReader.
func (s *CardStore) List(_ context.Context, clientExtID, userExtID string, page listing.Page) (listing.Result[*credential.OTPCard], error) {
	defer s.Enter("List")()
	if _, err := s.checkUser(clientExtID, userExtID); err != nil {
		return listing.Result[*credential.OTPCard]{}, err
	}
	var cards []*credential.OTPCard
	for _, snap := range s.userCards(clientExtID, userExtID) {
		cards = append(cards, restored(snap))
	}
	return storetest.Page(cards, page, func(c *credential.OTPCard) listing.Cursor { return cardCursor(c.Snapshot()) }), nil
}

// FindBySerial returns the card with that serial in the client (and of the user, when given), nil
// when there is none; see app.CardReader.
func (s *CardStore) FindBySerial(_ context.Context, clientExtID, userExtID string, serial credential.Serial) (*credential.OTPCard, error) {
	defer s.Enter("FindBySerial")()
	if userExtID != "" {
		if _, err := s.checkUser(clientExtID, userExtID); err != nil {
			return nil, err
		}
	} else if !s.clientExists(clientExtID) {
		return nil, &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
	}
	for _, snap := range s.cards {
		if snap.Serial == serial && snap.ClientExtID == clientExtID && (userExtID == "" || snap.UserExtID == userExtID) {
			return restored(snap), nil
		}
	}
	return nil, nil
}

// Create saves a new card and its events when admit lets it in; see app.CardCreator.
func (s *CardStore) Create(_ context.Context, card *credential.OTPCard, events []event.Event, admit func(credential.Holder, int) error) error {
	defer s.Enter("Create")()
	snap := card.Snapshot()
	h, ok := s.holders[snap.UserExtID]
	if !ok || h.client != snap.ClientExtID {
		return &fault.NotFoundError{Entity: "user", ExtID: snap.UserExtID}
	}
	if p, ok := s.policies[snap.PolicyExtID]; !ok || p.ClientExtID != snap.ClientExtID {
		return fmt.Errorf("%w: policy %s no longer exists in client %s", credential.ErrUnknownPolicy, snap.PolicyExtID, snap.ClientExtID)
	}
	held := 0
	for _, c := range s.cards {
		if c.UserExtID == snap.UserExtID && c.State != credential.StateArchived {
			held++
		}
	}
	s.held = append(s.held, held)
	if err := admit(h.state, held); err != nil {
		return err
	}
	if err := s.insertable(snap); err != nil {
		return err
	}
	s.cards[snap.ExtID] = storedSnapshot(snap)
	s.record(events)
	return nil
}

// insertable refuses a new card whose extId or serial number another card has.
func (s *CardStore) insertable(snap credential.Snapshot) error {
	if _, taken := s.cards[snap.ExtID]; taken {
		return fmt.Errorf("%w: an OTP credential with extId %s exists", fault.ErrDuplicate, snap.ExtID)
	}
	for _, c := range s.cards {
		if c.Serial == snap.Serial {
			return fmt.Errorf("%w: the serial number drawn for the new card is taken; try again", fault.ErrDuplicate)
		}
	}
	return nil
}

// Update changes the card under key when fn succeeds; see app.CardUpdater. fn sees a copy, so a
// failed change leaves the stored card as it was.
func (s *CardStore) Update(_ context.Context, key app.CardKey, fn app.CardChange) error {
	defer s.Enter("Update")()
	loaded, card, events, err := s.change(key, fn)
	if err != nil {
		return err
	}
	if s.conflictOnSave {
		return fmt.Errorf("%w: credential %s moved past version %d", fault.ErrVersionConflict, key.ExtID, loaded.Version)
	}
	s.save(loaded, card)
	s.record(events)
	return nil
}

// save stores card when it changed since it was loaded: every change moves its version, and the
// lifecycle job's announcements, which do not, are saved too.
func (s *CardStore) save(loaded credential.Snapshot, card *credential.OTPCard) {
	closeToExpiry, expiry := card.Announced()
	if card.Version() != loaded.Version || closeToExpiry != loaded.CloseToExpiryAnnounced || expiry != loaded.ExpiryAnnounced {
		s.cards[loaded.ExtID] = storedSnapshot(card.Snapshot())
	}
}

// Delete removes the card under key when fn succeeds; see app.CardDeleter.
func (s *CardStore) Delete(_ context.Context, key app.CardKey, fn app.CardChange) error {
	defer s.Enter("Delete")()
	_, _, events, err := s.change(key, fn)
	if err != nil {
		return err
	}
	delete(s.cards, key.ExtID)
	s.record(events)
	return nil
}

// PolicyOfCard returns the card's current policy and its holder's state; see app.CardPolicies.
func (s *CardStore) PolicyOfCard(_ context.Context, key app.CardKey) (credential.Policy, credential.Holder, error) {
	defer s.Enter("PolicyOfCard")()
	snap, err := s.lookup(key)
	if err != nil {
		return credential.Policy{}, 0, err
	}
	p, okPolicy := s.policies[snap.PolicyExtID]
	h, okHolder := s.holders[snap.UserExtID]
	if !okPolicy || !okHolder {
		return credential.Policy{}, 0, cardNotFound(key)
	}
	return p, h.state, nil
}

// PolicyForUser returns the client's policy for a new card of the user; see app.UserPolicies.
func (s *CardStore) PolicyForUser(_ context.Context, clientExtID, userExtID, policyExtID string) (credential.Policy, error) {
	defer s.Enter("PolicyForUser")()
	if _, err := s.checkUser(clientExtID, userExtID); err != nil {
		return credential.Policy{}, err
	}
	for _, p := range s.policies {
		if p.ClientExtID == clientExtID && (p.ExtID == policyExtID || policyExtID == "" && p.Default) {
			return p, nil
		}
	}
	return credential.Policy{}, fmt.Errorf("%w: no OTP card policy %q in client %s", credential.ErrUnknownPolicy, policyExtID, clientExtID)
}

// UpdateUserCard changes the user's cards when fn succeeds; see app.UserCardUpdater.
func (s *CardStore) UpdateUserCard(_ context.Context, clientExtID, userExtID string, fn app.UserCardChange) error {
	defer s.Enter("UpdateUserCard")()
	return s.changeUserCards(clientExtID, userExtID, false, fn)
}

// RenewUserCard is UpdateUserCard that saves the change's new card too; see
// app.UserCardUpdater.
func (s *CardStore) RenewUserCard(_ context.Context, clientExtID, userExtID string, fn app.UserCardChange) error {
	defer s.Enter("RenewUserCard")()
	return s.changeUserCards(clientExtID, userExtID, true, fn)
}

// changeUserCards runs fn over the user's cards, newest first, and saves what it changed: each
// card guarded by the version it was loaded at, with renew the new card as Create would, and the
// events; nothing when fn fails or any save would.
func (s *CardStore) changeUserCards(clientExtID, userExtID string, renew bool, fn app.UserCardChange) error {
	state, err := s.checkUser(clientExtID, userExtID)
	if err != nil {
		return err
	}
	u := app.UserCards{Holder: state}
	loaded := map[*credential.OTPCard]credential.Snapshot{}
	for _, snap := range s.userCards(clientExtID, userExtID) {
		card := restored(snap)
		loaded[card] = snap
		u.Cards = append(u.Cards, app.UserCard{Card: card, Policy: s.policies[snap.PolicyExtID]})
	}
	slices.Reverse(u.Cards)
	var change app.CardsChange
	s.whileInside(func() { change, err = fn(u) })
	if err != nil || (len(change.Changed) == 0 && change.New == nil) {
		return err
	}
	for _, card := range change.Changed {
		if _, ok := loaded[card]; !ok {
			return fmt.Errorf("update user card: the callback returned a card it was not given")
		}
	}
	if change.New != nil {
		if !renew {
			return fmt.Errorf("update user card: a new card is saved by RenewUserCard only")
		}
		if err := s.insertable(change.New.Snapshot()); err != nil {
			return err
		}
		s.cards[change.New.ExtID()] = storedSnapshot(change.New.Snapshot())
	}
	for _, card := range change.Changed {
		s.save(loaded[card], card)
	}
	s.record(change.Events)
	return nil
}

// SaveHolder records the user as a holder in the client, in that state; see app.Holders.
func (s *CardStore) SaveHolder(_ context.Context, clientExtID, userExtID string, state credential.Holder) error {
	defer s.Enter("SaveHolder")()
	h, ok := s.holders[userExtID]
	if !ok {
		h.client = clientExtID
	}
	h.state = state
	s.holders[userExtID] = h
	return nil
}

// DeleteHolder deletes the holder's cards and the holder with fn's events; see app.Holders.
func (s *CardStore) DeleteHolder(_ context.Context, clientExtID, userExtID string, fn func([]*credential.OTPCard) []event.Event) error {
	defer s.Enter("DeleteHolder")()
	var cards []*credential.OTPCard
	for _, snap := range s.userCards(clientExtID, userExtID) {
		cards = append(cards, restored(snap))
		delete(s.cards, snap.ExtID)
	}
	if h, ok := s.holders[userExtID]; ok && h.client == clientExtID {
		delete(s.holders, userExtID)
	}
	s.whileInside(func() { s.record(fn(cards)) })
	return nil
}
