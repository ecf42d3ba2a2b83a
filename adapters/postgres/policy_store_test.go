package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// policyWorld is a card world with a policy store.
type policyWorld struct {
	cardWorld
	policies *postgres.PolicyStore
}

func newPolicyWorld(t *testing.T) policyWorld {
	t.Helper()
	w := newCardWorld(t)
	return policyWorld{cardWorld: w, policies: postgres.NewPolicyStore(w.db)}
}

// newTestPolicy is a valid policy of the client that is not the default, created at.
func newTestPolicy(t *testing.T, extID, client string, at time.Time) credential.Policy {
	t.Helper()
	params, err := credential.ParseParameters(digitsPolicy)
	if err != nil {
		t.Fatal(err)
	}
	p, err := credential.NewPolicy(credential.Policy{ExtID: extID, ClientExtID: client, Name: "Policy " + extID,
		Description: "for tests", Parameters: params}, at)
	if err != nil {
		t.Fatalf("new policy %s: %v", extID, err)
	}
	return p
}

func policyCreated(p credential.Policy) []event.Event {
	return []event.Event{{Type: credential.PolicyCreated, Time: p.Created, Actor: admin, ClientExtID: p.ClientExtID,
		PolicyExtID: p.ExtID, Version: p.Version}}
}

// demoteAt is the demote callback of the use cases: it clears the flag at now and records an event.
func demoteAt(now time.Time) appcredential.PolicyChange {
	return func(p *credential.Policy) ([]event.Event, error) {
		p.Demote(now)
		return []event.Event{{Type: credential.PolicyChanged, Time: now, Actor: admin, ClientExtID: p.ClientExtID,
			PolicyExtID: p.ExtID, Version: p.Version}}, nil
	}
}

// modify is an update callback applying edit at now with one policy.changed event.
func modify(edit credential.PolicyEdit, now time.Time) appcredential.PolicyChange {
	return func(p *credential.Policy) ([]event.Event, error) {
		changed, err := p.Modify(edit, now)
		if err != nil || len(changed) == 0 {
			return nil, err
		}
		return []event.Event{{Type: credential.PolicyChanged, Time: now, Actor: admin, ClientExtID: p.ClientExtID,
			PolicyExtID: p.ExtID, Version: p.Version}}, nil
	}
}

func (w policyWorld) create(t *testing.T, p credential.Policy) {
	t.Helper()
	if err := w.policies.Create(t.Context(), p, policyCreated(p), demoteAt(p.Created)); err != nil {
		t.Fatalf("create policy %s: got %v, want nil", p.ExtID, err)
	}
}

func (w policyWorld) get(t *testing.T, client, extID string) credential.Policy {
	t.Helper()
	p, err := w.policies.Get(t.Context(), client, extID)
	if err != nil {
		t.Fatalf("get policy %s: got %v, want nil", extID, err)
	}
	return p
}

// defaults lists the client's default policies as stored.
func (w policyWorld) defaults(t *testing.T, client string) []string {
	t.Helper()
	var ids []string
	err := w.db.NewRaw("SELECT ext_id FROM policies WHERE client_ext_id = ? AND default_policy ORDER BY ext_id", client).
		Scan(t.Context(), &ids)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// policyEvents lists "type policy version" of the recorded policy events after the clients' own.
func (w policyWorld) policyEvents(t *testing.T) []string {
	t.Helper()
	var rows []struct {
		Type    string `bun:"type"`
		Policy  string `bun:"policy_ext_id"`
		Version int32  `bun:"version"`
	}
	err := w.db.NewRaw("SELECT type, policy_ext_id, version FROM events WHERE policy_ext_id NOT IN ('', ?, ?) ORDER BY id",
		w.acme.ExtID, w.globex.ExtID).Scan(t.Context(), &rows)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%s %s %d", r.Type, r.Policy, r.Version))
	}
	return out
}

func TestPolicyStoreCreateAndGet(t *testing.T) {
	w := newPolicyWorld(t)
	p := newTestPolicy(t, "digits", "acme", base)
	w.create(t, p)
	got := w.get(t, "acme", "digits")
	if got.ExtID != "digits" || got.ClientExtID != "acme" || got.Name != "Policy digits" ||
		got.Description != "for tests" || got.Default || got.Version != 1 || got.Parameters != p.Parameters {
		t.Errorf("got %+v, want %+v", got, p)
	}
	assertTime(t, "created", got.Created, base)
	assertTime(t, "lastModified", got.LastModified, base)
	if got := w.policyEvents(t); !slices.Equal(got, []string{"policy.created digits 1"}) {
		t.Errorf("events: got %v, want [policy.created digits 1]", got)
	}
	var typ string
	if err := w.db.NewRaw("SELECT policy_type FROM policies WHERE ext_id = 'digits'").Scan(t.Context(), &typ); err != nil || typ != "OTPCardPolicy" {
		t.Errorf("policy_type: got %q (%v), want OTPCardPolicy", typ, err)
	}

	for _, tt := range []struct {
		name, client, policy string
	}{
		{"unknown", "acme", "nope"},
		{"of another client", "globex", "digits"},
		{"unknown client", "nowhere", "digits"},
	} {
		t.Run("get "+tt.name, func(t *testing.T) {
			_, err := w.policies.Get(t.Context(), tt.client, tt.policy)
			var nf *fault.NotFoundError
			if !errors.As(err, &nf) || nf.Entity != "policy" || nf.ExtID != tt.policy {
				t.Errorf("got %v, want a policy NotFoundError for %s", err, tt.policy)
			}
		})
	}
	t.Run("duplicate extId, even in another client", func(t *testing.T) {
		err := w.policies.Create(t.Context(), newTestPolicy(t, "digits", "globex", base), nil, demoteAt(base))
		if !errors.Is(err, fault.ErrDuplicate) {
			t.Errorf("got %v, want ErrDuplicate", err)
		}
	})
	t.Run("unknown client", func(t *testing.T) {
		err := w.policies.Create(t.Context(), newTestPolicy(t, "orphan", "nowhere", base), nil, demoteAt(base))
		var nf *fault.NotFoundError
		if !errors.As(err, &nf) || nf.Entity != "client" {
			t.Errorf("got %v, want a client NotFoundError", err)
		}
	})
}

func TestPolicyStoreUpdate(t *testing.T) {
	w := newPolicyWorld(t)
	w.create(t, newTestPolicy(t, "digits", "acme", base))
	later := base.Add(time.Hour)

	params := credential.DefaultParameters()
	params.Layout.Rows = 5
	err := w.policies.Update(t.Context(), "acme", "digits",
		modify(credential.PolicyEdit{Name: new("Renamed"), Parameters: &params}, later), demoteAt(later))
	if err != nil {
		t.Fatalf("update: got %v, want nil", err)
	}
	got := w.get(t, "acme", "digits")
	if got.Name != "Renamed" || got.Parameters != params || got.Version != 2 || got.Default {
		t.Errorf("stored: got %+v, want renamed with 5 rows at version 2", got)
	}
	assertTime(t, "lastModified", got.LastModified, later)
	assertTime(t, "created", got.Created, base)

	t.Run("no change saves nothing", func(t *testing.T) {
		err := w.policies.Update(t.Context(), "acme", "digits", modify(credential.PolicyEdit{Name: new("Renamed")}, later.Add(time.Hour)), demoteAt(later))
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if p := w.get(t, "acme", "digits"); p.Version != 2 || !p.LastModified.Equal(stored(later)) {
			t.Errorf("got version %d lastModified %v, want 2 and %v", p.Version, p.LastModified, stored(later))
		}
	})
	t.Run("callback error saves nothing", func(t *testing.T) {
		boom := errors.New("boom")
		err := w.policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			p.Name, p.Version = "lost", p.Version+1
			return nil, boom
		}, demoteAt(later))
		if !errors.Is(err, boom) {
			t.Fatalf("got %v, want boom", err)
		}
		if p := w.get(t, "acme", "digits"); p.Name != "Renamed" {
			t.Errorf("name: got %q, want Renamed", p.Name)
		}
	})
	t.Run("a concurrent write waits for the row lock", func(t *testing.T) {
		err := w.policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			// The server gives up waiting after lock_timeout: the write never runs later.
			err := w.db.RunInTx(t.Context(), nil, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '200ms'"); err != nil {
					return err
				}
				_, err := tx.NewRaw("UPDATE policies SET version = version + 1 WHERE ext_id = 'digits'").Exec(ctx)
				return err
			})
			if err == nil {
				t.Error("concurrent write: got through the row lock, want it blocked")
			}
			return modify(credential.PolicyEdit{Name: new("Locked")}, later)(p)
		}, demoteAt(later))
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if p := w.get(t, "acme", "digits"); p.Name != "Locked" || p.Version != 3 {
			t.Errorf("got %q at version %d, want Locked at 3", p.Name, p.Version)
		}
	})
	for _, tt := range []struct{ name, client, policy, kind string }{
		{"unknown policy", "acme", "nope", "policy"},
		{"policy of another client", "globex", "digits", "policy"},
		{"unknown client", "nowhere", "digits", "client"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := w.policies.Update(t.Context(), tt.client, tt.policy, modify(credential.PolicyEdit{Name: new("x")}, later), demoteAt(later))
			var nf *fault.NotFoundError
			if !errors.As(err, &nf) || nf.Entity != tt.kind {
				t.Errorf("got %v, want a %s NotFoundError", err, tt.kind)
			}
		})
	}
	t.Run("making it the default moves the flag", func(t *testing.T) {
		err := w.policies.Update(t.Context(), "acme", "digits", modify(credential.PolicyEdit{Default: new(true)}, later), demoteAt(later))
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if got := w.defaults(t, "acme"); !slices.Equal(got, []string{"digits"}) {
			t.Errorf("defaults: got %v, want [digits]", got)
		}
		if old := w.get(t, "acme", w.acme.ExtID); old.Default || old.Version != 2 {
			t.Errorf("old default: got default %v version %d, want false, 2", old.Default, old.Version)
		}
	})
}

// TestPolicyStoreDefaultMovesUnderConcurrency makes ten policies the default at once: every
// change succeeds, one after another, and exactly one default remains, the one changed last.
func TestPolicyStoreDefaultMovesUnderConcurrency(t *testing.T) {
	w := newPolicyWorld(t)
	const n = 10
	for i := range n {
		w.create(t, newTestPolicy(t, fmt.Sprintf("p%d", i), "acme", base))
	}
	later := base.Add(time.Minute)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = w.policies.Update(t.Context(), "acme", fmt.Sprintf("p%d", i),
				modify(credential.PolicyEdit{Default: new(true)}, later), demoteAt(later))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("p%d: got %v, want nil", i, err)
		}
	}
	defaults := w.defaults(t, "acme")
	if len(defaults) != 1 {
		t.Fatalf("defaults: got %v, want exactly one", defaults)
	}
	// Each demotion bumped a version: the old default once, and every pN but the winner twice.
	var sum int
	if err := w.db.NewRaw("SELECT sum(version) FROM policies WHERE client_ext_id = 'acme'").Scan(t.Context(), &sum); err != nil {
		t.Fatal(err)
	}
	if want := 2 + (n-1)*3 + 2; sum != want {
		t.Errorf("sum of versions: got %d, want %d", sum, want)
	}
	var last string
	err := w.db.NewRaw("SELECT policy_ext_id FROM events WHERE type = 'policy.changed' ORDER BY id DESC LIMIT 1").Scan(t.Context(), &last)
	if err != nil || last != defaults[0] {
		t.Errorf("last change: got %s (%v), want the default %s", last, err, defaults[0])
	}
}

// TestPolicyDeleteRacesCardCreate deletes a policy while a card is created under it, many times:
// either the card wins (and the delete is ErrInUse) or the delete wins (and the card is
// ErrUnknownPolicy); never both, never a foreign-key failure.
func TestPolicyDeleteRacesCardCreate(t *testing.T) {
	w := newPolicyWorld(t)
	deleted := func(p *credential.Policy) ([]event.Event, error) { return nil, nil }
	outcomes := map[string]int{}
	for i := range 30 {
		id := fmt.Sprintf("race-%d", i)
		w.create(t, newTestPolicy(t, id, "acme", base))
		s := w.newCard(t, w.alice, "card-"+id, byte(i), base).Snapshot()
		s.PolicyExtID = id
		card := credential.RestoreOTPCard(s)
		var delErr, cardErr error
		var wg sync.WaitGroup
		wg.Go(func() { delErr = w.policies.Delete(t.Context(), "acme", id, deleted) })
		wg.Go(func() { cardErr = w.cards.Create(t.Context(), card, nil, admitUpTo(100)) })
		wg.Wait()
		switch {
		case cardErr == nil && errors.Is(delErr, credential.ErrInUse):
			outcomes["card first"]++
		case delErr == nil && errors.Is(cardErr, credential.ErrUnknownPolicy):
			outcomes["delete first"]++
		default:
			t.Fatalf("round %d: got delete %v and card create %v, want exactly one to win cleanly", i, delErr, cardErr)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
