package credentialtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var (
	_ app.PolicyStore    = (*PolicyStore)(nil)
	_ app.ClientPolicies = (*PolicyStore)(nil)
)

// PolicyStore keeps the policies of a Memory, with the postgres store's rules (see the ports in
// app.PolicyStore and app.ClientPolicies), and remembers how it was called. Every write runs
// whole under the Memory's mutex, so the default flag never rests on two policies or none.
type PolicyStore struct {
	*Memory
	calls map[string]int
}

// NewPolicyStore is the policy store of a new Memory holding policies; the clients are those
// with a default among them.
func NewPolicyStore(policies ...credential.Policy) *PolicyStore {
	m := NewMemory()
	for _, p := range policies {
		m.AddPolicy(p)
	}
	return m.PolicyStore()
}

// Called counts the calls of one port method ("Get", "List", "Create", ...).
func (s *PolicyStore) Called(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Calls counts the calls of every port method.
func (s *PolicyStore) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

func policyNotFound(extID string) error { return &fault.NotFoundError{Entity: "policy", ExtID: extID} }

func clientNotFound(extID string) error { return &fault.NotFoundError{Entity: "client", ExtID: extID} }

// lookup returns the client's stored policy, or a *fault.NotFoundError naming the client or the
// policy.
func (s *PolicyStore) lookup(clientExtID, extID string) (credential.Policy, error) {
	if !s.clientExists(clientExtID) {
		return credential.Policy{}, clientNotFound(clientExtID)
	}
	p, ok := s.policies[extID]
	if !ok || p.ClientExtID != clientExtID {
		return credential.Policy{}, policyNotFound(extID)
	}
	return p, nil
}

// demoteDefault passes the client's default (other than newDefault) to demote and returns the
// changed copy and demote's events, saving nothing: the caller saves both policies or neither.
func (s *PolicyStore) demoteDefault(clientExtID, newDefault string, demote app.PolicyChange) (*credential.Policy, []event.Event, error) {
	for _, p := range s.policies {
		if p.ClientExtID == clientExtID && p.Default && p.ExtID != newDefault {
			events, err := demote(&p)
			return &p, events, err
		}
	}
	return nil, nil, nil
}

// Get returns the client's policy; see app.PolicyReader.
func (s *PolicyStore) Get(_ context.Context, clientExtID, extID string) (credential.Policy, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Get"]++
	p, ok := s.policies[extID]
	if !ok || p.ClientExtID != clientExtID {
		return credential.Policy{}, policyNotFound(extID)
	}
	return p, nil
}

// List returns a page of the client's policies, oldest first; see app.PolicyReader.
func (s *PolicyStore) List(_ context.Context, clientExtID string, page listing.Page) (listing.Result[credential.Policy], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["List"]++
	if !s.clientExists(clientExtID) {
		return listing.Result[credential.Policy]{}, clientNotFound(clientExtID)
	}
	var ps []credential.Policy
	for _, p := range s.policies {
		if p.ClientExtID == clientExtID && (page.After == nil ||
			cmp.Or(p.Created.Compare(page.After.Created), cmp.Compare(p.ExtID, page.After.ExtID)) > 0) {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b credential.Policy) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ExtID, b.ExtID))
	})
	return listing.Trim(ps[:min(len(ps), page.Limit+1)], page.Limit, func(p credential.Policy) listing.Cursor {
		return listing.Cursor{Created: p.Created, ExtID: p.ExtID}
	}), nil
}

// Create saves a new policy and its events, moving the default flag to it when it is the
// default; see app.PolicyWriter.
func (s *PolicyStore) Create(_ context.Context, p credential.Policy, events []event.Event, demote app.PolicyChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Create"]++
	if !s.clientExists(p.ClientExtID) {
		return clientNotFound(p.ClientExtID)
	}
	if _, taken := s.policies[p.ExtID]; taken {
		return fmt.Errorf("%w: a policy with extId %s exists", fault.ErrDuplicate, p.ExtID)
	}
	if p.Default {
		old, evs, err := s.demoteDefault(p.ClientExtID, p.ExtID, demote)
		if err != nil {
			return err
		}
		if old != nil {
			s.policies[old.ExtID] = storedPolicy(*old)
			s.record(evs)
		}
	}
	s.policies[p.ExtID] = storedPolicy(p)
	s.record(events)
	return nil
}

// Update changes the policy when fn succeeds and moves its version, moving the default flag to it
// when fn made it the default; see app.PolicyWriter.
func (s *PolicyStore) Update(_ context.Context, clientExtID, extID string, fn, demote app.PolicyChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Update"]++
	loaded, err := s.lookup(clientExtID, extID)
	if err != nil {
		return err
	}
	p := loaded
	events, err := fn(&p)
	if err != nil || p.Version == loaded.Version {
		return err
	}
	if p.Default && !loaded.Default {
		old, evs, err := s.demoteDefault(clientExtID, extID, demote)
		if err != nil {
			return err
		}
		if old != nil {
			s.policies[old.ExtID] = storedPolicy(*old)
			s.record(evs)
		}
	}
	s.policies[extID] = storedPolicy(p)
	s.record(events)
	return nil
}

// Delete removes the policy when fn succeeds and no card uses it; see app.PolicyWriter.
func (s *PolicyStore) Delete(_ context.Context, clientExtID, extID string, fn app.PolicyChange) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["Delete"]++
	p, err := s.lookup(clientExtID, extID)
	if err != nil {
		return err
	}
	events, err := fn(&p)
	if err != nil {
		return err
	}
	if cards := s.cardsUnder(extID); cards > 0 {
		return fmt.Errorf("%w: policy %s is used by %d OTP card(s), archived ones included; delete them first",
			credential.ErrInUse, extID, cards)
	}
	delete(s.policies, extID)
	s.record(events)
	return nil
}

// cardsUnder counts the cards under a policy, archived ones included.
func (s *PolicyStore) cardsUnder(policyExtID string) int {
	n := 0
	for _, c := range s.cards {
		if c.PolicyExtID == policyExtID {
			n++
		}
	}
	return n
}

// CreateDefault saves the first policy of a new client; see app.ClientPolicies.
func (s *PolicyStore) CreateDefault(_ context.Context, p credential.Policy, events []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["CreateDefault"]++
	if _, taken := s.policies[p.ExtID]; taken || s.clientExists(p.ClientExtID) {
		return fmt.Errorf("%w: a policy with extId %s, or a default policy of client %s, exists",
			fault.ErrDuplicate, p.ExtID, p.ClientExtID)
	}
	s.policies[p.ExtID] = storedPolicy(p)
	s.record(events)
	return nil
}

// DeleteAll deletes every policy of the client with fn's events; see app.ClientPolicies.
func (s *PolicyStore) DeleteAll(_ context.Context, clientExtID string, fn func([]credential.Policy) []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["DeleteAll"]++
	var ps []credential.Policy
	for _, p := range s.policies {
		if p.ClientExtID == clientExtID {
			if s.cardsUnder(p.ExtID) > 0 {
				return fmt.Errorf("%w: a policy of client %s is still used by an OTP card", credential.ErrInUse, clientExtID)
			}
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b credential.Policy) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ExtID, b.ExtID))
	})
	for _, p := range ps {
		delete(s.policies, p.ExtID)
	}
	s.record(fn(ps))
	return nil
}
