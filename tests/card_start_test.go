package tests

import (
	"net/http"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
)

// The starting states of the card tests, reached through the API as users and admins reach them,
// so that the tests also run against an external target.

// cardStart brings the card of a fresh fixture from initial to a starting state through the API,
// as users and admins would, and returns the otp-card.state-changed events that recorded (PATCHes
// record them; logins and the locks they cause do not). The card's version moves with every step.
type cardStart func(t *testing.T, s *service, f fixture) []stateEvent

// toActive logs in once: the first success activates an initial card.
func toActive(t *testing.T, s *service, f fixture) []stateEvent {
	t.Helper()
	if got := s.loginRight(t, f); got != credential.StatusLoginOK {
		t.Fatalf("login to activate %s: got statusCode %d, want 5", f.Card, got)
	}
	return nil
}

// toDisabled disables the initial card.
func toDisabled(t *testing.T, s *service, f fixture) []stateEvent {
	t.Helper()
	return []stateEvent{s.patchState(t, f, "initial", "disabled", "changed-by-admin")}
}

// toArchived archives the initial card.
func toArchived(t *testing.T, s *service, f fixture) []stateEvent {
	t.Helper()
	return []stateEvent{s.patchState(t, f, "initial", "archived", "archived")}
}

// toTmpLocked activates the card, then fails twice: the default policy locks it for a minute,
// resuming active, with failedLoginCount 2.
func toTmpLocked(t *testing.T, s *service, f fixture) []stateEvent {
	t.Helper()
	toActive(t, s, f)
	s.failUntil(t, f, 2, credential.StatusTmpLocked)
	return nil
}

// toLapsedTmpLocked is toTmpLocked under a lock of one second that has run out: stored as
// tmp-locked until a challenge, login or PATCH ends it, shown as ended by every read.
func toLapsedTmpLocked(t *testing.T, s *service, f fixture) []stateEvent {
	t.Helper()
	s.setPolicy(t, f, map[string]string{"tmpLockingDuration": "1000"})
	toTmpLocked(t, s, f)
	time.Sleep(1500 * time.Millisecond)
	return nil
}

// toFailLocked fails three times under a policy without temporary locks: fail-locked, with
// failedLoginCount 3.
func toFailLocked(t *testing.T, s *service, f fixture) []stateEvent {
	t.Helper()
	s.setPolicy(t, f, map[string]string{"tmpLockingThreshold": "-1"})
	s.failUntil(t, f, 3, credential.StatusFailLocked)
	return nil
}

// toExpired gives the user, instead of the fixture's card, a card of the same extId whose
// validity has already ended (a policy with a credential lifetime of 1 ms).
func toExpired(t *testing.T, s *service, f fixture) []stateEvent {
	t.Helper()
	s.setPolicy(t, f, map[string]string{"credentialLifetime": "1"})
	api := s.root(t)
	api.DeleteCard(t, f.CardKey).Want(t, http.StatusNoContent)
	api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: f.Card}).Want(t, http.StatusCreated)
	time.Sleep(10 * time.Millisecond)
	return nil
}

// patchState changes the card's state with a Root token and returns the event that records.
func (s *service) patchState(t *testing.T, f fixture, from, to, reason string) stateEvent {
	t.Helper()
	c := s.root(t).PatchCard(t, f.CardKey, client.CredentialPatch{StateName: &to}).Want(t, http.StatusOK)
	return stateEvent{actor: "tester", mode: "admin", from: from, to: to, reason: reason, version: c.Version}
}

// loginRight asks a challenge of the fixture's card and answers it with its cell; it returns the
// login's statusCode.
func (s *service) loginRight(t *testing.T, f fixture) int {
	t.Helper()
	api := s.root(t)
	label := challenge(t, api, f.UserKey())
	return logIn(t, api, f.UserKey(), label, answer(t, f.cells, label))
}

// loginWrong asks a challenge of the fixture's card and answers it wrongly; it returns the
// login's statusCode.
func (s *service) loginWrong(t *testing.T, f fixture) int {
	t.Helper()
	api := s.root(t)
	label := challenge(t, api, f.UserKey())
	wrong := "0000"
	if answer(t, f.cells, label) == wrong {
		wrong = "1111"
	}
	return logIn(t, api, f.UserKey(), label, wrong)
}

// failUntil answers wrongly n times: the last answer must give the statusCode want, the lock
// those failures cause.
func (s *service) failUntil(t *testing.T, f fixture, n, want int) {
	t.Helper()
	for range n - 1 {
		s.loginWrong(t, f)
	}
	if got := s.loginWrong(t, f); got != want {
		t.Fatalf("failure %d on %s: got statusCode %d, want %d", n, f.Card, got, want)
	}
}

// setPolicy replaces the parameters of the policy of the fixture's card (its client's default)
// through the API; the parameters left out take their defaults.
func (s *service) setPolicy(t *testing.T, f fixture, params map[string]string) {
	t.Helper()
	api := s.root(t)
	policy := s.cardSnapshot(t, f).PolicyExtID
	api.PatchPolicy(t, client.PolicyKey{Client: f.Client, Policy: policy}, client.PolicyPatch{Parameters: params}).
		Want(t, http.StatusOK)
}
