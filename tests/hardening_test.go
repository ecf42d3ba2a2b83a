package tests

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// Issue 11: what testing from outside found. Each test here failed before its fix.

// TestRateLimitSpentOnlyByRightfulCallers: callers that hold a valid token but not the route's
// rights for the user (a self-admin token sent as Bearer, a token without roles, an Auditor at the
// login, a self-admin naming another user) are refused without spending the user's budgets, so the
// login server still logs the user in and the help desk still replaces the card (API.md 6.1).
func TestRateLimitSpentOnlyByRightfulCallers(t *testing.T) {
	s := startLimited(t, map[string]string{})
	f := s.newFixture(t, "rl-victim")
	other := s.addUser(t, f, uid("rl-attacker"))
	attackers := map[string]request{
		"self-admin token as Bearer": {bearer: selfToken(t, f.user, 0)},
		"token without roles":        {bearer: token(t, jwtauth.MintOptions{Subject: "nobody"})},
		"Auditor":                    {bearer: roleToken(t, "Auditor")},
		"another user's self-admin":  {xToken: selfToken(t, other.user, 0)},
	}
	for name, a := range attackers {
		for range 30 { // the whole default budget of challenges and logins
			a.method, a.path, a.body = "POST", s.loginPath(f), map[string]any{"challenge": "001", "password": "0000"}
			if r := s.do(a); r.status != http.StatusForbidden {
				t.Fatalf("%s: login got %d, want 403; body %s", name, r.status, r.body)
			}
		}
		if name != "Auditor" { // an Auditor may ask for challenges; it still spends nothing
			a.method, a.path, a.body = "POST", s.challengePath(f), nil
			expectProblem(t, s.do(a), http.StatusForbidden, "errors.permissionDenied")
		}
		for range 10 { // the whole default budget of card issuing
			a.method, a.path, a.body = "POST", s.replacePath(f), map[string]any{}
			if r := s.do(a); r.status != http.StatusForbidden {
				t.Fatalf("%s: replace got %d, want 403; body %s", name, r.status, r.body)
			}
		}
	}
	auditor := roleToken(t, "Auditor")
	for range 40 {
		mustStatus(t, s.do(request{method: "POST", path: s.challengePath(f), bearer: auditor}), http.StatusOK)
	}
	for range 10 {
		mustStatus(t, s.do(request{method: "POST", path: s.cardsPath(f), bearer: roleToken(t, "Helpdesk"), body: map[string]any{}}),
			http.StatusForbidden) // Helpdesk lacks CredentialCreate
	}
	loginServer := roleToken(t, "Helpdesk")
	label := s.challenge(t, f, loginServer)
	if got := statusCodeOf(t, s.login(t, f, loginServer, label, answer(t, f.cells, label))); got != 5 {
		t.Errorf("the login server after the attack: got statusCode %d, want 5", got)
	}
	mustStatus(t, s.do(request{method: "POST", path: s.replacePath(f), bearer: loginServer, body: map[string]any{}}), http.StatusOK)
	mustStatus(t, s.do(request{method: "POST", path: s.cardsPath(f), bearer: roleToken(t, "UserAdmin"), body: map[string]any{}}),
		http.StatusCreated)
}

// TestDisabledAndArchivedUsers: a user who is not active cannot authenticate (challenge and login
// 403 errors.userNotUsable, and its self-admin tokens are refused everywhere); an archived user
// receives no card, even from an admin; nothing changes on the card meanwhile (API.md section 3).
func TestDisabledAndArchivedUsers(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "unusable")
	tok := rootToken(t)
	userPath := corePath + "/" + f.client + "/users/" + f.user
	setState := func(state string) {
		t.Helper()
		mustStatus(t, s.do(request{method: "PATCH", path: userPath, bearer: tok, body: map[string]any{"userState": state}}), http.StatusOK)
	}
	self := selfToken(t, f.user, 0)
	selfRequests := []request{
		{method: "GET", path: userPath, xToken: self},
		{method: "GET", path: s.cardsPath(f), xToken: self},
		{method: "GET", path: s.cardPath(f), xToken: self},
		{method: "POST", path: s.replacePath(f), xToken: self, body: map[string]any{}},
		{method: "DELETE", path: s.cardPath(f), xToken: self},
	}
	for _, state := range []string{"disabled", "archived"} {
		t.Run(state, func(t *testing.T) {
			setState(state)
			before := s.cardSnapshot(t, f)
			expectProblem(t, s.do(request{method: "POST", path: s.challengePath(f), bearer: tok}), http.StatusForbidden, "errors.userNotUsable")
			expectProblem(t, s.login(t, f, tok, "001", "0000"), http.StatusForbidden, "errors.userNotUsable")
			for _, r := range selfRequests {
				expectProblem(t, s.do(r), http.StatusForbidden, "errors.userNotUsable")
			}
			replace := s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{}})
			create := s.do(request{method: "POST", path: s.cardsPath(f), bearer: tok, body: map[string]any{}})
			if state == "archived" {
				expectProblem(t, replace, http.StatusForbidden, "errors.userNotUsable")
				expectProblem(t, create, http.StatusForbidden, "errors.userNotUsable")
				if after := s.cardSnapshot(t, f); after["version"] != before["version"] || after["failedLoginCount"] != before["failedLoginCount"] {
					t.Errorf("card after the refusals: got version %v, failures %v; want %v, %v",
						after["version"], after["failedLoginCount"], before["version"], before["failedLoginCount"])
				}
				return
			}
			// An admin may still issue a card to a disabled user: it is handed over, not used to log in.
			mustStatus(t, replace, http.StatusOK)
			f.cells = cellsOf(t, replace.json(t)["otp"].(string))
			mustStatus(t, create, http.StatusCreated)
			mustStatus(t, s.do(request{method: "DELETE", path: s.cardsPath(f) + "/" + create.json(t)["extId"].(string), bearer: tok}),
				http.StatusNoContent)
		})
	}
	setState("active")
	if got := s.loginRight(t, f); got != 5 {
		t.Errorf("login once the user is active again: got statusCode %d, want 5", got)
	}
	mustStatus(t, s.do(request{method: "GET", path: userPath, xToken: self}), http.StatusOK)
}

// TestReplaceRestartsAnExpiredValidity: the replacement of a card whose validity has ended is
// valid from now for the policy's current lifetime, and can log in; the event says so (API.md
// section 4.1).
func TestReplaceRestartsAnExpiredValidity(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "expired")
	toExpired(t, s, f)
	expectProblem(t, s.do(request{method: "POST", path: s.challengePath(f), bearer: rootToken(t)}), http.StatusForbidden,
		"errors.credentialNotUsable")
	s.setPolicy(t, f, map[string]string{"credentialLifetime": "86400000"})
	before := time.Now().Add(-time.Second)
	r := s.do(request{method: "POST", path: s.replacePath(f), bearer: rootToken(t), body: map[string]any{}})
	mustStatus(t, r, http.StatusOK)
	m := r.json(t)
	validity := m["validity"].(map[string]any)
	from, err1 := time.Parse(time.RFC3339, validity["from"].(string))
	to, err2 := time.Parse(time.RFC3339, validity["to"].(string))
	if err1 != nil || err2 != nil || from.Before(before.Truncate(time.Second)) || to.Sub(from) != 24*time.Hour {
		t.Errorf("validity: got %v, want from now for one day", validity)
	}
	f.cells = cellsOf(t, m["otp"].(string))
	if got := s.loginRight(t, f); got != 5 {
		t.Errorf("login with the replacement: got statusCode %d, want 5", got)
	}
	t.Run("in the database", func(t *testing.T) {
		var restarted string
		if err := s.sql(t).QueryRow(`SELECT data->>'validityRestarted' FROM events
			WHERE credential_ext_id = $1 AND type = 'otp-card.replaced' ORDER BY id DESC LIMIT 1`, f.card).Scan(&restarted); err != nil {
			t.Fatal(err)
		}
		if restarted != "true" {
			t.Errorf("otp-card.replaced data.validityRestarted: got %q, want true", restarted)
		}
	})
}

// TestLockedSaysUntilWhen: a tmp-locked card's 423 carries Retry-After and lockedUntil, the end
// of the lock the card shows; a fail-locked card's carries neither, as it has no end (API.md 1.1).
func TestLockedSaysUntilWhen(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "locked")
	toTmpLocked(t, s, f)
	card := s.cardSnapshot(t, f)
	for _, path := range []string{s.challengePath(f), s.loginPath(f)} {
		var body any
		if path == s.loginPath(f) {
			body = map[string]any{"challenge": "001", "password": "0000"}
		}
		r := s.do(request{method: "POST", path: path, bearer: rootToken(t), body: body})
		p := expectProblem(t, r, http.StatusLocked, "errors.credentialLocked")
		if p["lockedUntil"] != card["lockedUntil"] || card["lockedUntil"] == nil {
			t.Errorf("%s: lockedUntil got %v, want the card's %v", path, p["lockedUntil"], card["lockedUntil"])
		}
		if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
			t.Errorf("%s: Retry-After got %q, want 1-60 seconds", path, r.header.Get("Retry-After"))
		}
	}
	g := s.newFixture(t, "faillocked")
	toFailLocked(t, s, g)
	r := s.do(request{method: "POST", path: s.challengePath(g), bearer: rootToken(t)})
	if p := expectProblem(t, r, http.StatusLocked, "errors.credentialLocked"); p["lockedUntil"] != nil || r.header.Get("Retry-After") != "" {
		t.Errorf("fail-locked: got lockedUntil %v, Retry-After %q; want neither", p["lockedUntil"], r.header.Get("Retry-After"))
	}
}

// TestMalformedLoginCountsNothing: a login body without its challenge or password, or with null
// members, is the login server's bug: 400, no failure counted, the challenge still outstanding
// (API.md section 6).
func TestMalformedLoginCountsNothing(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "badlogin")
	tok := rootToken(t)
	label := s.challenge(t, f, tok)
	before := s.cardSnapshot(t, f)
	for _, body := range []string{`{}`, `{"challenge":null,"password":"0000"}`, `{"challenge":"` + label + `","password":null}`,
		`{"challenge":"` + label + `"}`, `{"password":"0000"}`, `{"challenge":"","password":"0000"}`,
		`{"challenge":"` + label + `","password":"0000","updateLoginInfoOnSuccess":null}`,
		`{"challenge":"` + label + `","password":1234}`} {
		expectProblem(t, s.do(request{method: "POST", path: s.loginPath(f), bearer: tok, body: body}),
			http.StatusBadRequest, "errors.invalidData")
	}
	if after := s.cardSnapshot(t, f); after["version"] != before["version"] || after["failedLoginCount"] != float64(0) {
		t.Errorf("card after malformed logins: got version %v, failures %v; want %v, 0", after["version"], after["failedLoginCount"], before["version"])
	}
	if again := s.challenge(t, f, tok); again != label {
		t.Errorf("challenge after malformed logins: got %s, want the outstanding %s", again, label)
	}
	if got := statusCodeOf(t, s.login(t, f, tok, label, answer(t, f.cells, label))); got != 5 {
		t.Errorf("the well-formed login: got statusCode %d, want 5", got)
	}
}

// TestInputThatWasRewritten: bodies that are not valid UTF-8, or hold unpaired surrogates, are
// refused rather than stored rewritten; an empty extId is refused rather than replaced by a
// generated one; an empty policyType names no policy type (API.md sections 1 and 3).
func TestInputThatWasRewritten(t *testing.T) {
	s := startService(t)
	tok := rootToken(t)
	f := s.newFixture(t, "input")
	users := corePath + "/" + f.client + "/users"
	for name, body := range map[string]string{
		"a byte that is not UTF-8":   "{\"loginId\": \"ali\xffce\"}",
		"an unpaired high surrogate": `{"loginId": "ali\ud800ce"}`,
		"an unpaired low surrogate":  `{"loginId": "ali\udc00ce"}`,
	} {
		expectProblem(t, s.do(request{method: "POST", path: users, bearer: tok, body: body}), http.StatusBadRequest, "errors.invalidData")
		t.Logf("%s: refused", name)
	}
	r := s.do(request{method: "GET", path: corePath + "/clients/" + f.client + "/users", bearer: tok})
	if items := r.json(t)["items"].([]any); len(items) != 1 {
		t.Errorf("users after the refused bodies: got %d, want only the fixture's", len(items))
	}
	for path, body := range map[string]map[string]any{
		corePath + "/clients":                   {"extId": "", "name": uid("empty-extid")},
		users:                                   {"extId": "", "loginId": uid("empty-extid")},
		corePath + "/" + f.client + "/policies": {"extId": "", "name": "p"},
		s.cardsPath(f):                          {"extId": ""},
	} {
		expectProblem(t, s.do(request{method: "POST", path: path, bearer: tok, body: body}), http.StatusBadRequest, "errors.invalidData")
	}
	expectProblem(t, s.do(request{method: "POST", path: corePath + "/" + f.client + "/policies", bearer: tok,
		body: map[string]any{"name": "p", "policyType": ""}}), http.StatusUnprocessableEntity, "errors.missingReferenceData")
}

// TestDataRoomCreatesOnlyItsClients: a caller with ClientCreate and a data room creates only the
// clients its room names (API.md section 2).
func TestDataRoomCreatesOnlyItsClients(t *testing.T) {
	s := startService(t)
	mine, theirs := uid("room-mine"), uid("room-theirs")
	tok := token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{mine}})
	for _, body := range []map[string]any{{"extId": theirs, "name": theirs}, {"name": uid("room-generated")}} {
		expectProblem(t, s.do(request{method: "POST", path: corePath + "/clients", bearer: tok, body: body}),
			http.StatusForbidden, "errors.dataroomPermissionDenied")
	}
	mustStatus(t, s.do(request{method: "GET", path: corePath + "/clients/" + theirs, bearer: rootToken(t)}), http.StatusNotFound)
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/clients", bearer: tok,
		body: map[string]any{"extId": mine, "name": mine}}), http.StatusCreated)
}

// TestPrintedCardNegotiation: the PDF only when Accept prefers it; q=0 excludes it, and media
// types compare case-insensitively (RFC 9110).
func TestPrintedCardNegotiation(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "accept")
	for accept, want := range map[string]string{
		"application/pdf;q=0":                           "application/json",
		"application/pdf;q=0, application/json":         "application/json",
		"application/PDF":                               "application/pdf",
		"Application/Pdf, application/json":             "application/pdf",
		"application/json;q=0.4, application/pdf;q=0.8": "application/pdf",
		"application/pdf;q=0.4, application/json":       "application/json",
	} {
		r := s.do(request{method: "POST", path: s.replacePath(f), bearer: rootToken(t), body: map[string]any{},
			headers: map[string]string{"Accept": accept}})
		mustStatus(t, r, http.StatusOK)
		if got, _, _ := strings.Cut(r.header.Get("Content-Type"), ";"); got != want {
			t.Errorf("Accept %q: got %s, want %s", accept, got, want)
		}
	}
}

// TestOverlongHeadersAreProblems: a header block over the service's limit gets 431 as
// problem+json, like every error (API.md section 1).
func TestOverlongHeadersAreProblems(t *testing.T) {
	s := startService(t)
	r := s.do(request{method: "GET", path: corePath + "/clients", bearer: rootToken(t),
		headers: map[string]string{"X-Padding": strings.Repeat("a", 40<<10)}})
	expectProblem(t, r, http.StatusRequestHeaderFieldsTooLarge, "errors.invalidData")
	mustStatus(t, s.do(request{method: "GET", path: corePath + "/clients", bearer: rootToken(t),
		headers: map[string]string{"X-Padding": strings.Repeat("a", 8<<10)}}), http.StatusOK)
}

// TestHeadOnEveryGetRoute: HEAD answers every GET route with the GET's status and headers and no
// body (API.md section 1).
func TestHeadOnEveryGetRoute(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "head")
	policy, _ := s.cardSnapshot(t, f)["policyExtId"].(string)
	paths := []string{"/healthz", "/readyz", "/openapi.json", "/metrics", corePath + "/clients", corePath + "/clients/" + f.client,
		corePath + "/clients/" + f.client + "/users", corePath + "/clients/" + f.client + "/policies",
		policyPath(f.client, policy), corePath + "/" + f.client + "/users/" + f.user, s.cardsPath(f), s.cardPath(f),
		"/otpcard/api/v1/audit-events", corePath + "/clients/nope"}
	for _, path := range paths {
		for _, tok := range []string{rootToken(t), ""} {
			get := unvalidatedDo(t, s, "GET", path, tok)
			head := unvalidatedDo(t, s, "HEAD", path, tok)
			if head.status != get.status || len(head.body) != 0 || head.header.Get("Content-Type") != get.header.Get("Content-Type") {
				t.Errorf("HEAD %s: got %d %q with %d bytes, want %d %q without a body",
					path, head.status, head.header.Get("Content-Type"), len(head.body), get.status, get.header.Get("Content-Type"))
			}
			if head.status == http.StatusMethodNotAllowed {
				t.Errorf("HEAD %s: 405", path)
			}
		}
	}
}

// unvalidatedDo sends a request without validating the answer against the OpenAPI document (a HEAD
// answer has no body to validate).
func unvalidatedDo(t *testing.T, s *service, method, path, tok string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.baseURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}
