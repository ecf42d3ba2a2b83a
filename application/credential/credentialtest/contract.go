package credentialtest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"reflect"
	"testing"
	"time"

	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// This file holds what the credential module's contract suites share. A suite pins the behaviour
// its ports document, observed through the ports alone, so that the in-memory fakes and the
// postgres stores answer every case alike; what a case needs stored beforehand is stored through
// the ports too (a client through its default policy, a user through SaveHolder). What only one
// side can do (concurrency, row locks, SQL) stays in that side's own tests.

// Cards is what a store of cards implements: every card port of the use cases, and the holders
// that the directory's seam keeps.
type Cards interface {
	app.CardStore
	app.Holders
}

// Policies is what a store of policies implements: the policy ports of the use cases and of the
// directory's seam.
type Policies interface {
	app.PolicyStore
	app.ClientPolicies
}

// Harness is one contract case's credential module, fresh and empty: a card store and a policy
// store over the same tables, and the events they recorded.
type Harness struct {
	Cards    Cards
	Policies Policies
	// Recorded returns every event recorded so far, in the order it was recorded.
	Recorded func(t *testing.T) []event.Event
}

// contractCase is one case of a suite; each runs on a harness of its own.
type contractCase = storetest.Case[Harness]

// The shared times, actor and callback error of the cases (see storetest).
var (
	base       = storetest.Base
	at         = storetest.At
	actor      = storetest.Actor
	errRefused = storetest.ErrRefused
)

var (
	// smallLayout keeps the cases' cards small: 2 rows of 3 cells of 4 characters.
	smallLayout = credential.Layout{Rows: 2, Cols: 3, CellLength: 4, Charset: credential.CharsetCrockford32}
)

// grid is a grid of smallLayout whose salt and verifiers derive from seed, so that a store that
// mixes up two cards' secrets shows.
func grid(t *testing.T, seed byte) credential.Grid {
	t.Helper()
	verifiers := make([][]byte, smallLayout.Cells())
	for i := range verifiers {
		verifiers[i] = bytes.Repeat([]byte{seed ^ byte(i)}, 16)
	}
	g, err := credential.NewGrid(smallLayout, credential.Secret{Scheme: fmt.Sprintf("contract;seed=%d", seed),
		Salt: bytes.Repeat([]byte{seed, 0xA5}, credential.SaltLength/2), Verifiers: verifiers})
	if err != nil {
		t.Fatalf("grid: %v", err)
	}
	return g
}

// seedOf derives a grid's seed from a card's extId, so that each card has a secret of its own.
// SerialOf is a serial number of its own for each extId, the same in every run.
func SerialOf(extID string) credential.Serial {
	sum := sha256.Sum256([]byte(extID))
	s, err := credential.NewSerial(bytes.NewReader(sum[:]))
	if err != nil {
		panic(err)
	}
	return s
}

func seedOf(extID string) byte {
	var b byte
	for i := range len(extID) {
		b = b*31 + extID[i]
	}
	return b
}

// defaultPolicy is the default policy of a client, created at base: the policy that makes the
// client known to the module.
func defaultPolicy(client string) credential.Policy {
	return credential.Policy{ExtID: client + "-default", ClientExtID: client, Name: "Default OTP card policy",
		Description: "Created with the client", Default: true, Parameters: credential.DefaultParameters(),
		Created: base, LastModified: base, Version: 1}
}

// digits are parameters other than the default ones.
func digits(t *testing.T) credential.Parameters {
	t.Helper()
	p, err := credential.ParseParameters(map[string]string{"rows": "3", "cols": "4", "cellLength": "6",
		"cellCharset": "digits", "coordinateCardFormat": "true", "maxCredFailureCount": "5"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newPolicy is a valid policy of the client that is not its default, created at created.
func newPolicy(t *testing.T, client, extID string, created time.Time) credential.Policy {
	t.Helper()
	p, err := credential.NewPolicy(credential.Policy{ExtID: extID, ClientExtID: client, Name: "Policy " + extID,
		Description: "for the contract", Parameters: digits(t)}, created)
	if err != nil {
		t.Fatalf("new policy %s: %v", extID, err)
	}
	return p
}

// addClient makes the client known through the seam's port: its default policy, without events.
func addClient(t *testing.T, h Harness, client string) credential.Policy {
	t.Helper()
	p := defaultPolicy(client)
	if err := h.Policies.CreateDefault(t.Context(), p, nil); err != nil {
		t.Fatalf("create the default policy of %s: got %v, want nil", client, err)
	}
	return p
}

// addPolicy saves a policy that is not the default through the port, without events.
func addPolicy(t *testing.T, h Harness, client, extID string, created time.Time) credential.Policy {
	t.Helper()
	p := newPolicy(t, client, extID, created)
	if err := h.Policies.Create(t.Context(), p, nil, noDemote(t)); err != nil {
		t.Fatalf("create policy %s: got %v, want nil", extID, err)
	}
	return p
}

// addHolder records a user of the client in that state through the seam's port.
func addHolder(t *testing.T, h Harness, client, user string, state credential.Holder) {
	t.Helper()
	if err := h.Cards.SaveHolder(t.Context(), client, user, state); err != nil {
		t.Fatalf("save holder %s: got %v, want nil", user, err)
	}
}

// newCard is an active card of the user under the policy, created at created.
func newCard(t *testing.T, client, user, extID, policy string, created time.Time) *credential.OTPCard {
	t.Helper()
	c, err := credential.NewOTPCard(credential.NewCard{ExtID: extID, ClientExtID: client, UserExtID: user,
		PolicyExtID: policy, Serial: SerialOf(extID), State: credential.StateActive, Lifetime: 365 * 24 * time.Hour}, grid(t, seedOf(extID)), created)
	if err != nil {
		t.Fatalf("new card %s: %v", extID, err)
	}
	return c
}

// addCard saves a card through the port, admitted whatever the user holds, without events.
func addCard(t *testing.T, h Harness, c *credential.OTPCard) *credential.OTPCard {
	t.Helper()
	if err := h.Cards.Create(t.Context(), c, nil, admitAll); err != nil {
		t.Fatalf("create card %s: got %v, want nil", c.ExtID(), err)
	}
	return c
}

// admitAll admits every card.
func admitAll(credential.Holder, int) error { return nil }

// keyOf is the path of a card.
func keyOf(c *credential.OTPCard) app.CardKey {
	s := c.Snapshot()
	return app.CardKey{ClientExtID: s.ClientExtID, UserExtID: s.UserExtID, ExtID: s.ExtID}
}

// cardEvent is an event of the card at its version, with data so that the whole event is compared.
func cardEvent(typ event.Type, c *credential.OTPCard) event.Event {
	s := c.Snapshot()
	return event.Event{Type: typ, Time: s.LastModified, Actor: actor, ClientExtID: s.ClientExtID,
		UserExtID: s.UserExtID, CredentialExt: s.ExtID, PolicyExtID: s.PolicyExtID, Version: s.Version,
		RequestID: "req-1", Data: map[string]string{"state": string(s.State)}}
}

// policyEvent is an event of the policy at its version.
func policyEvent(typ event.Type, p credential.Policy) event.Event {
	return event.Event{Type: typ, Time: p.LastModified, Actor: actor, ClientExtID: p.ClientExtID,
		PolicyExtID: p.ExtID, Version: p.Version, RequestID: "req-1", Data: map[string]string{"case": "contract"}}
}

// noDemote is a demote callback for a change that must not move the default flag.
func noDemote(t *testing.T) app.PolicyChange {
	return func(p *credential.Policy) ([]event.Event, error) {
		t.Errorf("demote: called with %s, want no call", p.ExtID)
		return nil, nil
	}
}

// demoteAt is the use cases' demote callback: it clears the flag at now and records
// policy.changed; demoted collects the policies it was given.
func demoteAt(now time.Time, demoted *[]string) app.PolicyChange {
	return func(p *credential.Policy) ([]event.Event, error) {
		*demoted = append(*demoted, p.ExtID)
		p.Demote(now)
		return []event.Event{policyEvent(credential.PolicyChanged, *p)}, nil
	}
}

// wantCard fails unless the card stored under want's path is want.
func wantCard(t *testing.T, h Harness, want credential.Snapshot) {
	t.Helper()
	key := app.CardKey{ClientExtID: want.ClientExtID, UserExtID: want.UserExtID, ExtID: want.ExtID}
	got, err := h.Cards.Get(t.Context(), key)
	if err != nil {
		t.Errorf("card %s: got %v, want it stored", want.ExtID, err)
		return
	}
	if g := got.Snapshot(); !reflect.DeepEqual(g, want) {
		t.Errorf("card %s:\n got %+v\nwant %+v", want.ExtID, g, want)
	}
}

// wantNoCard fails unless no card is stored under key.
func wantNoCard(t *testing.T, h Harness, key app.CardKey) {
	t.Helper()
	_, err := h.Cards.Get(t.Context(), key)
	storetest.WantNotFound(t, err, "OTP credential", key.ExtID)
}

// wantPolicy fails unless the client's policy is stored as want.
func wantPolicy(t *testing.T, h Harness, want credential.Policy) {
	t.Helper()
	got, err := h.Policies.Get(t.Context(), want.ClientExtID, want.ExtID)
	if err != nil || got != want {
		t.Errorf("policy %s:\n got %+v (%v)\nwant %+v", want.ExtID, got, err, want)
	}
}
