package tests

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// The limits of API.md section 6.1 over HTTP. The harness switches them off; these tests switch
// them on with small budgets. A budget refills one request per minute/limit, so each test chooses
// limits whose refill interval is far longer than the test's steps.

// startLimited starts the service with rate limits on and the given variables.
func startLimited(t *testing.T, env map[string]string) *service {
	t.Helper()
	env["OTPCARD_RATE_LIMIT"] = "on"
	return startServiceWith(t, io.Discard, env)
}

// expectTooMany checks a 429 problem whose Retry-After is a whole number of seconds in [1, max].
func expectTooMany(t *testing.T, r client.Response, max int) {
	t.Helper()
	r.WantProblem(t, http.StatusTooManyRequests, "errors.tooManyRequests")
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > max {
		t.Errorf("Retry-After: got %q, want whole seconds in [1, %d]", r.Header.Get("Retry-After"), max)
	}
}

// TestRateLimitPerCredential: challenge and login share one budget per credential; past it they get
// 429 without touching the card (no failure is counted), while another user of the client is served
// and callers who cannot act on a user spend nothing of its budget.
func TestRateLimitPerCredential(t *testing.T) {
	s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_LOGIN_PER_MINUTE": "5"})
	f := s.newFixture(t, "rl-login")
	g := s.addUser(t, f, "rl-login-other")
	api := s.root(t)
	user, other := f.UserKey(), g.UserKey()

	label := challenge(t, api, user) // 1
	challenge(t, api, user)          // 2: the same outstanding challenge, still a request
	if got := logIn(t, api, user, label, answer(t, f.cells, label)); got != 5 {
		t.Fatalf("login: got statusCode %d, want 5", got) // 3
	}
	label = challenge(t, api, user) // 4
	if got := logIn(t, api, user, label, "WRONG"); got == 5 {
		t.Fatalf("wrong login: got statusCode %d, want a failure", got) // 5
	}
	before := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)

	expectTooMany(t, api.Challenge(t, user).Response, 12)
	for range 3 {
		expectTooMany(t, api.Login(t, user, client.LoginRequest{Challenge: "A1", Password: "WRONG"}).Response, 12)
	}
	after := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	if before.FailedLoginCount != 1 {
		t.Errorf("before: got failedLoginCount %v, want 1", before.FailedLoginCount)
	}
	if after.FailedLoginCount != before.FailedLoginCount || after.Version != before.Version {
		t.Errorf("after refused logins: got failedLoginCount %v version %v, want %v and %v unchanged",
			after.FailedLoginCount, after.Version, before.FailedLoginCount, before.Version)
	}

	// Another user of the same client keeps its own budget.
	lg := challenge(t, api, other)
	if got := logIn(t, api, other, lg, answer(t, g.cells, lg)); got != 5 {
		t.Fatalf("other user's login: got statusCode %d, want 5", got)
	}
	// Unauthenticated callers and callers outside the client's data room cannot spend it.
	outsider := s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"elsewhere"}}))
	for range 10 {
		s.api.Challenge(t, other).WantStatus(t, http.StatusUnauthorized)
		outsider.Challenge(t, other).WantStatus(t, http.StatusForbidden)
	}
	for i := range 3 {
		if r := api.Challenge(t, other); r.Status != http.StatusOK {
			t.Fatalf("other user's challenge %d: got %d, want 200: %s", i+3, r.Status, r.Body)
		}
	}
	expectTooMany(t, api.Challenge(t, other).Response, 12)
}

// TestRateLimitPerUserIssue: create and replace share one budget per user; another user's replace
// still works, and a self-admin caller of another user spends nothing of the victim's budget.
func TestRateLimitPerUserIssue(t *testing.T) {
	s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_ISSUE_PER_MINUTE": "3"})
	f := s.newFixture(t, "rl-issue") // 1: the card's creation
	g := s.addUser(t, f, "rl-issue-other")
	api := s.root(t)

	intruder := s.api.Self(selfToken(t, g.User, 0))
	for range 5 {
		intruder.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).WantStatus(t, http.StatusForbidden)
	}
	for range 2 { // 2 and 3
		api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
	}
	before := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	expectTooMany(t, api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Response, 20)
	expectTooMany(t, api.CreateCard(t, f.UserKey(), client.CredentialCreate{}).Response, 20)
	if after := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); after.Version != before.Version {
		t.Errorf("after a refused replace: got version %v, want %v", after.Version, before.Version)
	}
	if items := api.ListCards(t, f.UserKey(), client.Page{}).Want(t, http.StatusOK).Items; len(items) != 1 {
		t.Errorf("after a refused create: got %d cards, want 1", len(items))
	}

	api.ReplaceCard(t, g.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
}

// TestRateLimitPerAddress: every route but the operational ones spends the source address's budget,
// before authentication, so that floods without a token are bounded too.
func TestRateLimitPerAddress(t *testing.T) {
	s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "40"})
	// 40 a minute refills one request every 1.5 s: count until the first refusal.
	served := 0
	for ; served < 60; served++ {
		r := s.api.ListClients(t, client.Page{})
		if r.Status == http.StatusTooManyRequests {
			expectTooMany(t, r.Response, 2)
			break
		}
		r.WantStatus(t, http.StatusUnauthorized)
	}
	if served < 40 || served > 45 {
		t.Fatalf("got %d requests served before a 429, want 40 (plus the few refilled meanwhile)", served)
	}
	for range 3 {
		s.api.Healthz(t).Want(t, http.StatusOK)
		s.api.Readyz(t).Want(t, http.StatusOK)
		s.api.Metrics(t).Want(t, http.StatusOK)
	}
}

// TestRateLimitForwardedFor: X-Forwarded-For is ignored from a peer outside OTPCARD_TRUSTED_PROXIES
// and names the source address behind one inside it.
func TestRateLimitForwardedFor(t *testing.T) {
	xff := func(t *testing.T, s *service, addr string) client.Response {
		return s.root(t).ListClients(t, client.Page{}, client.Header("X-Forwarded-For", addr)).Response
	}
	t.Run("untrusted peer", func(t *testing.T) {
		s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "3",
			"OTPCARD_TRUSTED_PROXIES": "10.0.0.0/8"})
		for i := range 3 {
			xff(t, s, fmt.Sprintf("198.51.100.%d", i)).WantStatus(t, http.StatusOK)
		}
		for i := range 3 {
			expectTooMany(t, xff(t, s, fmt.Sprintf("203.0.113.%d", i)), 20)
		}
	})
	t.Run("trusted peer", func(t *testing.T) {
		s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "3",
			"OTPCARD_TRUSTED_PROXIES": "127.0.0.1"})
		for range 3 {
			xff(t, s, "198.51.100.1").WantStatus(t, http.StatusOK)
		}
		expectTooMany(t, xff(t, s, "198.51.100.1"), 20)
		// Entries left of the proxy's own are the client's word and do not change the address.
		expectTooMany(t, xff(t, s, "203.0.113.9, 198.51.100.1"), 20)
		// Another address behind the proxy, and the proxy itself, have their own budgets.
		xff(t, s, "198.51.100.2").WantStatus(t, http.StatusOK)
		s.root(t).ListClients(t, client.Page{}).Want(t, http.StatusOK)
	})
}

// TestRateLimitOff: OTPCARD_RATE_LIMIT=off never answers 429, whatever the configured budgets.
func TestRateLimitOff(t *testing.T) {
	t.Parallel()
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_RATE_LIMIT": "off",
		"OTPCARD_RATE_LIMIT_LOGIN_PER_MINUTE": "1", "OTPCARD_RATE_LIMIT_ISSUE_PER_MINUTE": "1",
		"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "1"})
	f := s.newFixture(t, "rl-off")
	api := s.root(t)
	for range 5 {
		api.Challenge(t, f.UserKey()).Want(t, http.StatusOK)
		api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
		s.api.ListClients(t, client.Page{}).WantStatus(t, http.StatusUnauthorized)
	}
}
