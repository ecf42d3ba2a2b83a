package credentialtest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// RunPolicyStoreContract runs the contract of the policy ports (app.PolicyStore: PolicyReader,
// PolicyWriter; and app.ClientPolicies) against the stores newHarness returns, one fresh harness
// per case.
func RunPolicyStoreContract(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	storetest.Run(t, newHarness, policyCases)
}

// twoClients is a harness with clients acme and globex and their default policies.
func twoClients(t *testing.T, h Harness) (acme, globex credential.Policy) {
	t.Helper()
	return addClient(t, h, "acme"), addClient(t, h, "globex")
}

// listPolicyIDs pages through the client's policies, limit at a time.
func listPolicyIDs(t *testing.T, h Harness, client string, limit int) []string {
	t.Helper()
	return storetest.PageAll(t, limit, func(p listing.Page) (listing.Result[credential.Policy], error) {
		return h.Policies.List(t.Context(), client, p)
	}, func(p credential.Policy) string { return p.ExtID })
}

// rename is an update callback that renames the policy at(60) and records policy.changed.
func rename(name string) func(p *credential.Policy) ([]event.Event, error) {
	return func(p *credential.Policy) ([]event.Event, error) {
		if _, err := p.Modify(credential.PolicyEdit{Name: &name}, at(60)); err != nil {
			return nil, err
		}
		return []event.Event{policyEvent(credential.PolicyChanged, *p)}, nil
	}
}

// wantDefaults fails unless the client's policies flagged default are exactly want.
func wantDefaults(t *testing.T, h Harness, client string, want ...string) {
	t.Helper()
	var got []string
	for _, id := range listPolicyIDs(t, h, client, 100) {
		if p, err := h.Policies.Get(t.Context(), client, id); err == nil && p.Default {
			got = append(got, id)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("defaults of %s: got %v, want %v", client, got, want)
	}
}

var policyCases = []contractCase{
	{Name: "PolicyReader/Get returns the client's policy, its times in UTC to the microsecond", Run: func(t *testing.T, h Harness) {
		acme, _ := twoClients(t, h)
		created := time.Date(2026, 11, 26, 22, 30, 0, 123_456_789, time.FixedZone("CET", 60*60))
		if err := h.Policies.Create(t.Context(), newPolicy(t, "acme", "digits", created), nil, noDemote(t)); err != nil {
			t.Fatal(err)
		}
		wantPolicy(t, h, acme)
		wantPolicy(t, h, newPolicy(t, "acme", "digits", base))
	}},
	{Name: "PolicyReader/Get of a policy not in that client is a NotFoundError naming the policy", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		addPolicy(t, h, "acme", "digits", base)
		for _, tt := range []struct{ client, policy string }{{"acme", "nope"}, {"globex", "digits"}, {"nowhere", "digits"}} {
			_, err := h.Policies.Get(t.Context(), tt.client, tt.policy)
			storetest.WantNotFound(t, err, "policy", tt.policy)
		}
	}},
	{Name: "PolicyReader/List pages the client's policies oldest first, then by extId", Run: func(t *testing.T, h Harness) {
		acme, _ := twoClients(t, h)
		for _, p := range []struct {
			extID string
			at    int
		}{{"p4", 1}, {"p2", 2}, {"p3", 2}, {"p1", 3}, {"p0", 3}} {
			addPolicy(t, h, "acme", p.extID, at(p.at))
		}
		addPolicy(t, h, "globex", "other", at(1))
		want := []string{acme.ExtID, "p4", "p2", "p3", "p0", "p1"}
		for _, limit := range []int{1, 2, 6, 100} {
			if got := listPolicyIDs(t, h, "acme", limit); !slices.Equal(got, want) {
				t.Errorf("limit %d: got %v, want %v", limit, got, want)
			}
		}
	}},
	{Name: "PolicyReader/List of an unknown client is a NotFoundError naming the client", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		_, err := h.Policies.List(t.Context(), "nowhere", listing.Page{Limit: 10})
		storetest.WantNotFound(t, err, "client", "nowhere")
	}},
	{Name: "PolicyWriter/Create saves the policy and its events, leaving the default", Run: func(t *testing.T, h Harness) {
		acme, _ := twoClients(t, h)
		p := newPolicy(t, "acme", "digits", at(1))
		events := []event.Event{policyEvent(credential.PolicyCreated, p)}
		if err := h.Policies.Create(t.Context(), p, events, noDemote(t)); err != nil {
			t.Fatalf("create: got %v, want nil", err)
		}
		wantPolicy(t, h, p)
		wantPolicy(t, h, acme)
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "PolicyWriter/Create of a default moves the flag: demote changes the old default first", Run: func(t *testing.T, h Harness) {
		acme, globex := twoClients(t, h)
		p := newPolicy(t, "acme", "next", at(1))
		p.Default = true
		created := policyEvent(credential.PolicyCreated, p)
		var demoted []string
		if err := h.Policies.Create(t.Context(), p, []event.Event{created}, demoteAt(at(1), &demoted)); err != nil {
			t.Fatalf("create: got %v, want nil", err)
		}
		wantDefaultMoved(t, h, acme, globex, p, demoted, at(1), created)
	}},
	{Name: "PolicyWriter/Create refuses a taken extId with ErrDuplicate, even in another client, and keeps the default", Run: func(t *testing.T, h Harness) {
		acme, globex := twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		dupDefault := newPolicy(t, "acme", globex.ExtID, at(1))
		dupDefault.Default = true
		var demoted []string
		for _, dup := range []credential.Policy{newPolicy(t, "globex", "digits", at(1)), dupDefault} {
			err := h.Policies.Create(t.Context(), dup, []event.Event{policyEvent(credential.PolicyCreated, dup)}, demoteAt(at(1), &demoted))
			storetest.WantErr(t, err, fault.ErrDuplicate)
		}
		wantPolicy(t, h, acme)
		wantPolicy(t, h, globex)
		wantPolicy(t, h, digits)
		wantDefaults(t, h, "acme", acme.ExtID)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "PolicyWriter/Create in an unknown client is a NotFoundError naming the client", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		p := newPolicy(t, "nowhere", "orphan", base)
		err := h.Policies.Create(t.Context(), p, []event.Event{policyEvent(credential.PolicyCreated, p)}, noDemote(t))
		storetest.WantNotFound(t, err, "client", "nowhere")
		_, err = h.Policies.Get(t.Context(), "nowhere", "orphan")
		storetest.WantNotFound(t, err, "policy", "orphan")
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "PolicyWriter/Create returns demote's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		acme, _ := twoClients(t, h)
		p := newPolicy(t, "acme", "next", at(1))
		p.Default = true
		err := h.Policies.Create(t.Context(), p, []event.Event{policyEvent(credential.PolicyCreated, p)},
			func(old *credential.Policy) ([]event.Event, error) {
				old.Demote(at(1))
				return []event.Event{policyEvent(credential.PolicyChanged, *old)}, errRefused
			})
		storetest.WantErr(t, err, errRefused)
		wantPolicy(t, h, acme)
		_, err = h.Policies.Get(t.Context(), "acme", "next")
		storetest.WantNotFound(t, err, "policy", "next")
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "PolicyWriter/Update saves fn's change with its events", Run: func(t *testing.T, h Harness) {
		acme, _ := twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		want := digits
		var events []event.Event
		err := h.Policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			if *p != digits {
				t.Errorf("fn: got %+v, want the stored %+v", *p, digits)
			}
			var err error
			events, err = rename("Renamed")(p)
			want = *p
			return events, err
		}, noDemote(t))
		if err != nil {
			t.Fatalf("update: got %v, want nil", err)
		}
		if want.Version != 2 || want.Name != "Renamed" {
			t.Fatalf("changed policy: got %+v, want Renamed at version 2", want)
		}
		wantPolicy(t, h, want)
		wantPolicy(t, h, acme)
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "PolicyWriter/Update saves nothing when fn leaves the version", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		err := h.Policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			p.Name = "not saved: the version stays"
			return []event.Event{policyEvent(credential.PolicyChanged, *p)}, nil
		}, noDemote(t))
		if err != nil {
			t.Fatalf("update: got %v, want nil", err)
		}
		wantPolicy(t, h, digits)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "PolicyWriter/Update returns fn's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		err := h.Policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			p.Name, p.Version = "lost", p.Version+1
			return []event.Event{policyEvent(credential.PolicyChanged, *p)}, errRefused
		}, noDemote(t))
		storetest.WantErr(t, err, errRefused)
		stale := int32(7)
		err = h.Policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			return nil, p.CheckVersion(&stale)
		}, noDemote(t))
		var vc *fault.VersionConflictError
		if !errors.As(err, &vc) || vc.Given != 7 || vc.Current != 1 || vc.Entity != "policy" {
			t.Errorf("stale version: got %v, want fn's *fault.VersionConflictError given 7, current 1", err)
		}
		wantPolicy(t, h, digits)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "PolicyWriter/Update making the policy the default moves the flag: demote changes the old default first", Run: func(t *testing.T, h Harness) {
		acme, globex := twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		var demoted []string
		var events []event.Event
		err := h.Policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			if _, err := p.Modify(credential.PolicyEdit{Default: new(true)}, at(60)); err != nil {
				return nil, err
			}
			digits = *p
			events = []event.Event{policyEvent(credential.PolicyChanged, *p)}
			return events, nil
		}, demoteAt(at(60), &demoted))
		if err != nil {
			t.Fatalf("update: got %v, want nil", err)
		}
		wantDefaultMoved(t, h, acme, globex, digits, demoted, at(60), events...)
	}},
	{Name: "PolicyWriter/Update returns demote's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		acme, _ := twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		err := h.Policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			_, err := p.Modify(credential.PolicyEdit{Default: new(true)}, at(60))
			return []event.Event{policyEvent(credential.PolicyChanged, *p)}, err
		}, func(old *credential.Policy) ([]event.Event, error) {
			old.Demote(at(60))
			return nil, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		wantPolicy(t, h, acme)
		wantPolicy(t, h, digits)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "PolicyWriter/Update of an unknown client or a policy not in it is a NotFoundError naming it; fn is not called", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		addPolicy(t, h, "acme", "digits", base)
		for _, tt := range []struct{ client, policy, entity, extID string }{
			{"nowhere", "digits", "client", "nowhere"}, {"acme", "nope", "policy", "nope"}, {"globex", "digits", "policy", "digits"},
		} {
			err := h.Policies.Update(t.Context(), tt.client, tt.policy, func(*credential.Policy) ([]event.Event, error) {
				t.Errorf("fn: called for %s/%s, want no call", tt.client, tt.policy)
				return nil, nil
			}, noDemote(t))
			storetest.WantNotFound(t, err, tt.entity, tt.extID)
		}
	}},
	{Name: "PolicyWriter/Delete calls fn with the policy, then deletes it with fn's events", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		other := addPolicy(t, h, "acme", "other", base)
		ev := policyEvent(credential.PolicyDeleted, digits)
		var seen []credential.Policy
		err := h.Policies.Delete(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			seen = append(seen, *p)
			return []event.Event{ev}, nil
		})
		if err != nil {
			t.Fatalf("delete: got %v, want nil", err)
		}
		if !slices.Equal(seen, []credential.Policy{digits}) {
			t.Errorf("fn: got %+v, want one call with digits", seen)
		}
		_, err = h.Policies.Get(t.Context(), "acme", "digits")
		storetest.WantNotFound(t, err, "policy", "digits")
		wantPolicy(t, h, other)
		storetest.WantEvents(t, h.Recorded(t), []event.Event{ev})
	}},
	{Name: "PolicyWriter/Delete returns fn's error unchanged and keeps the policy", Run: func(t *testing.T, h Harness) {
		acme, _ := twoClients(t, h)
		err := h.Policies.Delete(t.Context(), "acme", acme.ExtID, func(p *credential.Policy) ([]event.Event, error) {
			return []event.Event{policyEvent(credential.PolicyDeleted, *p)}, p.CheckDeletable()
		})
		storetest.WantErr(t, err, credential.ErrInUse)
		digits := addPolicy(t, h, "acme", "digits", base)
		err = h.Policies.Delete(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			return []event.Event{policyEvent(credential.PolicyDeleted, *p)}, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		wantPolicy(t, h, acme)
		wantPolicy(t, h, digits)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "PolicyWriter/Delete refuses a policy a card uses, even an archived one, with ErrInUse", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		addHolder(t, h, "acme", "alice", credential.HolderActive)
		addCard(t, h, archivedCard(t, "acme", "alice", "a1", "digits", base))
		err := h.Policies.Delete(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			return []event.Event{policyEvent(credential.PolicyDeleted, *p)}, nil
		})
		storetest.WantErr(t, err, credential.ErrInUse)
		wantPolicy(t, h, digits)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "PolicyWriter/Delete of an unknown client or a policy not in it is a NotFoundError naming it; fn is not called", Run: func(t *testing.T, h Harness) {
		twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		for _, tt := range []struct{ client, policy, entity, extID string }{
			{"nowhere", "digits", "client", "nowhere"}, {"acme", "nope", "policy", "nope"}, {"globex", "digits", "policy", "digits"},
		} {
			err := h.Policies.Delete(t.Context(), tt.client, tt.policy, func(*credential.Policy) ([]event.Event, error) {
				t.Errorf("fn: called for %s/%s, want no call", tt.client, tt.policy)
				return nil, nil
			})
			storetest.WantNotFound(t, err, tt.entity, tt.extID)
		}
		wantPolicy(t, h, digits)
	}},
	{Name: "ClientPolicies/CreateDefault saves the client's first policy and its events; the client is known from then on", Run: func(t *testing.T, h Harness) {
		_, err := h.Policies.List(t.Context(), "acme", listing.Page{Limit: 10})
		storetest.WantNotFound(t, err, "client", "acme")
		p := defaultPolicy("acme")
		events := []event.Event{policyEvent(credential.PolicyCreated, p)}
		if err := h.Policies.CreateDefault(t.Context(), p, events); err != nil {
			t.Fatalf("create default: got %v, want nil", err)
		}
		wantPolicy(t, h, p)
		if got := listPolicyIDs(t, h, "acme", 10); !slices.Equal(got, []string{p.ExtID}) {
			t.Errorf("policies of acme: got %v, want [%s]", got, p.ExtID)
		}
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "ClientPolicies/CreateDefault refuses a taken extId, or a second default, with ErrDuplicate", Run: func(t *testing.T, h Harness) {
		acme, globex := twoClients(t, h)
		taken := defaultPolicy("initech")
		taken.ExtID = acme.ExtID
		second := defaultPolicy("globex")
		second.ExtID = "globex-second"
		for _, p := range []credential.Policy{taken, second} {
			err := h.Policies.CreateDefault(t.Context(), p, []event.Event{policyEvent(credential.PolicyCreated, p)})
			storetest.WantErr(t, err, fault.ErrDuplicate)
		}
		wantPolicy(t, h, acme)
		wantDefaults(t, h, "globex", globex.ExtID)
		_, err := h.Policies.List(t.Context(), "initech", listing.Page{Limit: 10})
		storetest.WantNotFound(t, err, "client", "initech")
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "ClientPolicies/DeleteAll hands fn the client's policies oldest first and deletes them with fn's events", Run: func(t *testing.T, h Harness) {
		acme, globex := twoClients(t, h)
		later := addPolicy(t, h, "acme", "later", at(2))
		earlier := addPolicy(t, h, "acme", "earlier", at(1))
		var seen []credential.Policy
		var events []event.Event
		err := h.Policies.DeleteAll(t.Context(), "acme", func(ps []credential.Policy) []event.Event {
			seen = ps
			for _, p := range ps {
				events = append(events, policyEvent(credential.PolicyDeleted, p))
			}
			return events
		})
		if err != nil {
			t.Fatalf("delete all: got %v, want nil", err)
		}
		if want := []credential.Policy{acme, earlier, later}; !slices.Equal(seen, want) {
			t.Errorf("fn: got %+v, want %+v", seen, want)
		}
		_, err = h.Policies.List(t.Context(), "acme", listing.Page{Limit: 10})
		storetest.WantNotFound(t, err, "client", "acme")
		wantPolicy(t, h, globex)
		storetest.WantEvents(t, h.Recorded(t), events)
		err = h.Policies.DeleteAll(t.Context(), "nowhere", func(ps []credential.Policy) []event.Event {
			if len(ps) != 0 {
				t.Errorf("fn for an unknown client: got %d policies, want none", len(ps))
			}
			return nil
		})
		if err != nil {
			t.Errorf("delete all of an unknown client: got %v, want nil", err)
		}
	}},
	{Name: "ClientPolicies/DeleteAll refuses with ErrInUse while a card uses a policy of the client", Run: func(t *testing.T, h Harness) {
		acme, _ := twoClients(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		addHolder(t, h, "acme", "alice", credential.HolderActive)
		addCard(t, h, newCard(t, "acme", "alice", "a1", "digits", base))
		err := h.Policies.DeleteAll(t.Context(), "acme", func(ps []credential.Policy) []event.Event {
			var events []event.Event
			for _, p := range ps {
				events = append(events, policyEvent(credential.PolicyDeleted, p))
			}
			return events
		})
		storetest.WantErr(t, err, credential.ErrInUse)
		wantPolicy(t, h, acme)
		wantPolicy(t, h, digits)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
}

// wantDefaultMoved fails unless the default flag of acme moved to next: demote was given acme's
// default once and the store keeps it demoted at at, globex's default is as it was, and the store
// recorded the demotion, then events.
func wantDefaultMoved(t *testing.T, h Harness, acme, globex, next credential.Policy, demoted []string, at time.Time,
	events ...event.Event) {
	t.Helper()
	if !slices.Equal(demoted, []string{acme.ExtID}) {
		t.Errorf("demote: got %v, want acme's default", demoted)
	}
	old := acme
	old.Demote(at)
	wantPolicy(t, h, old)
	wantPolicy(t, h, next)
	wantPolicy(t, h, globex)
	wantDefaults(t, h, "acme", next.ExtID)
	storetest.WantEvents(t, h.Recorded(t), append([]event.Event{policyEvent(credential.PolicyChanged, old)}, events...))
}
