package tests

import (
	"net/http"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

// TestConcurrentReplacesWithOneVersion sends twenty replaces carrying the same version at once:
// exactly one wins, the rest get 409, none 500.
func TestConcurrentReplacesWithOneVersion(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "race")
	const n = 20
	statuses := atOnce(n, func(int) int {
		return api.ReplaceCard(t, f.CardKey, client.CredentialReplace{Version: f.version}).Status
	})
	counts := map[int]int{}
	for _, st := range statuses {
		counts[st]++
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusConflict] != n-1 {
		t.Fatalf("got statuses %v, want 1 x 200 and %d x 409", counts, n-1)
	}
	if got, want := api.GetCard(t, f.CardKey).Want(t, http.StatusOK).Version, f.version+1; got != want {
		t.Errorf("version after the race: got %v, want %v", got, want)
	}
	t.Run("in the database", func(t *testing.T) {
		s.wantEvents(t, eventsOf{typ: "otp-card.replaced", card: f.Card}, 1)
	})
}

// TestConcurrentUnconditionalReplaces sends replaces without a version: every one succeeds and
// the version grows by exactly their number.
func TestConcurrentUnconditionalReplaces(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "serial")
	const n = 10
	statuses := atOnce(n, func(int) int { return api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Status })
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Errorf("replace %d: got %d, want 200", i, st)
		}
	}
	if got, want := api.GetCard(t, f.CardKey).Want(t, http.StatusOK).Version, f.version+n; got != want {
		t.Errorf("version: got %v, want %v", got, want)
	}
}
