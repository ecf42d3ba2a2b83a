package tests

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
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
	attackers := map[string]*client.API{
		"self-admin token as Bearer": s.api.As(selfToken(t, f.User, 0)),
		"token without roles":        s.api.As(token(t, jwtauth.MintOptions{Subject: "nobody"})),
		"Auditor":                    s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Auditor"}})),
		"another user's self-admin":  s.api.Self(selfToken(t, other.User, 0)),
	}
	for name, a := range attackers {
		for range 30 { // the whole default budget of challenges and logins
			if r := a.Login(t, f.UserKey(), client.LoginRequest{Challenge: "001", Password: "0000"}); r.Status != http.StatusForbidden {
				t.Fatalf("%s: login got %d, want 403; body %s", name, r.Status, r.Body)
			}
		}
		if name != "Auditor" { // an Auditor may ask for challenges; it still spends nothing
			a.Challenge(t, f.UserKey()).WantProblem(t, http.StatusForbidden, "errors.permissionDenied")
		}
		for range 10 { // the whole default budget of card issuing
			if r := a.ReplaceCard(t, f.CardKey, client.CredentialReplace{}); r.Status != http.StatusForbidden {
				t.Fatalf("%s: replace got %d, want 403; body %s", name, r.Status, r.Body)
			}
		}
	}
	for range 40 {
		attackers["Auditor"].Challenge(t, f.UserKey()).Want(t, http.StatusOK)
	}
	helpdesk := s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Helpdesk"}}))
	for range 10 {
		helpdesk.CreateCard(t, f.UserKey(), client.CredentialCreate{}).WantStatus(t, http.StatusForbidden) // Helpdesk lacks CredentialCreate
	}
	loginServer := helpdesk
	label := challenge(t, loginServer, f.UserKey())
	if got := logIn(t, loginServer, f.UserKey(), label, answer(t, f.cells, label)); got != 5 {
		t.Errorf("the login server after the attack: got statusCode %d, want 5", got)
	}
	loginServer.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
	s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"UserAdmin"}})).CreateCard(t, f.UserKey(), client.CredentialCreate{}).
		Want(t, http.StatusCreated)
}

// TestDisabledAndArchivedUsers: a user who is not active cannot authenticate (challenge and login
// 403 errors.userNotUsable, and its self-admin tokens are refused everywhere); an archived user
// receives no card, even from an admin; nothing changes on the card meanwhile (API.md section 3).
func TestDisabledAndArchivedUsers(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "unusable")
	setState := func(t *testing.T, state string) {
		t.Helper()
		api.PatchUser(t, f.UserKey(), client.UserPatch{UserState: &state}).Want(t, http.StatusOK)
	}
	self := s.api.Self(selfToken(t, f.User, 0))
	selfRequests := []func(t *testing.T) client.Response{
		func(t *testing.T) client.Response { return self.GetUser(t, f.UserKey()).Response },
		func(t *testing.T) client.Response { return self.ListCards(t, f.UserKey(), client.Page{}).Response },
		func(t *testing.T) client.Response { return self.GetCard(t, f.CardKey).Response },
		func(t *testing.T) client.Response {
			return self.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Response
		},
		func(t *testing.T) client.Response { return self.DeleteCard(t, f.CardKey).Response },
	}
	for _, state := range []string{"disabled", "archived"} {
		t.Run(state, func(t *testing.T) {
			setState(t, state)
			before := s.cardSnapshot(t, f)
			api.Challenge(t, f.UserKey()).WantProblem(t, http.StatusForbidden, "errors.userNotUsable")
			api.Login(t, f.UserKey(), client.LoginRequest{Challenge: "001", Password: "0000"}).
				WantProblem(t, http.StatusForbidden, "errors.userNotUsable")
			for _, send := range selfRequests {
				send(t).WantProblem(t, http.StatusForbidden, "errors.userNotUsable")
			}
			replace := api.ReplaceCard(t, f.CardKey, client.CredentialReplace{})
			create := api.CreateCard(t, f.UserKey(), client.CredentialCreate{})
			if state == "archived" {
				replace.WantProblem(t, http.StatusForbidden, "errors.userNotUsable")
				create.WantProblem(t, http.StatusForbidden, "errors.userNotUsable")
				if after := s.cardSnapshot(t, f); after.Version != before.Version || after.FailedLoginCount != before.FailedLoginCount {
					t.Errorf("card after the refusals: got version %v, failures %v; want %v, %v",
						after.Version, after.FailedLoginCount, before.Version, before.FailedLoginCount)
				}
				return
			}
			// An admin may still issue a card to a disabled user: it is handed over, not used to log in.
			f.cells = cellsOf(t, replace.Want(t, http.StatusOK).OTP)
			api.DeleteCard(t, f.UserKey().Card(create.Want(t, http.StatusCreated).ExtID)).Want(t, http.StatusNoContent)
		})
	}
	setState(t, "active")
	if got := s.loginRight(t, f); got != 5 {
		t.Errorf("login once the user is active again: got statusCode %d, want 5", got)
	}
	self.GetUser(t, f.UserKey()).Want(t, http.StatusOK)
}

// TestReplaceRestartsAnExpiredValidity: the replacement of a card whose validity has ended is
// valid from now for the policy's current lifetime, and can log in; the event says so (API.md
// section 4.1).
func TestReplaceRestartsAnExpiredValidity(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "expired")
	toExpired(t, s, f)
	api.Challenge(t, f.UserKey()).WantProblem(t, http.StatusForbidden, "errors.credentialNotUsable")
	s.setPolicy(t, f, map[string]string{"credentialLifetime": "86400000"})
	before := time.Now().Add(-time.Second)
	m := api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
	from, err1 := time.Parse(time.RFC3339, m.Validity.From)
	to, err2 := time.Parse(time.RFC3339, m.Validity.To)
	if err1 != nil || err2 != nil || from.Before(before.Truncate(time.Second)) || to.Sub(from) != 24*time.Hour {
		t.Errorf("validity: got %+v, want from now for one day", m.Validity)
	}
	f.cells = cellsOf(t, m.OTP)
	if got := s.loginRight(t, f); got != 5 {
		t.Errorf("login with the replacement: got statusCode %d, want 5", got)
	}
	t.Run("in the database", func(t *testing.T) {
		var restarted string
		if err := s.sql(t).QueryRow(`SELECT data->>'validityRestarted' FROM events
			WHERE credential_ext_id = $1 AND type = 'otp-card.replaced' ORDER BY id DESC LIMIT 1`, f.Card).Scan(&restarted); err != nil {
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
	t.Parallel()
	s, f, api := startWithFixture(t, "locked")
	toTmpLocked(t, s, f)
	card := s.cardSnapshot(t, f)
	for name, r := range map[string]client.Response{
		"challenge": api.Challenge(t, f.UserKey()).Response,
		"login":     api.Login(t, f.UserKey(), client.LoginRequest{Challenge: "001", Password: "0000"}).Response,
	} {
		p := r.WantProblem(t, http.StatusLocked, "errors.credentialLocked")
		if p.LockedUntil != card.LockedUntil || card.LockedUntil == "" {
			t.Errorf("%s: lockedUntil got %v, want the card's %v", name, p.LockedUntil, card.LockedUntil)
		}
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
			t.Errorf("%s: Retry-After got %q, want 1-60 seconds", name, r.Header.Get("Retry-After"))
		}
	}
	g := s.newFixture(t, "faillocked")
	toFailLocked(t, s, g)
	r := api.Challenge(t, g.UserKey())
	if p := r.WantProblem(t, http.StatusLocked, "errors.credentialLocked"); r.JSON(t)["lockedUntil"] != nil || r.Header.Get("Retry-After") != "" {
		t.Errorf("fail-locked: got lockedUntil %v, Retry-After %q; want neither", p.LockedUntil, r.Header.Get("Retry-After"))
	}
}

// TestMalformedLoginCountsNothing: a login body without its challenge or password, or with null
// members, is the login server's bug: 400, no failure counted, the challenge still outstanding
// (API.md section 6).
func TestMalformedLoginCountsNothing(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "badlogin")
	label := challenge(t, api, f.UserKey())
	before := s.cardSnapshot(t, f)
	for _, body := range []string{`{}`, `{"challenge":null,"password":"0000"}`, `{"challenge":"` + label + `","password":null}`,
		`{"challenge":"` + label + `"}`, `{"password":"0000"}`, `{"challenge":"","password":"0000"}`,
		`{"challenge":"` + label + `","password":"0000","updateLoginInfoOnSuccess":null}`,
		`{"challenge":"` + label + `","password":1234}`} {
		api.Do(t, client.Request{Method: "POST", Path: f.UserKey().LoginPath(), Body: []byte(body)}).
			WantProblem(t, http.StatusBadRequest, "errors.invalidData")
	}
	if after := s.cardSnapshot(t, f); after.Version != before.Version || after.FailedLoginCount != 0 {
		t.Errorf("card after malformed logins: got version %v, failures %v; want %v, 0", after.Version, after.FailedLoginCount, before.Version)
	}
	if again := challenge(t, api, f.UserKey()); again != label {
		t.Errorf("challenge after malformed logins: got %s, want the outstanding %s", again, label)
	}
	if got := logIn(t, api, f.UserKey(), label, answer(t, f.cells, label)); got != 5 {
		t.Errorf("the well-formed login: got statusCode %d, want 5", got)
	}
}

// TestInputThatWasRewritten: bodies that are not valid UTF-8, or hold unpaired surrogates, are
// refused rather than stored rewritten; an empty extId is refused rather than replaced by a
// generated one; an empty policyType names no policy type (API.md sections 1 and 3).
func TestInputThatWasRewritten(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "input")
	post := func(t *testing.T, path, body string) client.Response {
		return api.Do(t, client.Request{Method: "POST", Path: path, Body: []byte(body)})
	}
	for name, body := range map[string]string{
		"a byte that is not UTF-8":   "{\"loginId\": \"ali\xffce\"}",
		"an unpaired high surrogate": `{"loginId": "ali\ud800ce"}`,
		"an unpaired low surrogate":  `{"loginId": "ali\udc00ce"}`,
	} {
		post(t, client.UsersPath(f.Client), body).WantProblem(t, http.StatusBadRequest, "errors.invalidData")
		t.Logf("%s: refused", name)
	}
	if items := api.ListUsers(t, f.Client, client.UserQuery{}).Want(t, http.StatusOK).Items; len(items) != 1 {
		t.Errorf("users after the refused bodies: got %d, want only the fixture's", len(items))
	}
	for path, body := range map[string]string{
		client.ClientsPath:            `{"extId": "", "name": "` + uid("empty-extid") + `"}`,
		client.UsersPath(f.Client):    `{"extId": "", "loginId": "` + uid("empty-extid") + `"}`,
		client.PoliciesPath(f.Client): `{"extId": "", "name": "p"}`,
		f.UserKey().CardsPath():       `{"extId": ""}`,
	} {
		post(t, path, body).WantProblem(t, http.StatusBadRequest, "errors.invalidData")
	}
	post(t, client.PoliciesPath(f.Client), `{"name": "p", "policyType": ""}`).
		WantProblem(t, http.StatusUnprocessableEntity, "errors.missingReferenceData")
}

// TestDataRoomCreatesOnlyItsClients: a caller with ClientCreate and a data room creates only the
// clients its room names (API.md section 2).
func TestDataRoomCreatesOnlyItsClients(t *testing.T) {
	t.Parallel()
	s := startService(t)
	mine, theirs := uid("room-mine"), uid("room-theirs")
	api := s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{mine}}))
	for _, body := range []client.ClientCreate{{ExtID: theirs, Name: theirs}, {Name: uid("room-generated")}} {
		api.CreateClient(t, body).WantProblem(t, http.StatusForbidden, "errors.dataroomPermissionDenied")
	}
	s.root(t).GetClient(t, theirs).WantStatus(t, http.StatusNotFound)
	api.CreateClient(t, client.ClientCreate{ExtID: mine, Name: mine}).Want(t, http.StatusCreated)
}

// TestPrintedCardNegotiation: the PDF only when Accept prefers it; q=0 excludes it, and media
// types compare case-insensitively (RFC 9110).
func TestPrintedCardNegotiation(t *testing.T) {
	t.Parallel()
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
		r := s.root(t).ReplaceCard(t, f.CardKey, client.CredentialReplace{}, client.Header("Accept", accept))
		r.WantStatus(t, http.StatusOK)
		if got, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); got != want {
			t.Errorf("Accept %q: got %s, want %s", accept, got, want)
		}
	}
}

// TestOverlongHeadersAreProblems: a header block over the service's limit gets 431 as
// problem+json, like every error (API.md section 1).
func TestOverlongHeadersAreProblems(t *testing.T) {
	t.Parallel()
	s := startService(t)
	s.root(t).ListClients(t, client.Page{}, client.Header("X-Padding", strings.Repeat("a", 40<<10))).
		WantProblem(t, http.StatusRequestHeaderFieldsTooLarge, "errors.invalidData")
	s.root(t).ListClients(t, client.Page{}, client.Header("X-Padding", strings.Repeat("a", 8<<10))).Want(t, http.StatusOK)
}

// TestHeadOnEveryGetRoute: HEAD answers every GET route with the GET's status and headers and no
// body (API.md section 1); both answers are held to openapi.json.
func TestHeadOnEveryGetRoute(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "head")
	policy := client.PolicyKey{Client: f.Client, Policy: s.cardSnapshot(t, f).PolicyExtID}
	paths := []string{"/healthz", "/readyz", "/openapi.json", "/metrics", client.ClientsPath, client.ClientPath(f.Client),
		client.UserListPath(f.Client), client.PolicyListPath(f.Client), policy.Path(), f.UserKey().Path(), f.UserKey().CardsPath(), f.Path(),
		client.AuditPath, client.ClientPath("nope")}
	for _, path := range paths {
		for _, api := range []*client.API{s.root(t), s.api} {
			get := api.Do(t, client.Request{Method: "GET", Path: path})
			head := api.Head(t, path)
			if head.Status != get.Status || len(head.Body) != 0 || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
				t.Errorf("HEAD %s: got %d %q with %d bytes, want %d %q without a body",
					path, head.Status, head.Header.Get("Content-Type"), len(head.Body), get.Status, get.Header.Get("Content-Type"))
			}
			if head.Status == http.StatusMethodNotAllowed {
				t.Errorf("HEAD %s: 405", path)
			}
		}
	}
}
