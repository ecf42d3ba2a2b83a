package postgres_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// TestFeedDeliversEachEntityInVersionOrder: many goroutines change the two cards of one user at
// once, through both ways the stores lock cards (one card by key, as replace and PATCH do; all of
// the user's cards, as challenge and login do), so that transactions take their ids in a different
// order than they commit a card's versions. The feed must still hand out each card's events in
// the order of its versions, every version exactly once (API.md section 9).
func TestFeedDeliversEachEntityInVersionOrder(t *testing.T) {
	w := newCardWorld(t)
	feed := postgres.NewEventFeed(w.db)
	if err := feed.Subscribe(t.Context(), []string{"order"}); err != nil {
		t.Fatal(err)
	}
	older := w.newCard(t, w.alice, "older", 1, base)
	w.create(t, older)
	newer := w.newCard(t, w.alice, "newer", 2, base.Add(time.Second))
	w.create(t, newer)

	const workers, changesEach = 12, 15
	change := func(c *credential.OTPCard, worker, i int) []event.Event {
		comment := fmt.Sprintf("change %d of worker %d", i, worker) // unique: every change is one
		if c.Snapshot().ModificationComment == comment {
			t.Errorf("comment %q repeated", comment)
		}
		if _, err := c.Edit(credential.CardEdit{Comment: &comment}, base.Add(time.Hour)); err != nil {
			t.Error(err)
		}
		return []event.Event{cardEvent(credential.CardChanged, c)}
	}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range changesEach {
				var err error
				switch key := keyOf(newer); (g + i) % 3 {
				case 0: // the newer card alone, like a replace
					err = w.cards.Update(t.Context(), key, func(c *credential.OTPCard) ([]event.Event, error) {
						return change(c, g, i), nil
					})
				case 1: // the older card alone
					err = w.cards.Update(t.Context(), keyOf(older), func(c *credential.OTPCard) ([]event.Event, error) {
						return change(c, g, i), nil
					})
				default: // all of the user's cards locked, the newer one changed, like a login
					err = w.cards.UpdateUserCard(t.Context(), "acme", "alice", func(u appcredential.UserCards) (appcredential.CardsChange, error) {
						c := u.Cards[0].Card
						return appcredential.CardsChange{Changed: []*credential.OTPCard{c}, Events: change(c, g, i)}, nil
					})
				}
				if err != nil {
					t.Errorf("worker %d change %d: %v", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()

	last := map[string]int32{}
	seen := 0
	for {
		n, err := feed.Claim(t.Context(), "order", 7, func(events []event.Stored) (int, error) {
			for _, e := range events {
				if e.CredentialExt == "" {
					continue // the client, its policy and the users, created before
				}
				if e.Version != last[e.CredentialExt]+1 {
					t.Errorf("%s: got version %d after %d, want %d", e.CredentialExt, e.Version, last[e.CredentialExt], last[e.CredentialExt]+1)
				}
				last[e.CredentialExt] = e.Version
				seen++
			}
			return len(events), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if want := 2 + workers*changesEach; seen != want {
		t.Errorf("delivered %d events, want %d", seen, want)
	}
}
