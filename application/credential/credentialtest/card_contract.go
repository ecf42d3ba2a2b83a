package credentialtest

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// RunCardStoreContract runs the contract of the card ports (app.CardStore: CardReader,
// CardCreator, CardUpdater, CardDeleter, CardPolicies, UserPolicies, UserCardUpdater; and
// app.Holders) against the stores newHarness returns, one fresh harness per case.
func RunCardStoreContract(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	storetest.Run(t, newHarness, cardCases)
}

// aliceAndBob is a harness with clients acme (users alice and bob, active) and globex (user
// carol); it returns acme's default policy.
func aliceAndBob(t *testing.T, h Harness) credential.Policy {
	t.Helper()
	acme := addClient(t, h, "acme")
	addClient(t, h, "globex")
	addHolder(t, h, "acme", "alice", credential.HolderActive)
	addHolder(t, h, "acme", "bob", credential.HolderActive)
	addHolder(t, h, "globex", "carol", credential.HolderActive)
	return acme
}

// archivedCard is an archived card of the user under the policy.
func archivedCard(t *testing.T, client, user, extID, policy string, created time.Time) *credential.OTPCard {
	t.Helper()
	s := newCard(t, client, user, extID, policy, created).Snapshot()
	s.State, s.StateChangeReason = credential.StateArchived, credential.ReasonArchivedByAdmin
	return credential.RestoreOTPCard(s)
}

// notUnderPath are paths where card a1 of acme/alice is not.
var notUnderPath = []app.CardKey{
	{ClientExtID: "acme", UserExtID: "alice", ExtID: "absent"},
	{ClientExtID: "acme", UserExtID: "bob", ExtID: "a1"},
	{ClientExtID: "globex", UserExtID: "alice", ExtID: "a1"},
	{ClientExtID: "nowhere", UserExtID: "alice", ExtID: "a1"},
}

// cardIDs lists the extIds of user cards in order.
func cardIDs(cards []app.UserCard) []string {
	var ids []string
	for _, c := range cards {
		ids = append(ids, c.Card.ExtID())
	}
	return ids
}

var cardCases = []contractCase{
	{Name: "CardCreator/saves the card and its events", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		card := newCard(t, "acme", "alice", "a1", acme.ExtID, base)
		events := []event.Event{cardEvent(credential.CardCreated, card)}
		if err := h.Cards.Create(t.Context(), card, events, admitAll); err != nil {
			t.Fatalf("create: got %v, want nil", err)
		}
		wantCard(t, h, card.Snapshot())
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "CardCreator/keeps times in UTC to the microsecond", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		created := time.Date(2026, 11, 26, 22, 30, 0, 123_456_789, time.FixedZone("CET", 60*60))
		addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, created))
		wantCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base).Snapshot())
	}},
	{Name: "CardCreator/tells admit the holder's state and how many of its cards are not archived", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(0)))
		addCard(t, h, archivedCard(t, "acme", "alice", "a2", acme.ExtID, at(1)))
		addCard(t, h, newCard(t, "acme", "bob", "b1", acme.ExtID, at(2)))
		addHolder(t, h, "acme", "alice", credential.HolderDisabled)
		type admitted struct {
			holder credential.Holder
			held   int
		}
		var got []admitted
		err := h.Cards.Create(t.Context(), newCard(t, "acme", "alice", "a3", acme.ExtID, at(3)), nil,
			func(holder credential.Holder, held int) error {
				got = append(got, admitted{holder, held})
				return nil
			})
		if err != nil {
			t.Fatalf("create: got %v, want nil", err)
		}
		if want := []admitted{{credential.HolderDisabled, 1}}; !slices.Equal(got, want) {
			t.Errorf("admit: got %+v, want %+v (the archived card and bob's do not count)", got, want)
		}
	}},
	{Name: "CardCreator/returns admit's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		card := newCard(t, "acme", "alice", "a1", acme.ExtID, base)
		err := h.Cards.Create(t.Context(), card, []event.Event{cardEvent(credential.CardCreated, card)},
			func(credential.Holder, int) error { return errRefused })
		storetest.WantErr(t, err, errRefused)
		wantNoCard(t, h, keyOf(card))
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "CardCreator/refuses a taken extId with ErrDuplicate, even for another user or client", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		dups := []*credential.OTPCard{newCard(t, "acme", "alice", "a1", acme.ExtID, at(1)),
			newCard(t, "acme", "bob", "a1", acme.ExtID, at(1)),
			newCard(t, "globex", "carol", "a1", defaultPolicy("globex").ExtID, at(1))}
		for _, dup := range dups {
			err := h.Cards.Create(t.Context(), dup, []event.Event{cardEvent(credential.CardCreated, dup)}, admitAll)
			storetest.WantErr(t, err, fault.ErrDuplicate)
		}
		wantCard(t, h, a1.Snapshot())
		wantNoCard(t, h, keyOf(dups[1]))
		wantNoCard(t, h, keyOf(dups[2]))
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "CardCreator/for a user with no place in the client is a NotFoundError naming the user", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		for _, user := range []string{"nobody", "carol"} {
			card := newCard(t, "acme", user, "c1", acme.ExtID, base)
			err := h.Cards.Create(t.Context(), card, []event.Event{cardEvent(credential.CardCreated, card)},
				func(credential.Holder, int) error { t.Errorf("admit: called for %s, want no call", user); return nil })
			storetest.WantNotFound(t, err, "user", user)
		}
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "CardCreator/under a policy the client does not have is ErrUnknownPolicy", Run: func(t *testing.T, h Harness) {
		aliceAndBob(t, h)
		for _, policy := range []string{"nope", defaultPolicy("globex").ExtID} {
			card := newCard(t, "acme", "alice", "a1", policy, base)
			err := h.Cards.Create(t.Context(), card, []event.Event{cardEvent(credential.CardCreated, card)},
				func(credential.Holder, int) error {
					t.Errorf("admit: called under %s, want no call", policy)
					return nil
				})
			storetest.WantErr(t, err, credential.ErrUnknownPolicy)
			wantNoCard(t, h, keyOf(card))
		}
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "CardReader/Get of a card not under that path is a NotFoundError naming the card", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		for _, key := range notUnderPath {
			_, err := h.Cards.Get(t.Context(), key)
			storetest.WantNotFound(t, err, "OTP credential", key.ExtID)
		}
	}},
	{Name: "CardReader/List pages the user's cards oldest first, then by extId", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		for _, c := range []struct {
			extID string
			at    int
		}{{"e", 0}, {"b", 1}, {"a", 1}, {"d", 2}, {"c", 2}} {
			addCard(t, h, newCard(t, "acme", "alice", c.extID, acme.ExtID, at(c.at)))
		}
		addCard(t, h, newCard(t, "acme", "bob", "bobs", acme.ExtID, at(1)))
		want := []string{"e", "a", "b", "c", "d"}
		for _, limit := range []int{1, 2, 5, 100} {
			var got []string
			page := listing.Page{Limit: limit}
			for pages := 0; ; pages++ {
				res, err := h.Cards.List(t.Context(), "acme", "alice", page)
				if err != nil || pages > len(want) {
					t.Fatalf("limit %d, page %d: got %v, want at most %d pages", limit, pages, err, len(want))
				}
				for _, c := range res.Items {
					got = append(got, c.ExtID())
				}
				if page.After != nil && len(res.Items) == 0 {
					t.Errorf("limit %d: the page after a next cursor is empty, want no cursor after the last page", limit)
				}
				if res.Next == nil {
					break
				}
				if len(res.Items) != limit {
					t.Errorf("limit %d: got a page of %d with a next cursor, want %d", limit, len(res.Items), limit)
				}
				page.After = res.Next
			}
			if !slices.Equal(got, want) {
				t.Errorf("limit %d: got %v, want %v", limit, got, want)
			}
		}
		res, err := h.Cards.List(t.Context(), "acme", "alice", listing.Page{Limit: 10,
			After: &listing.Cursor{Created: at(1), ExtID: "a2"}})
		if len(res.Items) != 3 || res.Items[0].ExtID() != "b" || err != nil {
			t.Errorf("after a cursor between a and b: got %d items from %v (%v), want b, c, d", len(res.Items), res.Items, err)
		}
	}},
	{Name: "CardReader/List of an unknown client or a user not in it is a NotFoundError naming it", Run: func(t *testing.T, h Harness) {
		aliceAndBob(t, h)
		_, err := h.Cards.List(t.Context(), "nowhere", "alice", listing.Page{Limit: 10})
		storetest.WantNotFound(t, err, "client", "nowhere")
		for _, tt := range []struct{ client, user string }{{"acme", "nobody"}, {"globex", "alice"}} {
			_, err := h.Cards.List(t.Context(), tt.client, tt.user, listing.Page{Limit: 10})
			storetest.WantNotFound(t, err, "user", tt.user)
		}
		if res, err := h.Cards.List(t.Context(), "acme", "bob", listing.Page{Limit: 10}); err != nil || len(res.Items) != 0 {
			t.Errorf("bob without cards: got %d cards (%v), want none", len(res.Items), err)
		}
	}},
	{Name: "CardReader/FindBySerial finds a card by its serial within its client, and its user when given", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(0)))
		addCard(t, h, newCard(t, "acme", "bob", "b1", acme.ExtID, at(1)))
		for _, user := range []string{"", "alice"} {
			got, err := h.Cards.FindBySerial(t.Context(), "acme", user, a1.Serial())
			if err != nil || got == nil || !reflect.DeepEqual(got.Snapshot(), a1.Snapshot()) {
				t.Errorf("FindBySerial(acme, %q, a1's serial): got %v (%v), want a1", user, got, err)
			}
		}
		for _, tt := range []struct {
			client, user string
			serial       credential.Serial
		}{
			{"acme", "bob", a1.Serial()},      // another user's card
			{"globex", "", a1.Serial()},       // another client's card
			{"globex", "carol", a1.Serial()},  // another client's card, by a user of that client
			{"acme", "", SerialOf("absent")},  // no such card
			{"acme", "alice", SerialOf("b1")}, // bob's card asked of alice
		} {
			got, err := h.Cards.FindBySerial(t.Context(), tt.client, tt.user, tt.serial)
			if err != nil || got != nil {
				t.Errorf("FindBySerial(%s, %q, %s): got %v (%v), want none", tt.client, tt.user, tt.serial, got, err)
			}
		}
	}},
	{Name: "CardReader/FindBySerial of an unknown client or a user not in it is a NotFoundError naming it", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(0)))
		for _, user := range []string{"", "alice"} {
			_, err := h.Cards.FindBySerial(t.Context(), "nowhere", user, a1.Serial())
			storetest.WantNotFound(t, err, "client", "nowhere")
		}
		_, err := h.Cards.FindBySerial(t.Context(), "acme", "nobody", a1.Serial())
		storetest.WantNotFound(t, err, "user", "nobody")
	}},
	{Name: "CardCreator/a serial number is never given to two cards", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(0)))
		s := newCard(t, "globex", "carol", "c1", "globex-default", at(1)).Snapshot()
		s.Serial = a1.Serial()
		err := h.Cards.Create(t.Context(), credential.RestoreOTPCard(s), nil, admitAll)
		storetest.WantErr(t, err, fault.ErrDuplicate)
		if got, _ := h.Cards.FindBySerial(t.Context(), "globex", "", a1.Serial()); got != nil {
			t.Errorf("the refused card was stored: %v", got)
		}
	}},
	{Name: "CardUpdater/Update saves fn's change with its events", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		var want credential.Snapshot
		var events []event.Event
		err := h.Cards.Update(t.Context(), keyOf(a1), func(c *credential.OTPCard) ([]event.Event, error) {
			if !reflect.DeepEqual(c.Snapshot(), a1.Snapshot()) {
				t.Errorf("fn: got %+v, want the stored %+v", c.Snapshot(), a1.Snapshot())
			}
			if _, err := c.Replace(grid(t, 99), "new card", 30*24*time.Hour, at(60)); err != nil {
				return nil, err
			}
			want = c.Snapshot()
			events = []event.Event{cardEvent(credential.CardReplaced, c), cardEvent(credential.CardLowOnChallenges, c)}
			return events, nil
		})
		if err != nil {
			t.Fatalf("update: got %v, want nil", err)
		}
		if want.Version != 2 {
			t.Fatalf("replaced card: got version %d, want 2", want.Version)
		}
		wantCard(t, h, want)
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "CardUpdater/Update returns fn's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		err := h.Cards.Update(t.Context(), keyOf(a1), func(c *credential.OTPCard) ([]event.Event, error) {
			if err := c.ChangeState(credential.StateDisabled, "lost", at(60)); err != nil {
				t.Fatal(err)
			}
			return []event.Event{cardEvent(credential.CardChanged, c)}, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		stale := int32(7)
		err = h.Cards.Update(t.Context(), keyOf(a1), func(c *credential.OTPCard) ([]event.Event, error) {
			return nil, c.CheckVersion(&stale)
		})
		var vc *fault.VersionConflictError
		if !errors.As(err, &vc) || vc.Given != 7 || vc.Current != 1 {
			t.Errorf("stale version: got %v, want fn's *fault.VersionConflictError given 7, current 1", err)
		}
		wantCard(t, h, a1.Snapshot())
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "CardUpdater/Update of a card not under that path is a NotFoundError; fn is not called", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		for _, key := range notUnderPath {
			err := h.Cards.Update(t.Context(), key, func(*credential.OTPCard) ([]event.Event, error) {
				t.Errorf("fn: called for %+v, want no call", key)
				return nil, nil
			})
			storetest.WantNotFound(t, err, "OTP credential", key.ExtID)
		}
	}},
	{Name: "CardDeleter/Delete calls fn with the card, then deletes it with fn's events", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(0)))
		a2 := addCard(t, h, newCard(t, "acme", "alice", "a2", acme.ExtID, at(1)))
		ev := cardEvent(credential.CardDeleted, a1)
		var seen []credential.Snapshot
		err := h.Cards.Delete(t.Context(), keyOf(a1), func(c *credential.OTPCard) ([]event.Event, error) {
			seen = append(seen, c.Snapshot())
			return []event.Event{ev}, nil
		})
		if err != nil {
			t.Fatalf("delete: got %v, want nil", err)
		}
		if len(seen) != 1 || !reflect.DeepEqual(seen[0], a1.Snapshot()) {
			t.Errorf("fn: got %+v, want one call with a1", seen)
		}
		wantNoCard(t, h, keyOf(a1))
		wantCard(t, h, a2.Snapshot())
		storetest.WantEvents(t, h.Recorded(t), []event.Event{ev})
	}},
	{Name: "CardDeleter/Delete returns fn's error unchanged and keeps the card", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		err := h.Cards.Delete(t.Context(), keyOf(a1), func(c *credential.OTPCard) ([]event.Event, error) {
			return []event.Event{cardEvent(credential.CardDeleted, c)}, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		wantCard(t, h, a1.Snapshot())
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "CardDeleter/Delete of a card not under that path is a NotFoundError; fn is not called", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		for _, key := range notUnderPath {
			err := h.Cards.Delete(t.Context(), key, func(*credential.OTPCard) ([]event.Event, error) {
				t.Errorf("fn: called for %+v, want no call", key)
				return nil, nil
			})
			storetest.WantNotFound(t, err, "OTP credential", key.ExtID)
		}
		wantCard(t, h, a1.Snapshot())
	}},
	{Name: "CardPolicies/PolicyOfCard returns the card's current policy and its holder's state", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		addPolicy(t, h, "acme", "digits", base)
		onDefault := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		onDigits := addCard(t, h, newCard(t, "acme", "alice", "a2", "digits", base))
		var renamed credential.Policy
		err := h.Policies.Update(t.Context(), "acme", "digits", func(p *credential.Policy) ([]event.Event, error) {
			_, err := p.Modify(credential.PolicyEdit{Name: new("Renamed")}, at(60))
			renamed = *p
			return nil, err
		}, noDemote(t))
		if err != nil {
			t.Fatal(err)
		}
		addHolder(t, h, "acme", "alice", credential.HolderDisabled)
		for card, want := range map[*credential.OTPCard]credential.Policy{onDefault: acme, onDigits: renamed} {
			p, holder, err := h.Cards.PolicyOfCard(t.Context(), keyOf(card))
			if err != nil || p != want || holder != credential.HolderDisabled {
				t.Errorf("policy of %s: got %+v, %s (%v); want %+v, disabled", card.ExtID(), p, holder, err, want)
			}
		}
	}},
	{Name: "CardPolicies/PolicyOfCard of a card not under that path is a NotFoundError naming the card", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		for _, key := range notUnderPath {
			_, _, err := h.Cards.PolicyOfCard(t.Context(), key)
			storetest.WantNotFound(t, err, "OTP credential", key.ExtID)
		}
	}},
	{Name: "UserPolicies/PolicyForUser returns the client's default without an extId, else the policy named", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		for policy, want := range map[string]credential.Policy{"": acme, "digits": digits, acme.ExtID: acme} {
			if got, err := h.Cards.PolicyForUser(t.Context(), "acme", "alice", policy); err != nil || got != want {
				t.Errorf("policy %q: got %+v (%v), want %+v", policy, got, err, want)
			}
		}
		var demoted []string
		next := newPolicy(t, "acme", "next", at(1))
		next.Default = true
		if err := h.Policies.Create(t.Context(), next, nil, demoteAt(at(1), &demoted)); err != nil {
			t.Fatal(err)
		}
		if got, err := h.Cards.PolicyForUser(t.Context(), "acme", "alice", ""); err != nil || got != next {
			t.Errorf("default after it moved: got %+v (%v), want %+v", got, err, next)
		}
	}},
	{Name: "UserPolicies/PolicyForUser of a policy the client does not have is ErrUnknownPolicy", Run: func(t *testing.T, h Harness) {
		aliceAndBob(t, h)
		addPolicy(t, h, "globex", "globex-only", base)
		for _, policy := range []string{"nope", "globex-only", defaultPolicy("globex").ExtID} {
			_, err := h.Cards.PolicyForUser(t.Context(), "acme", "alice", policy)
			storetest.WantErr(t, err, credential.ErrUnknownPolicy)
		}
	}},
	{Name: "UserPolicies/PolicyForUser for an unknown client or a user not in it is a NotFoundError naming it", Run: func(t *testing.T, h Harness) {
		aliceAndBob(t, h)
		for _, tt := range []struct{ client, user, policy, entity, extID string }{
			{"nowhere", "alice", "", "client", "nowhere"},
			{"acme", "nobody", "", "user", "nobody"},
			{"globex", "alice", "", "user", "alice"},
			{"acme", "nobody", "nope", "user", "nobody"},
		} {
			_, err := h.Cards.PolicyForUser(t.Context(), tt.client, tt.user, tt.policy)
			storetest.WantNotFound(t, err, tt.entity, tt.extID)
		}
	}},
	{Name: "UserCardUpdater/hands fn the user's cards newest first with their policies and the holder's state", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		digits := addPolicy(t, h, "acme", "digits", base)
		cards := map[string]*credential.OTPCard{
			"a-old": addCard(t, h, newCard(t, "acme", "alice", "a-old", acme.ExtID, at(0))),
			"a-mid": addCard(t, h, archivedCard(t, "acme", "alice", "a-mid", "digits", at(1))),
			"a-new": addCard(t, h, newCard(t, "acme", "alice", "a-new", acme.ExtID, at(2))),
		}
		addCard(t, h, newCard(t, "acme", "bob", "b1", acme.ExtID, at(3)))
		addHolder(t, h, "acme", "alice", credential.HolderDisabled)
		calls := 0
		err := h.Cards.UpdateUserCard(t.Context(), "acme", "alice", func(u app.UserCards) (app.CardsChange, error) {
			calls++
			if got, want := cardIDs(u.Cards), []string{"a-new", "a-mid", "a-old"}; !slices.Equal(got, want) {
				t.Errorf("cards: got %v, want %v", got, want)
			}
			if u.Holder != credential.HolderDisabled {
				t.Errorf("holder: got %s, want disabled", u.Holder)
			}
			for _, c := range u.Cards {
				want := acme
				if c.Card.ExtID() == "a-mid" {
					want = digits
				}
				if c.Policy != want {
					t.Errorf("policy of %s: got %s, want %s", c.Card.ExtID(), c.Policy.ExtID, want.ExtID)
				}
				if !reflect.DeepEqual(c.Card.Snapshot(), cards[c.Card.ExtID()].Snapshot()) {
					t.Errorf("card %s: got %+v, want it as stored", c.Card.ExtID(), c.Card.Snapshot())
				}
			}
			return app.CardsChange{Events: []event.Event{cardEvent(credential.CardChanged, cards["a-new"])}}, nil
		})
		if err != nil || calls != 1 {
			t.Fatalf("update user card: got %v after %d calls, want nil after one", err, calls)
		}
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserCardUpdater/saves the card fn returns with fn's events", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		addCard(t, h, newCard(t, "acme", "alice", "a-old", acme.ExtID, at(0)))
		addCard(t, h, newCard(t, "acme", "alice", "a-new", acme.ExtID, at(1)))
		var want credential.Snapshot
		var events []event.Event
		err := h.Cards.UpdateUserCard(t.Context(), "acme", "alice", func(u app.UserCards) (app.CardsChange, error) {
			c := u.Cards[1].Card
			if err := c.ChangeState(credential.StateDisabled, "lost", at(60)); err != nil {
				return app.CardsChange{}, err
			}
			want, events = c.Snapshot(), []event.Event{cardEvent(credential.CardChanged, c)}
			return app.CardsChange{Changed: []*credential.OTPCard{c}, Events: events}, nil
		})
		if err != nil {
			t.Fatalf("update user card: got %v, want nil", err)
		}
		if want.ExtID != "a-old" || want.Version != 2 {
			t.Fatalf("changed card: got %s at version %d, want a-old at 2", want.ExtID, want.Version)
		}
		wantCard(t, h, want)
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "UserCardUpdater/returns fn's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		err := h.Cards.UpdateUserCard(t.Context(), "acme", "alice", func(u app.UserCards) (app.CardsChange, error) {
			c := u.Cards[0].Card
			if err := c.ChangeState(credential.StateDisabled, "lost", at(60)); err != nil {
				t.Fatal(err)
			}
			return app.CardsChange{Changed: []*credential.OTPCard{c}, Events: []event.Event{cardEvent(credential.CardChanged, c)}}, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		wantCard(t, h, a1.Snapshot())
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserCardUpdater/refuses to save a card fn was not given", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		err := h.Cards.UpdateUserCard(t.Context(), "acme", "alice", func(u app.UserCards) (app.CardsChange, error) {
			stranger := credential.RestoreOTPCard(u.Cards[0].Card.Snapshot())
			if err := stranger.ChangeState(credential.StateDisabled, "lost", at(60)); err != nil {
				t.Fatal(err)
			}
			return app.CardsChange{Changed: []*credential.OTPCard{stranger}, Events: []event.Event{cardEvent(credential.CardChanged, stranger)}}, nil
		})
		if err == nil {
			t.Error("a card fn was not given: got nil, want an error")
		}
		wantCard(t, h, a1.Snapshot())
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserCardUpdater/hands a holder without cards none; an unknown client or user is a NotFoundError", Run: func(t *testing.T, h Harness) {
		aliceAndBob(t, h)
		addHolder(t, h, "acme", "bob", credential.HolderArchived)
		err := h.Cards.UpdateUserCard(t.Context(), "acme", "bob", func(u app.UserCards) (app.CardsChange, error) {
			if len(u.Cards) != 0 || u.Holder != credential.HolderArchived {
				t.Errorf("fn: got %d cards of a %s holder, want none of an archived one", len(u.Cards), u.Holder)
			}
			return app.CardsChange{}, nil
		})
		if err != nil {
			t.Errorf("bob: got %v, want nil", err)
		}
		for _, tt := range []struct{ client, user, entity, extID string }{
			{"nowhere", "alice", "client", "nowhere"}, {"acme", "nobody", "user", "nobody"}, {"globex", "alice", "user", "alice"},
		} {
			err := h.Cards.UpdateUserCard(t.Context(), tt.client, tt.user, func(app.UserCards) (app.CardsChange, error) {
				t.Errorf("fn: called for %s/%s, want no call", tt.client, tt.user)
				return app.CardsChange{}, nil
			})
			storetest.WantNotFound(t, err, tt.entity, tt.extID)
		}
	}},
	{Name: "UserCardUpdater/saves the lifecycle job's announcements, which leave the version", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(0)))
		var announced credential.Snapshot
		err := h.Cards.UpdateUserCard(t.Context(), "acme", "alice", func(u app.UserCards) (app.CardsChange, error) {
			c := u.Cards[0].Card
			if got := c.Announce(at(0).Add(400*24*time.Hour), 10*24*time.Hour); len(got) != 1 {
				t.Fatalf("announce: got %v, want the expiry", got)
			}
			announced = c.Snapshot()
			return app.CardsChange{Changed: []*credential.OTPCard{c}, Events: []event.Event{cardEvent(credential.CardExpired, c)}}, nil
		})
		if err != nil {
			t.Fatalf("update user card: got %v, want nil", err)
		}
		if announced.Version != a1.Version() || !announced.ExpiryAnnounced || !announced.CloseToExpiryAnnounced {
			t.Fatalf("announced card: version %d, announced %v %v; want %d, true, true", announced.Version,
				announced.CloseToExpiryAnnounced, announced.ExpiryAnnounced, a1.Version())
		}
		wantCard(t, h, announced)
	}},
	{Name: "UserCardUpdater/RenewUserCard saves the new card, the cards fn changed and the events", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(0)))
		var successor *credential.OTPCard
		var changed credential.Snapshot
		var events []event.Event
		err := h.Cards.RenewUserCard(t.Context(), "acme", "alice", func(u app.UserCards) (app.CardsChange, error) {
			c := u.Cards[0].Card
			s, err := c.Renew(credential.NewCard{ExtID: "a2", Serial: SerialOf("a2"), Lifetime: 24 * time.Hour}, grid(t, 7), "renewed", true, at(60))
			if err != nil {
				return app.CardsChange{}, err
			}
			successor, changed = s, c.Snapshot()
			events = []event.Event{cardEvent(credential.CardRenewed, s)}
			return app.CardsChange{Changed: []*credential.OTPCard{c}, New: s, Events: events}, nil
		})
		if err != nil {
			t.Fatalf("renew user card: got %v, want nil", err)
		}
		if changed.SuccessorExtID != "a2" || changed.Version != a1.Version()+1 {
			t.Fatalf("renewed card: successor %q at version %d, want a2 at %d", changed.SuccessorExtID, changed.Version, a1.Version()+1)
		}
		wantCard(t, h, changed)
		wantCard(t, h, successor.Snapshot())
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "UserCardUpdater/a new card whose extId or serial is taken saves nothing; UpdateUserCard saves no new card", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(0)))
		b1 := addCard(t, h, newCard(t, "acme", "bob", "b1", acme.ExtID, at(1)))
		for _, tt := range []struct {
			name   string
			extID  string
			serial credential.Serial
			renew  bool
		}{
			{"extId taken", "b1", SerialOf("fresh"), true},
			{"serial taken", "a2", b1.Serial(), true},
			{"through UpdateUserCard", "a2", SerialOf("a2"), false},
		} {
			change := func(u app.UserCards) (app.CardsChange, error) {
				c := u.Cards[0].Card
				s, err := c.Renew(credential.NewCard{ExtID: tt.extID, Serial: tt.serial, Lifetime: time.Hour}, grid(t, 7), "", true, at(60))
				if err != nil {
					return app.CardsChange{}, err
				}
				return app.CardsChange{Changed: []*credential.OTPCard{c}, New: s, Events: []event.Event{cardEvent(credential.CardRenewed, s)}}, nil
			}
			update := h.Cards.RenewUserCard
			if !tt.renew {
				update = h.Cards.UpdateUserCard
			}
			err := update(t.Context(), "acme", "alice", change)
			if err == nil {
				t.Errorf("%s: got nil, want an error", tt.name)
			}
			if tt.renew {
				storetest.WantErr(t, err, fault.ErrDuplicate)
			}
			wantCard(t, h, a1.Snapshot())
			wantCard(t, h, b1.Snapshot())
			storetest.WantEvents(t, h.Recorded(t), nil)
		}
	}},
	{Name: "Holders/SaveHolder records a user of the client and then its state", Run: func(t *testing.T, h Harness) {
		acme := addClient(t, h, "acme")
		_, err := h.Cards.PolicyForUser(t.Context(), "acme", "alice", "")
		storetest.WantNotFound(t, err, "user", "alice")
		for _, state := range []credential.Holder{credential.HolderActive, credential.HolderArchived, credential.HolderDisabled} {
			addHolder(t, h, "acme", "alice", state)
			if p, err := h.Cards.PolicyForUser(t.Context(), "acme", "alice", ""); err != nil || p != acme {
				t.Errorf("policy for alice: got %+v (%v), want acme's default", p, err)
			}
			var got credential.Holder = -1
			err := h.Cards.UpdateUserCard(t.Context(), "acme", "alice", func(u app.UserCards) (app.CardsChange, error) {
				got = u.Holder
				return app.CardsChange{}, nil
			})
			if err != nil || got != state {
				t.Errorf("holder: got %s (%v), want %s", got, err, state)
			}
		}
	}},
	{Name: "Holders/DeleteHolder hands fn the holder's cards oldest first and deletes them and the holder with fn's events", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, at(1)))
		a0 := addCard(t, h, archivedCard(t, "acme", "alice", "a0", acme.ExtID, at(0)))
		b1 := addCard(t, h, newCard(t, "acme", "bob", "b1", acme.ExtID, at(0)))
		var seen []credential.Snapshot
		var events []event.Event
		err := h.Cards.DeleteHolder(t.Context(), "acme", "alice", func(cards []*credential.OTPCard) []event.Event {
			for _, c := range cards {
				seen = append(seen, c.Snapshot())
				events = append(events, cardEvent(credential.CardDeleted, c))
			}
			return events
		})
		if err != nil {
			t.Fatalf("delete holder: got %v, want nil", err)
		}
		if want := []credential.Snapshot{a0.Snapshot(), a1.Snapshot()}; !reflect.DeepEqual(seen, want) {
			t.Errorf("fn: got %+v, want a0 then a1", seen)
		}
		wantNoCard(t, h, keyOf(a0))
		wantNoCard(t, h, keyOf(a1))
		wantCard(t, h, b1.Snapshot())
		storetest.WantEvents(t, h.Recorded(t), events)
		_, err = h.Cards.List(t.Context(), "acme", "alice", listing.Page{Limit: 10})
		storetest.WantNotFound(t, err, "user", "alice")
	}},
	{Name: "Holders/DeleteHolder of a user who holds no place in the client is no error and deletes nothing", Run: func(t *testing.T, h Harness) {
		acme := aliceAndBob(t, h)
		a1 := addCard(t, h, newCard(t, "acme", "alice", "a1", acme.ExtID, base))
		for _, tt := range []struct{ client, user string }{{"acme", "nobody"}, {"globex", "alice"}} {
			err := h.Cards.DeleteHolder(t.Context(), tt.client, tt.user, func(cards []*credential.OTPCard) []event.Event {
				if len(cards) != 0 {
					t.Errorf("fn for %s/%s: got %d cards, want none", tt.client, tt.user, len(cards))
				}
				return nil
			})
			if err != nil {
				t.Errorf("delete holder %s/%s: got %v, want nil", tt.client, tt.user, err)
			}
		}
		wantCard(t, h, a1.Snapshot())
		if _, err := h.Cards.PolicyForUser(t.Context(), "acme", "alice", ""); err != nil {
			t.Errorf("alice after deleting strangers: got %v, want her still a holder", err)
		}
	}},
}
