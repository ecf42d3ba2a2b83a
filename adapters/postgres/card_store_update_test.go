package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// aliceCard is a world with one card of alice, card-1, created at base.
func aliceCard(t *testing.T) (cardWorld, *credential.OTPCard) {
	t.Helper()
	w := newCardWorld(t)
	card := w.newCard(t, w.alice, "card-1", 1, base)
	w.create(t, card)
	return w, card
}

func (w cardWorld) events(t *testing.T, typ event.Type) int {
	t.Helper()
	return count(t, w.db, "SELECT count(*) FROM events WHERE type = ?", string(typ))
}

var errRefused = errors.New("refused by the callback")

// TestCardStoreUpdateRoundTripsEverySnapshotField saves a card with every optional field set,
// then with every optional field cleared.
func TestCardStoreUpdateRoundTripsEverySnapshotField(t *testing.T) {
	w, card := aliceCard(t)
	insertPolicy(t, w.db, "digits", "acme", digitsPolicy)
	later := base.Add(36*time.Hour + 987_654_321)
	layout := credential.Layout{Rows: 3, Cols: 4, CellLength: 6, Charset: credential.CharsetDigits, Coordinate: true}
	full := card.Snapshot()
	full.PolicyExtID = "digits"
	full.Serial = "ZZZZ-1111-2222" // a new grid comes with a new serial (replace)
	successor := w.newCard(t, w.alice, "card-2", 2, base)
	w.create(t, successor)
	full.SuccessorExtID, full.RenewedAt = successor.ExtID(), later.Add(-time.Second) // renewed
	full.State = credential.StateTmpLocked
	full.StateChangeReason, full.StateChangeDetail = credential.ReasonTemporarilyLocked, "2 failures in a row"
	full.ValidFrom, full.ValidTo = base.Add(-time.Hour), base.Add(400*24*time.Hour+time.Nanosecond)
	full.LastSuccessfulLogin, full.LastFailedLogin = base.Add(time.Minute+1500), later
	full.SuccessfulLoginCount, full.FailedLoginCount = 41, 2
	full.ModificationComment = "ünïcødé, 'quotes' and \\ backslash"
	full.LastModified, full.Version = later, 7
	full.Grid = credential.RestoreGrid(layout, fakeSecret(layout, 0xFE), []int{0, 1, 2, 9, 0, 255, 0, 0, 1, 0, 3, 0})
	full.Challenge = []int{11, 0, 5} // a multi-cell challenge, in the order asked
	full.LockedUntil = later.Add(time.Minute)
	full.ResumeState = credential.StateActive
	full.CloseToExpiryAnnounced, full.ExpiryAnnounced = true, true

	cleared := full
	cleared.State, cleared.StateChangeReason, cleared.StateChangeDetail = credential.StateActive, credential.ReasonUnlock, ""
	cleared.LastSuccessfulLogin, cleared.LastFailedLogin, cleared.LockedUntil = time.Time{}, time.Time{}, time.Time{}
	cleared.Challenge = nil
	cleared.ResumeState = ""
	cleared.SuccessorExtID, cleared.RenewedAt = "", time.Time{}
	cleared.ModificationComment = ""
	cleared.CloseToExpiryAnnounced, cleared.ExpiryAnnounced = false, false
	cleared.Version = 8

	for _, tt := range []struct {
		name string
		want credential.Snapshot
	}{{"every field set", full}, {"optional fields cleared", cleared}} {
		t.Run(tt.name, func(t *testing.T) {
			err := w.cards.Update(t.Context(), keyOf(card), func(c *credential.OTPCard) ([]event.Event, error) {
				*c = *credential.RestoreOTPCard(tt.want)
				return nil, nil
			})
			if err != nil {
				t.Fatalf("update: got %v, want nil", err)
			}
			got, err := w.cards.Get(t.Context(), keyOf(card))
			if err != nil {
				t.Fatalf("get: got %v, want nil", err)
			}
			assertSnapshot(t, got.Snapshot(), tt.want)
		})
	}
}

// TestCardStoreConcurrentUpdatesOneWins runs 20 replaces that all claim version 1: the row lock
// serializes them, exactly one wins and the others see a version conflict, never another error.
func TestCardStoreConcurrentUpdatesOneWins(t *testing.T) {
	w, card := aliceCard(t)
	errs := race(20, func(i int) error {
		return w.cards.Update(t.Context(), keyOf(card), func(c *credential.OTPCard) ([]event.Event, error) {
			v1 := int32(1)
			if err := c.CheckVersion(&v1); err != nil {
				return nil, err
			}
			g, err := credential.NewGrid(smallLayout, fakeSecret(smallLayout, byte(100+i)))
			if err != nil {
				return nil, err
			}
			if _, err := c.Replace(g, "racer", time.Hour, base.Add(time.Minute)); err != nil {
				return nil, err
			}
			return []event.Event{cardEvent(credential.CardReplaced, c)}, nil
		})
	})
	assertOutcomes(t, errs, 1, "ErrVersionConflict", wrapping(fault.ErrVersionConflict))
	got, err := w.cards.Get(t.Context(), keyOf(card))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version() != 2 {
		t.Errorf("version: got %d, want 2", got.Version())
	}
	if n := w.events(t, credential.CardReplaced); n != 1 {
		t.Errorf("otp-card.replaced events: got %d, want 1", n)
	}
}
