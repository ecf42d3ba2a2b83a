package tests

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
)

const authPath = "/nevisidm/api/auth/v1"

// defaultLayout is the layout of cards under the default policy.
var defaultLayout = credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32}

func (s *service) challengePath(f fixture) string {
	return authPath + "/" + f.client + "/users/" + f.user + "/otp/challenge"
}

func (s *service) loginPath(f fixture) string {
	return authPath + "/" + f.client + "/users/" + f.user + "/otp/login"
}

// challenge asks for a challenge and returns its label.
func (s *service) challenge(t *testing.T, f fixture, tok string) string {
	t.Helper()
	r := s.do(request{method: "POST", path: s.challengePath(f), bearer: tok})
	mustStatus(t, r, http.StatusOK)
	label, ok := r.json(t)["challenge"].(string)
	if !ok {
		t.Fatalf("challenge: got %s, want a label", r.body)
	}
	return label
}

// answer returns the cell a label names on a card.
func answer(t *testing.T, cells []string, label string) string {
	t.Helper()
	i, err := defaultLayout.ParseLabel(label)
	if err != nil {
		t.Fatalf("label %q: %v", label, err)
	}
	return cells[i]
}

func (s *service) login(t *testing.T, f fixture, tok, label, password string) response {
	t.Helper()
	return s.do(request{method: "POST", path: s.loginPath(f), bearer: tok,
		body: map[string]any{"challenge": label, "password": password}})
}

func statusCodeOf(t *testing.T, r response) int {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	return int(r.json(t)["statusCode"].(float64))
}

// TestChallengeAndLogin: a right answer logs in and activates the card, the cell is consumed,
// and a wrong one counts.
func TestChallengeAndLogin(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "login")
	tok := rootToken(t)

	label := s.challenge(t, f, tok)
	if again := s.challenge(t, f, tok); again != label {
		t.Fatalf("second challenge: got %q, want the outstanding %q", again, label)
	}
	card := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}).json(t)
	if !strings.HasSuffix(card["otp"].(string), "|"+label) {
		t.Errorf("otp: got %q, want latestChallenge %q at its end", card["otp"], label)
	}
	if card["version"] != f.version+1 {
		t.Errorf("version after one challenge asked twice: got %v, want %v", card["version"], f.version+1)
	}
	// crockford32 answers are read case-insensitively.
	r := s.login(t, f, tok, label, strings.ToLower(answer(t, f.cells, label)))
	if got := statusCodeOf(t, r); got != credential.StatusLoginOK {
		t.Fatalf("statusCode: got %d, want 5; %s", got, r.body)
	}
	m := r.json(t)
	if m["credentialExtId"] != f.card || m["credentialType"] != "OTP Card" || m["stateName"] != "active" ||
		m["successfulLoginCount"] != float64(1) || m["lastSuccessfulLoginDate"] == nil {
		t.Errorf("login response: got %v", m)
	}
	r = s.login(t, f, tok, label, answer(t, f.cells, label))
	expectProblem(t, r, http.StatusUnprocessableEntity, "errors.noChallenge")

	label2 := s.challenge(t, f, tok)
	if label2 == label {
		t.Errorf("a used cell was asked again: %q", label2)
	}
	r = s.login(t, f, tok, label2, "WRNG")
	if got := statusCodeOf(t, r); got != credential.StatusFailedLastTry && got != credential.StatusFailed {
		t.Errorf("wrong answer: got statusCode %d, want 2 or 3", got)
	}
	card = s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}).json(t)
	if card["failedLoginCount"] != float64(1) || card["remainingChallenges"] != float64(167) {
		t.Errorf("card after one success and one failure: got failed %v remaining %v, want 1 and 167",
			card["failedLoginCount"], card["remainingChallenges"])
	}
}

// TestLockoutOverHTTP: with the default policy the second failure tmp-locks, the third would
// fail-lock; a locked card answers 423.
func TestLockoutOverHTTP(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "lock")
	tok := rootToken(t)
	if got := statusCodeOf(t, s.login(t, f, tok, s.challenge(t, f, tok), "0000")); got != credential.StatusFailedLastTry {
		t.Fatalf("first failure: got %d, want 3", got)
	}
	r := s.login(t, f, tok, s.challenge(t, f, tok), "0000")
	if got := statusCodeOf(t, r); got != credential.StatusTmpLocked {
		t.Fatalf("second failure: got %d, want 9", got)
	}
	if r.json(t)["lockedUntil"] == nil {
		t.Errorf("tmp-locked login response lacks lockedUntil: %s", r.body)
	}
	expectProblem(t, s.do(request{method: "POST", path: s.challengePath(f), bearer: tok}), http.StatusLocked, "errors.credentialLocked")
	expectProblem(t, s.login(t, f, tok, "001", "0000"), http.StatusLocked, "errors.credentialLocked")
	t.Run("in the database", func(t *testing.T) {
		var events int
		if err := s.sql(t).QueryRow(`SELECT count(*) FROM events WHERE type = 'otp-card.locked' AND credential_ext_id = $1`, f.card).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if events != 1 {
			t.Errorf("locked events: got %d, want 1", events)
		}
	})
}

// TestConcurrentCorrectLogins: fifty correct answers to one challenge give exactly one success.
func TestConcurrentCorrectLogins(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "fifty")
	tok := rootToken(t)
	label := s.challenge(t, f, tok)
	cell := answer(t, f.cells, label)
	const n = 50
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = s.login(t, f, tok, label, cell) })
	}
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch r.status {
		case http.StatusOK:
			if statusCodeOf(t, r) == credential.StatusLoginOK {
				ok++
			}
		case http.StatusUnprocessableEntity:
			expectProblem(t, r, http.StatusUnprocessableEntity, "errors.noChallenge")
		default:
			t.Errorf("got status %d, want 200 or 422: %s", r.status, r.body)
		}
	}
	if ok != 1 {
		t.Fatalf("got %d successful logins, want exactly 1", ok)
	}
}

// TestConcurrentWrongAnswers: every wrong answer that was counted shows in failedLoginCount,
// none is lost, until the card locks.
func TestConcurrentWrongAnswers(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "wrong")
	tok := rootToken(t)
	// A policy that locks late, so that all K answers count.
	s.setPolicy(t, f, map[string]string{"maxCredFailureCount": "100", "tmpLockingThreshold": "-1"})
	const k = 16
	var mu sync.Mutex
	counted := 0
	var wg sync.WaitGroup
	for range k {
		wg.Go(func() {
			for range 3 { // a challenge may be consumed by another goroutine first: retry
				r := s.do(request{method: "POST", path: s.challengePath(f), bearer: tok})
				if r.status != http.StatusOK {
					t.Errorf("challenge: got %d, want 200: %s", r.status, r.body)
					return
				}
				label := r.json(t)["challenge"].(string)
				lr := s.login(t, f, tok, label, "WRNG")
				if lr.status == http.StatusOK {
					mu.Lock()
					counted++
					mu.Unlock()
					return
				}
				if lr.status != http.StatusUnprocessableEntity {
					t.Errorf("login: got %d, want 200 or 422: %s", lr.status, lr.body)
					return
				}
			}
		})
	}
	wg.Wait()
	card := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}).json(t)
	if got := int(card["failedLoginCount"].(float64)); got != counted || counted == 0 {
		t.Fatalf("failedLoginCount: got %d, want the %d counted failures", got, counted)
	}
	t.Run("in the database", func(t *testing.T) {
		var events int
		if err := s.sql(t).QueryRow(`SELECT count(*) FROM events WHERE type = 'otp-card.login-failed' AND credential_ext_id = $1`, f.card).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if events != counted {
			t.Errorf("login-failed events: got %d, want %d", events, counted)
		}
	})
}

// TestReplaceRefusesEveryOldCell replaces a card while a challenge is outstanding: the
// challenge is gone and no old cell opens the new card; the new card works.
func TestReplaceRefusesEveryOldCell(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "old")
	tok := rootToken(t)
	// A policy that never locks, so every old cell can be tried.
	s.setPolicy(t, f, map[string]string{"maxCredFailureCount": "100", "tmpLockingThreshold": "-1"})
	s.challenge(t, f, tok)
	r := s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{}})
	mustStatus(t, r, http.StatusOK)
	newCells := cellsOf(t, r.json(t)["otp"].(string))
	r = s.do(request{method: "POST", path: s.loginPath(f), bearer: tok, body: map[string]any{"challenge": "001", "password": f.cells[0]}})
	expectProblem(t, r, http.StatusUnprocessableEntity, "errors.noChallenge")

	failures := 0
	for i := 0; i < len(f.cells); i += 3 { // a third of the cells keeps the test quick
		label := s.challenge(t, f, tok)
		idx, _ := defaultLayout.ParseLabel(label)
		old := f.cells[idx]
		if old == newCells[idx] {
			continue // the same value by chance: not an old-cell test
		}
		if got := statusCodeOf(t, s.login(t, f, tok, label, old)); got == credential.StatusLoginOK {
			t.Fatalf("old cell %s opened the replaced card", label)
		}
		failures++
	}
	label := s.challenge(t, f, tok)
	if got := statusCodeOf(t, s.login(t, f, tok, label, answer(t, newCells, label))); got != credential.StatusLoginOK {
		t.Fatalf("new cell: got statusCode %d, want 5", got)
	}
	if failures < 50 {
		t.Errorf("tried %d old cells, want at least 50", failures)
	}
}
