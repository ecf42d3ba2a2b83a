package credential_test

import (
	"cmp"
	"context"
	"slices"
	"sync"

	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var _ app.PolicyStore = (*fakePolicies)(nil)

// fakePolicies keeps policies in memory. Its mutex stands in for the client's row lock: every
// write runs whole while it is held, so a change is all or nothing.
type fakePolicies struct {
	mu       sync.Mutex
	clients  map[string]bool
	policies map[string]credential.Policy // by extId
	used     map[string]bool              // policy extIds some card uses
	events   []event.Event
	calls    int
}

func newFakePolicies(clients ...string) *fakePolicies {
	f := &fakePolicies{clients: map[string]bool{}, policies: map[string]credential.Policy{}, used: map[string]bool{}}
	for _, c := range clients {
		f.clients[c] = true
	}
	return f
}

func (f *fakePolicies) add(p credential.Policy) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.policies[p.ExtID] = p
}

func (f *fakePolicies) get(extID string) (credential.Policy, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.policies[extID]
	return p, ok
}

func (f *fakePolicies) recorded() []event.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func (f *fakePolicies) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// defaults lists the extIds of the client's default policies (exactly one when all is well).
func (f *fakePolicies) defaults(client string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, p := range f.policies {
		if p.ClientExtID == client && p.Default {
			out = append(out, p.ExtID)
		}
	}
	return out
}

func (f *fakePolicies) lookup(client, extID string) (credential.Policy, error) {
	if !f.clients[client] {
		return credential.Policy{}, &fault.NotFoundError{Entity: "client", ExtID: client}
	}
	p, ok := f.policies[extID]
	if !ok || p.ClientExtID != client {
		return credential.Policy{}, &fault.NotFoundError{Entity: "policy", ExtID: extID}
	}
	return p, nil
}

// demoteDefault passes the client's default (other than except) to demote and returns the
// changed copy and its events, without saving them.
func (f *fakePolicies) demoteDefault(client, except string, demote app.PolicyChange) (*credential.Policy, []event.Event, error) {
	for _, p := range f.policies {
		if p.ClientExtID == client && p.Default && p.ExtID != except {
			events, err := demote(&p)
			return &p, events, err
		}
	}
	return nil, nil, nil
}

func (f *fakePolicies) Get(_ context.Context, client, extID string) (credential.Policy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.lookup(client, extID)
}

func (f *fakePolicies) List(_ context.Context, client string, page listing.Page) (listing.Result[credential.Policy], error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if !f.clients[client] {
		return listing.Result[credential.Policy]{}, &fault.NotFoundError{Entity: "client", ExtID: client}
	}
	var ps []credential.Policy
	for _, p := range f.policies {
		if p.ClientExtID == client && (page.After == nil || p.Created.After(page.After.Created) ||
			p.Created.Equal(page.After.Created) && p.ExtID > page.After.ExtID) {
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

func (f *fakePolicies) Create(_ context.Context, p credential.Policy, events []event.Event, demote app.PolicyChange) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if !f.clients[p.ClientExtID] {
		return &fault.NotFoundError{Entity: "client", ExtID: p.ClientExtID}
	}
	if _, taken := f.policies[p.ExtID]; taken {
		return fault.ErrDuplicate
	}
	if p.Default {
		old, evs, err := f.demoteDefault(p.ClientExtID, p.ExtID, demote)
		if err != nil {
			return err
		}
		if old != nil {
			f.policies[old.ExtID] = *old
			f.events = append(f.events, evs...)
		}
	}
	f.policies[p.ExtID] = p
	f.events = append(f.events, events...)
	return nil
}

func (f *fakePolicies) Update(_ context.Context, client, extID string, fn, demote app.PolicyChange) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	p, err := f.lookup(client, extID)
	if err != nil {
		return err
	}
	loaded := p
	events, err := fn(&p)
	if err != nil || p.Version == loaded.Version {
		return err
	}
	if p.Default && !loaded.Default {
		old, evs, err := f.demoteDefault(client, extID, demote)
		if err != nil {
			return err
		}
		if old != nil {
			f.policies[old.ExtID] = *old
			f.events = append(f.events, evs...)
		}
	}
	f.policies[extID] = p
	f.events = append(f.events, events...)
	return nil
}

func (f *fakePolicies) Delete(_ context.Context, client, extID string, fn app.PolicyChange) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	p, err := f.lookup(client, extID)
	if err != nil {
		return err
	}
	events, err := fn(&p)
	if err != nil {
		return err
	}
	if f.used[extID] {
		return credential.ErrInUse
	}
	delete(f.policies, extID)
	f.events = append(f.events, events...)
	return nil
}
