// Package notifytest holds the notify module's in-memory fakes of its store ports and the
// contract suite that the fakes and the postgres store both pass.
package notifytest

import (
	"context"
	"sync"
	"time"

	app "github.com/otpcard/otpcard/application/notify"
)

// Store is the notify module's tables in memory: Recipients and Deliveries.
type Store struct {
	mu         sync.Mutex
	recipients map[string]app.Recipient
	ended      map[int64]app.Outcome
}

var (
	_ app.Recipients = (*Store)(nil)
	_ app.Deliveries = (*Store)(nil)
)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{recipients: map[string]app.Recipient{}, ended: map[int64]app.Outcome{}}
}

// SaveRecipient records the user; see app.Recipients.
func (s *Store) SaveRecipient(_ context.Context, r app.Recipient) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recipients[r.UserExtID] = r
	return nil
}

// DeleteRecipient forgets the user; see app.Recipients.
func (s *Store) DeleteRecipient(_ context.Context, clientExtID, userExtID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.recipients[userExtID]; ok && r.ClientExtID == clientExtID {
		delete(s.recipients, userExtID)
	}
	return nil
}

// Recipient returns the user; see app.Recipients.
func (s *Store) Recipient(_ context.Context, clientExtID, userExtID string) (app.Recipient, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recipients[userExtID]
	if !ok || r.ClientExtID != clientExtID {
		return app.Recipient{}, false, nil
	}
	return r, true, nil
}

// Ended reports whether the event's notice ended; see app.Deliveries.
func (s *Store) Ended(_ context.Context, eventID int64) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ended[eventID]
	return ok, nil
}

// End records how the event's notice ended, once; see app.Deliveries.
func (s *Store) End(_ context.Context, eventID int64, outcome app.Outcome, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ended[eventID]; !ok {
		s.ended[eventID] = outcome
	}
	return nil
}

// Outcome is how the event's notice ended, "" while it has not.
func (s *Store) Outcome(eventID int64) app.Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended[eventID]
}
