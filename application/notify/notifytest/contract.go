package notifytest

import (
	"testing"

	app "github.com/otpcard/otpcard/application/notify"
	"github.com/otpcard/otpcard/application/storetest"
)

// Harness is one contract case's notify store, fresh and empty.
type Harness struct {
	Recipients app.Recipients
	Deliveries app.Deliveries
}

// RunStoreContract runs the notify store's contract on fresh harnesses.
func RunStoreContract(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	storetest.Run(t, newHarness, cases)
}

var anna = app.Recipient{ClientExtID: "acme", UserExtID: "anna", Email: "anna@example.com", LanguageCode: "de",
	FirstName: "Anna", FamilyName: "Muster"}

func wantRecipient(t *testing.T, h Harness, client, user string, want app.Recipient, wantFound bool) {
	t.Helper()
	got, found, err := h.Recipients.Recipient(t.Context(), client, user)
	if err != nil || found != wantFound || got != want {
		t.Errorf("recipient %s/%s: got %+v (found %v), %v; want %+v (found %v)", client, user, got, found, err, want, wantFound)
	}
}

var cases = []storetest.Case[Harness]{
	{Name: "Recipients/SaveRecipient records the user and then its change", Run: func(t *testing.T, h Harness) {
		if err := h.Recipients.SaveRecipient(t.Context(), anna); err != nil {
			t.Fatal(err)
		}
		wantRecipient(t, h, "acme", "anna", anna, true)
		changed := anna
		changed.Email, changed.LanguageCode, changed.FirstName = "", "fr", "Annette"
		if err := h.Recipients.SaveRecipient(t.Context(), changed); err != nil {
			t.Fatal(err)
		}
		wantRecipient(t, h, "acme", "anna", changed, true)
	}},
	{Name: "Recipients/Recipient of an unknown user, or of another client, is not found", Run: func(t *testing.T, h Harness) {
		if err := h.Recipients.SaveRecipient(t.Context(), anna); err != nil {
			t.Fatal(err)
		}
		wantRecipient(t, h, "acme", "ben", app.Recipient{}, false)
		wantRecipient(t, h, "globex", "anna", app.Recipient{}, false)
	}},
	{Name: "Recipients/DeleteRecipient forgets the user; an unknown user is no error", Run: func(t *testing.T, h Harness) {
		if err := h.Recipients.SaveRecipient(t.Context(), anna); err != nil {
			t.Fatal(err)
		}
		if err := h.Recipients.DeleteRecipient(t.Context(), "acme", "anna"); err != nil {
			t.Fatal(err)
		}
		wantRecipient(t, h, "acme", "anna", app.Recipient{}, false)
		if err := h.Recipients.DeleteRecipient(t.Context(), "acme", "nobody"); err != nil {
			t.Errorf("delete of an unknown user: got %v, want nil", err)
		}
	}},
	{Name: "Deliveries/End records an event once; Ended tells it", Run: func(t *testing.T, h Harness) {
		for id, want := range map[int64]bool{7: false, 8: false} {
			if got, err := h.Deliveries.Ended(t.Context(), id); err != nil || got != want {
				t.Errorf("Ended(%d) before: got %v, %v; want %v", id, got, err, want)
			}
		}
		for range 2 {
			if err := h.Deliveries.End(t.Context(), 7, app.Sent, storetest.Base); err != nil {
				t.Fatalf("End(7): %v", err)
			}
		}
		if err := h.Deliveries.End(t.Context(), 7, app.Rejected, storetest.Base); err != nil {
			t.Fatalf("End(7) again with another outcome: %v, want nil", err)
		}
		if got, err := h.Deliveries.Ended(t.Context(), 7); err != nil || !got {
			t.Errorf("Ended(7): got %v, %v; want true", got, err)
		}
		if got, _ := h.Deliveries.Ended(t.Context(), 8); got {
			t.Error("Ended(8): got true, want false")
		}
	}},
}
