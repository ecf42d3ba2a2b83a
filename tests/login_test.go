package tests

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
)

// defaultLayout is the layout of cards under the default policy.
var defaultLayout = credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32}

// challenge asks for a challenge of the user's card and returns its label.
func challenge(t *testing.T, api *client.API, k client.UserKey) string {
	t.Helper()
	c := api.Challenge(t, k).Want(t, http.StatusOK)
	if c.Challenge == nil {
		t.Fatalf("challenge: got %+v, want a label", c)
		return ""
	}
	return *c.Challenge
}

// answer returns the cell a label names on a default card.
func answer(t *testing.T, cells []string, label string) string {
	t.Helper()
	i, err := defaultLayout.ParseLabel(label)
	if err != nil {
		t.Fatalf("label %q: %v", label, err)
	}
	return cells[i]
}

// logIn answers the user's outstanding challenge label with password and returns the statusCode
// of the 200.
func logIn(t *testing.T, api *client.API, k client.UserKey, label, password string) int {
	t.Helper()
	return api.Login(t, k, client.LoginRequest{Challenge: label, Password: password}).Want(t, http.StatusOK).StatusCode
}

// TestChallengeAndLogin: a right answer logs in and activates the card, the cell is consumed,
// and a wrong one counts.
func TestChallengeAndLogin(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "login")
	user := f.UserKey()

	label := challenge(t, api, user)
	if again := challenge(t, api, user); again != label {
		t.Fatalf("second challenge: got %q, want the outstanding %q", again, label)
	}
	card := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	if !strings.HasSuffix(card.OTP, "|"+label) {
		t.Errorf("otp: got %q, want latestChallenge %q at its end", card.OTP, label)
	}
	if card.Version != f.version+1 {
		t.Errorf("version after one challenge asked twice: got %v, want %v", card.Version, f.version+1)
	}
	// crockford32 answers are read case-insensitively.
	r := api.Login(t, user, client.LoginRequest{Challenge: label, Password: strings.ToLower(answer(t, f.cells, label))})
	m := r.Want(t, http.StatusOK)
	if m.StatusCode != credential.StatusLoginOK {
		t.Fatalf("statusCode: got %d, want 5; %s", m.StatusCode, r.Body)
	}
	if m.CredentialExtID != f.Card || m.CredentialType != "OTP Card" || m.StateName != "active" ||
		m.SuccessfulLoginCount != 1 || m.LastSuccessfulLoginDate == "" {
		t.Errorf("login response: got %+v", m)
	}
	api.Login(t, user, client.LoginRequest{Challenge: label, Password: answer(t, f.cells, label)}).
		WantProblem(t, http.StatusUnprocessableEntity, "errors.noChallenge")

	label2 := challenge(t, api, user)
	if label2 == label {
		t.Errorf("a used cell was asked again: %q", label2)
	}
	if got := logIn(t, api, user, label2, "WRNG"); got != credential.StatusFailedLastTry && got != credential.StatusFailed {
		t.Errorf("wrong answer: got statusCode %d, want 2 or 3", got)
	}
	card = api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	if card.FailedLoginCount != 1 || card.RemainingChallenges != 167 {
		t.Errorf("card after one success and one failure: got failed %v remaining %v, want 1 and 167",
			card.FailedLoginCount, card.RemainingChallenges)
	}
}

// TestLockoutOverHTTP: with the default policy the second failure tmp-locks, the third would
// fail-lock; a locked card answers 423.
func TestLockoutOverHTTP(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "lock")
	user := f.UserKey()
	if got := logIn(t, api, user, challenge(t, api, user), "0000"); got != credential.StatusFailedLastTry {
		t.Fatalf("first failure: got %d, want 3", got)
	}
	r := api.Login(t, user, client.LoginRequest{Challenge: challenge(t, api, user), Password: "0000"})
	if got := r.Want(t, http.StatusOK); got.StatusCode != credential.StatusTmpLocked {
		t.Fatalf("second failure: got %d, want 9", got.StatusCode)
	}
	if r.JSON(t)["lockedUntil"] == nil {
		t.Errorf("tmp-locked login response lacks lockedUntil: %s", r.Body)
	}
	api.Challenge(t, user).WantProblem(t, http.StatusLocked, "errors.credentialLocked")
	api.Login(t, user, client.LoginRequest{Challenge: "001", Password: "0000"}).WantProblem(t, http.StatusLocked, "errors.credentialLocked")
	t.Run("in the database", func(t *testing.T) {
		s.wantEvents(t, eventsOf{typ: "otp-card.locked", card: f.Card}, 1)
	})
}

// TestConcurrentCorrectLogins: fifty correct answers to one challenge give exactly one success.
func TestConcurrentCorrectLogins(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "fifty")
	label := challenge(t, api, f.UserKey())
	cell := answer(t, f.cells, label)
	const n = 50
	results := atOnce(n, func(int) client.Reply[client.LoginResult] {
		return api.Login(t, f.UserKey(), client.LoginRequest{Challenge: label, Password: cell})
	})
	ok := 0
	for _, r := range results {
		switch r.Status {
		case http.StatusOK:
			if r.Value(t).StatusCode == credential.StatusLoginOK {
				ok++
			}
		case http.StatusUnprocessableEntity:
			r.WantProblem(t, http.StatusUnprocessableEntity, "errors.noChallenge")
		default:
			t.Errorf("got status %d, want 200 or 422: %s", r.Status, r.Body)
		}
	}
	if ok != 1 {
		t.Fatalf("got %d successful logins, want exactly 1", ok)
	}
}

// TestConcurrentWrongAnswers: every wrong answer that was counted shows in failedLoginCount,
// none is lost, until the card locks.
func TestConcurrentWrongAnswers(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "wrong")
	// A policy that locks late, so that all K answers count.
	s.setPolicy(t, f, map[string]string{"maxCredFailureCount": "100", "tmpLockingThreshold": "-1"})
	const k = 16
	var mu sync.Mutex
	counted := 0
	var wg sync.WaitGroup
	for range k {
		wg.Go(func() {
			for range 3 { // a challenge may be consumed by another goroutine first: retry
				r := api.Challenge(t, f.UserKey())
				if r.Status != http.StatusOK {
					t.Errorf("challenge: got %d, want 200: %s", r.Status, r.Body)
					return
				}
				lr := api.Login(t, f.UserKey(), client.LoginRequest{Challenge: *r.Value(t).Challenge, Password: "WRNG"})
				if lr.Status == http.StatusOK {
					mu.Lock()
					counted++
					mu.Unlock()
					return
				}
				if lr.Status != http.StatusUnprocessableEntity {
					t.Errorf("login: got %d, want 200 or 422: %s", lr.Status, lr.Body)
					return
				}
			}
		})
	}
	wg.Wait()
	card := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	if got := int(card.FailedLoginCount); got != counted || counted == 0 {
		t.Fatalf("failedLoginCount: got %d, want the %d counted failures", got, counted)
	}
	t.Run("in the database", func(t *testing.T) {
		s.wantEvents(t, eventsOf{typ: "otp-card.login-failed", card: f.Card}, counted)
	})
}

// TestReplaceRefusesEveryOldCell replaces a card while a challenge is outstanding: the
// challenge is gone and no old cell opens the new card; the new card works.
func TestReplaceRefusesEveryOldCell(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "old")
	user := f.UserKey()
	// A policy that never locks, so every old cell can be tried.
	s.setPolicy(t, f, map[string]string{"maxCredFailureCount": "100", "tmpLockingThreshold": "-1"})
	challenge(t, api, user)
	newCells := cellsOf(t, api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK).OTP)
	api.Login(t, user, client.LoginRequest{Challenge: "001", Password: f.cells[0]}).
		WantProblem(t, http.StatusUnprocessableEntity, "errors.noChallenge")

	failures := 0
	for i := 0; i < len(f.cells); i += 3 { // a third of the cells keeps the test quick
		label := challenge(t, api, user)
		idx, _ := defaultLayout.ParseLabel(label)
		old := f.cells[idx]
		if old == newCells[idx] {
			continue // the same value by chance: not an old-cell test
		}
		if got := logIn(t, api, user, label, old); got == credential.StatusLoginOK {
			t.Fatalf("old cell %s opened the replaced card", label)
		}
		failures++
	}
	label := challenge(t, api, user)
	if got := logIn(t, api, user, label, answer(t, newCells, label)); got != credential.StatusLoginOK {
		t.Fatalf("new cell: got statusCode %d, want 5", got)
	}
	if failures < 50 {
		t.Errorf("tried %d old cells, want at least 50", failures)
	}
}
