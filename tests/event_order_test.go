package tests

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
	"github.com/otpcard/otpcard/tests/client"
)

// TestWebhookKeepsEachCardsOrder: many goroutines change the two cards of one user at once
// (replaces of each card, comment changes, challenges and logins, which lock both cards), and a
// webhook receiver records what it gets: each card's events arrive in the order of its versions,
// without a gap, and their times never go backwards (API.md sections 7 and 9).
func TestWebhookKeepsEachCardsOrder(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.release()
	s := startServiceWith(t, io.Discard, webhookEnv(rc))
	f := s.newFixture(t, "order")
	api := s.root(t)
	// No lock may end the run early: failures neither lock nor run out.
	s.setPolicy(t, f, map[string]string{"tmpLockingThreshold": "-1", "maxCredFailureCount": "100", "cellReuse": "true"})
	api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: f.Card + "-2"}).Want(t, http.StatusCreated)
	cards := []string{f.Card, f.Card + "-2"}

	const workers, rounds = 8, 6
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				card := f.UserKey().Card(cards[(w+i)%2])
				var r client.Response
				switch (w + i) % 4 {
				case 0:
					r = api.ReplaceCard(t, card, client.CredentialReplace{}).Response
				case 1:
					r = api.PatchCard(t, card, client.CredentialPatch{ModificationComment: client.Ptr(uid("comment"))}).Response
				case 2:
					r = api.Challenge(t, f.UserKey()).Response
				default:
					r = api.Login(t, f.UserKey(), client.LoginRequest{Challenge: "001", Password: "WRONG"}).Response
				}
				if r.Status >= 500 || r.Status == http.StatusConflict {
					t.Errorf("worker %d round %d: got %d, want no conflict and no server error; body %s", w, i, r.Status, r.Body)
				}
			}
		})
	}
	wg.Wait()

	want := 0
	if err := s.sql(t).QueryRow(`SELECT count(*) FROM events`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	rc.waitFor(t, want)
	last := map[string]hookEvent{}
	for _, e := range rc.events() {
		if e.Credential == "" {
			continue
		}
		prev, seen := last[e.Credential]
		switch {
		case !seen && e.Version != 1:
			t.Errorf("%s: first event at version %d, want 1", e.Credential, e.Version)
		case seen && e.Version != prev.Version && e.Version != prev.Version+1:
			t.Errorf("%s: %s at version %d after %s at version %d, want %d or %d",
				e.Credential, e.Type, e.Version, prev.Type, prev.Version, prev.Version, prev.Version+1)
		case seen && parseTime(t, e.Time).Before(parseTime(t, prev.Time)):
			t.Errorf("%s: version %d at %s after version %d at %s: time went backwards",
				e.Credential, e.Version, e.Time, prev.Version, prev.Time)
		}
		last[e.Credential] = e
	}
	for _, card := range cards {
		if got := api.GetCard(t, f.UserKey().Card(card)).Want(t, http.StatusOK).Version; last[card].Version != got {
			t.Errorf("%s: last delivered version %d, card at %v", card, last[card].Version, got)
		}
	}
}

// TestNewWebhookStartsAtTheNewestEvent: a webhook configured on a database with history receives
// only what happens after it starts, never last year's cards (API.md section 7).
func TestNewWebhookStartsAtTheNewestEvent(t *testing.T) {
	needOwnInstance(t, "instances of its own on a database of its own")
	url := pgtest.URL(t)
	plain := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_DATABASE_URL": url})
	f := plain.newFixture(t, "history") // a client, its policy, a user and a card: four events
	plain.stop(t)

	rc := newReceiver(t)
	rc.release()
	env := webhookEnv(rc)
	env["OTPCARD_DATABASE_URL"] = url
	s := startServiceWith(t, io.Discard, env)
	s.root(t).ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
	got := rc.waitFor(t, 1)
	time.Sleep(500 * time.Millisecond) // anything else the dispatcher would send arrives meanwhile
	if events := rc.events(); len(events) != 1 || events[0].Type != "otp-card.replaced" {
		t.Fatalf("the new webhook got %v (ids %v), want only the replace after it started", events, got)
	}

	// History only on explicit request: `otpcard events rewind webhook`, while the service runs.
	pepper := make([]byte, 32)
	for k, v := range map[string]string{"OTPCARD_DATABASE_URL": url, "OTPCARD_CELL_PEPPER": b64(pepper),
		"OTPCARD_JWT_HS256_SECRET": testSecret, "OTPCARD_DATA_DIR": t.TempDir(), "OTPCARD_LOG_LEVEL": "warn",
		"OTPCARD_WEBHOOK_URL": env["OTPCARD_WEBHOOK_URL"], "OTPCARD_WEBHOOK_SECRET": webhookSecret} {
		t.Setenv(k, v)
	}
	var stdout, stderr strings.Builder
	if code := bootstrap.Main(t.Context(), []string{"events", "rewind", "nobody"}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "not a subscriber") {
		t.Errorf("rewind of an unknown subscriber: got exit %d, stderr %q; want 1 and one line saying so", code, stderr.String())
	}
	stderr.Reset()
	if code := bootstrap.Main(t.Context(), []string{"events", "rewind", "webhook"}, &stdout, &stderr); code != 0 {
		t.Fatalf("otpcard events rewind webhook: exit %d, stderr %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "5 event(s)") {
		t.Errorf("rewind said %q, want the 5 events still in the outbox", stdout.String())
	}
	rc.waitFor(t, 6)
	var types []string
	for _, e := range rc.events() {
		types = append(types, e.Type)
	}
	want := []string{"otp-card.replaced", "client.created", "policy.created", "user.created", "otp-card.created", "otp-card.replaced"}
	if !slices.Equal(types, want) {
		t.Errorf("after the rewind the webhook got %v, want %v (the history, once more the replace)", types, want)
	}
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return at
}
