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
	_ app.PolicyStore    = (*PolicyStore)(nil)
	_ app.ClientPolicies = (*PolicyStore)(nil)
)

// PolicyStore keeps the policies of a Memory, with the postgres store's rules (see the ports in
// app.PolicyStore and app.ClientPolicies), and counts how it was called. Every write runs whole
// under the Memory's mutex, so the default flag never rests on two policies or none.
type PolicyStore struct {
	*Memory
	storetest.Counter
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

// demoteDefault passes the client's default (other than newDefault) to demote and saves the
// changed copy with demote's events; when demote fails it saves nothing and the caller saves
// nothing either, so that both policies are saved or neither.
func (s *PolicyStore) demoteDefault(clientExtID, newDefault string, demote app.PolicyChange) error {
	for _, p := range s.policies {
		if p.ClientExtID == clientExtID && p.Default && p.ExtID != newDefault {
			events, err := demote(&p)
			if err != nil {
				return err
			}
			s.policies[p.ExtID] = storedPolicy(p)
			s.record(events)
			return nil
		}
	}
	return nil
}

// Get returns the client's policy; see app.PolicyReader.
func (s *PolicyStore) Get(_ context.Context, clientExtID, extID string) (credential.Policy, error) {
	defer s.Enter("Get")()
	p, ok := s.policies[extID]
	if !ok || p.ClientExtID != clientExtID {
		return credential.Policy{}, policyNotFound(extID)
	}
	return p, nil
}

// List returns a page of the client's policies, oldest first; see app.PolicyReader.
func (s *PolicyStore) List(_ context.Context, clientExtID string, page listing.Page) (listing.Result[credential.Policy], error) {
	defer s.Enter("List")()
	if !s.clientExists(clientExtID) {
		return listing.Result[credential.Policy]{}, clientNotFound(clientExtID)
	}
	return storetest.Page(s.clientPolicies(clientExtID), page, policyCursor), nil
}

// Create saves a new policy and its events, moving the default flag to it when it is the
// default; see app.PolicyWriter.
func (s *PolicyStore) Create(_ context.Context, p credential.Policy, events []event.Event, demote app.PolicyChange) error {
	defer s.Enter("Create")()
	if !s.clientExists(p.ClientExtID) {
		return clientNotFound(p.ClientExtID)
	}
	if _, taken := s.policies[p.ExtID]; taken {
		return fmt.Errorf("%w: a policy with extId %s exists", fault.ErrDuplicate, p.ExtID)
	}
	if p.Default {
		if err := s.demoteDefault(p.ClientExtID, p.ExtID, demote); err != nil {
			return err
		}
	}
	s.policies[p.ExtID] = storedPolicy(p)
	s.record(events)
	return nil
}

// Update changes the policy when fn succeeds and moves its version, moving the default flag to it
// when fn made it the default; see app.PolicyWriter.
func (s *PolicyStore) Update(_ context.Context, clientExtID, extID string, fn, demote app.PolicyChange) error {
	defer s.Enter("Update")()
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
		if err := s.demoteDefault(clientExtID, extID, demote); err != nil {
			return err
		}
	}
	s.policies[extID] = storedPolicy(p)
	s.record(events)
	return nil
}

// Delete removes the policy when fn succeeds and no card uses it; see app.PolicyWriter.
func (s *PolicyStore) Delete(_ context.Context, clientExtID, extID string, fn app.PolicyChange) error {
	defer s.Enter("Delete")()
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

// clientPolicies returns the client's policies in the order of every list.
func (s *PolicyStore) clientPolicies(clientExtID string) []credential.Policy {
	var ps []credential.Policy
	for _, p := range s.policies {
		if p.ClientExtID == clientExtID {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b credential.Policy) int { return storetest.CompareCursors(policyCursor(a), policyCursor(b)) })
	return ps
}

// policyCursor places a policy in the order of every list.
func policyCursor(p credential.Policy) listing.Cursor {
	return listing.Cursor{Created: p.Created, ExtID: p.ExtID}
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
	defer s.Enter("CreateDefault")()
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
	defer s.Enter("DeleteAll")()
	ps := s.clientPolicies(clientExtID)
	for _, p := range ps {
		if s.cardsUnder(p.ExtID) > 0 {
			return fmt.Errorf("%w: a policy of client %s is still used by an OTP card", credential.ErrInUse, clientExtID)
		}
	}
	for _, p := range ps {
		delete(s.policies, p.ExtID)
	}
	s.record(fn(ps))
	return nil
}
