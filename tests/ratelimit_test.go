package tests

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/otpcard/otpcard/adapters/jwtauth"
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
func expectTooMany(t *testing.T, r response, max int) {
	t.Helper()
	expectProblem(t, r, http.StatusTooManyRequests, "errors.tooManyRequests")
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > max {
		t.Errorf("Retry-After: got %q, want whole seconds in [1, %d]", r.header.Get("Retry-After"), max)
	}
}

// addUser creates another user with a card in f's client.
func (s *service) addUser(t *testing.T, f fixture, name string) fixture {
	t.Helper()
	tok := rootToken(t)
	g := fixture{client: f.client, user: name, card: name + "-card"}
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: tok,
		body: map[string]any{"extId": g.user, "loginId": name + "-login"}}), http.StatusCreated)
	r := s.do(request{method: "POST", path: s.cardsPath(g), bearer: tok, body: map[string]any{"extId": g.card}})
	mustStatus(t, r, http.StatusCreated)
	g.cells = cellsOf(t, r.json(t)["otp"].(string))
	return g
}

// TestRateLimitPerCredential: challenge and login share one budget per credential; past it they get
// 429 without touching the card (no failure is counted), while another user of the client is served
// and callers who cannot act on a user spend nothing of its budget.
func TestRateLimitPerCredential(t *testing.T) {
	s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_LOGIN_PER_MINUTE": "5"})
	f := s.newFixture(t, "rl-login")
	g := s.addUser(t, f, "rl-login-other")
	tok := rootToken(t)

	label := s.challenge(t, f, tok) // 1
	s.challenge(t, f, tok)          // 2: the same outstanding challenge, still a request
	if got := statusCodeOf(t, s.login(t, f, tok, label, answer(t, f.cells, label))); got != 5 {
		t.Fatalf("login: got statusCode %d, want 5", got) // 3
	}
	label = s.challenge(t, f, tok) // 4
	if got := statusCodeOf(t, s.login(t, f, tok, label, "WRONG")); got == 5 {
		t.Fatalf("wrong login: got statusCode %d, want a failure", got) // 5
	}
	before := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}).json(t)

	expectTooMany(t, s.do(request{method: "POST", path: s.challengePath(f), bearer: tok}), 12)
	for range 3 {
		expectTooMany(t, s.login(t, f, tok, "A1", "WRONG"), 12)
	}
	after := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}).json(t)
	if before["failedLoginCount"] != float64(1) {
		t.Errorf("before: got failedLoginCount %v, want 1", before["failedLoginCount"])
	}
	if after["failedLoginCount"] != before["failedLoginCount"] || after["version"] != before["version"] {
		t.Errorf("after refused logins: got failedLoginCount %v version %v, want %v and %v unchanged",
			after["failedLoginCount"], after["version"], before["failedLoginCount"], before["version"])
	}

	// Another user of the same client keeps its own budget.
	lg := s.challenge(t, g, tok)
	if got := statusCodeOf(t, s.login(t, g, tok, lg, answer(t, g.cells, lg))); got != 5 {
		t.Fatalf("other user's login: got statusCode %d, want 5", got)
	}
	// Unauthenticated callers and callers outside the client's data room cannot spend it.
	outsider := token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"elsewhere"}})
	for range 10 {
		mustStatus(t, s.do(request{method: "POST", path: s.challengePath(g)}), http.StatusUnauthorized)
		mustStatus(t, s.do(request{method: "POST", path: s.challengePath(g), bearer: outsider}), http.StatusForbidden)
	}
	for i := range 3 {
		if r := s.do(request{method: "POST", path: s.challengePath(g), bearer: tok}); r.status != http.StatusOK {
			t.Fatalf("other user's challenge %d: got %d, want 200: %s", i+3, r.status, r.body)
		}
	}
	expectTooMany(t, s.do(request{method: "POST", path: s.challengePath(g), bearer: tok}), 12)
}

// TestRateLimitPerUserIssue: create and replace share one budget per user; another user's replace
// still works, and a self-admin caller of another user spends nothing of the victim's budget.
func TestRateLimitPerUserIssue(t *testing.T) {
	s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_ISSUE_PER_MINUTE": "3"})
	f := s.newFixture(t, "rl-issue") // 1: the card's creation
	g := s.addUser(t, f, "rl-issue-other")
	tok := rootToken(t)

	intruder := selfToken(t, g.user, 0)
	for range 5 {
		mustStatus(t, s.do(request{method: "POST", path: s.replacePath(f), xToken: intruder, body: map[string]any{}}),
			http.StatusForbidden)
	}
	for range 2 { // 2 and 3
		mustStatus(t, s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{}}), http.StatusOK)
	}
	before := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}).json(t)
	expectTooMany(t, s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{}}), 20)
	expectTooMany(t, s.do(request{method: "POST", path: s.cardsPath(f), bearer: tok, body: map[string]any{}}), 20)
	after := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}).json(t)
	if after["version"] != before["version"] {
		t.Errorf("after a refused replace: got version %v, want %v", after["version"], before["version"])
	}
	list := s.do(request{method: "GET", path: s.cardsPath(f), bearer: tok}).json(t)
	if items, _ := list["items"].([]any); len(items) != 1 {
		t.Errorf("after a refused create: got %d cards, want 1", len(items))
	}

	mustStatus(t, s.do(request{method: "POST", path: s.replacePath(g), bearer: tok, body: map[string]any{}}), http.StatusOK)
}

// TestRateLimitPerAddress: every route but the operational ones spends the source address's budget,
// before authentication, so that floods without a token are bounded too.
func TestRateLimitPerAddress(t *testing.T) {
	s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "40"})
	// 40 a minute refills one request every 1.5 s: count until the first refusal.
	served := 0
	for ; served < 60; served++ {
		r := s.do(request{method: "GET", path: corePath + "/clients"})
		if r.status == http.StatusTooManyRequests {
			expectTooMany(t, r, 2)
			break
		}
		mustStatus(t, r, http.StatusUnauthorized)
	}
	if served < 40 || served > 45 {
		t.Fatalf("got %d requests served before a 429, want 40 (plus the few refilled meanwhile)", served)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		for range 3 {
			mustStatus(t, s.do(request{method: "GET", path: path}), http.StatusOK)
		}
	}
}

// TestRateLimitForwardedFor: X-Forwarded-For is ignored from a peer outside OTPCARD_TRUSTED_PROXIES
// and names the source address behind one inside it.
func TestRateLimitForwardedFor(t *testing.T) {
	xff := func(s *service, addr string) response {
		return s.do(request{method: "GET", path: corePath + "/clients", bearer: rootToken(t),
			headers: map[string]string{"X-Forwarded-For": addr}})
	}
	t.Run("untrusted peer", func(t *testing.T) {
		s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "3",
			"OTPCARD_TRUSTED_PROXIES": "10.0.0.0/8"}).bind(t)
		for i := range 3 {
			mustStatus(t, xff(s, fmt.Sprintf("198.51.100.%d", i)), http.StatusOK)
		}
		for i := range 3 {
			expectTooMany(t, xff(s, fmt.Sprintf("203.0.113.%d", i)), 20)
		}
	})
	t.Run("trusted peer", func(t *testing.T) {
		s := startLimited(t, map[string]string{"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "3",
			"OTPCARD_TRUSTED_PROXIES": "127.0.0.1"}).bind(t)
		for range 3 {
			mustStatus(t, xff(s, "198.51.100.1"), http.StatusOK)
		}
		expectTooMany(t, xff(s, "198.51.100.1"), 20)
		// Entries left of the proxy's own are the client's word and do not change the address.
		expectTooMany(t, xff(s, "203.0.113.9, 198.51.100.1"), 20)
		// Another address behind the proxy, and the proxy itself, have their own budgets.
		mustStatus(t, xff(s, "198.51.100.2"), http.StatusOK)
		mustStatus(t, s.do(request{method: "GET", path: corePath + "/clients", bearer: rootToken(t)}), http.StatusOK)
	})
}

// TestRateLimitOff: OTPCARD_RATE_LIMIT=off never answers 429, whatever the configured budgets.
func TestRateLimitOff(t *testing.T) {
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_RATE_LIMIT": "off",
		"OTPCARD_RATE_LIMIT_LOGIN_PER_MINUTE": "1", "OTPCARD_RATE_LIMIT_ISSUE_PER_MINUTE": "1",
		"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "1"})
	f := s.newFixture(t, "rl-off")
	tok := rootToken(t)
	for range 5 {
		mustStatus(t, s.do(request{method: "POST", path: s.challengePath(f), bearer: tok}), http.StatusOK)
		mustStatus(t, s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{}}), http.StatusOK)
		mustStatus(t, s.do(request{method: "GET", path: corePath + "/clients"}), http.StatusUnauthorized)
	}
}
