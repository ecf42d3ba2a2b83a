package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

// challengeOf sends the challenge of the target's user.
func challengeOf(t *testing.T, api *client.API, f fixture) client.Response {
	return api.Challenge(t, f.UserKey()).Response
}

// TestChallengeMatrix covers POST .../otp/challenge: authentication, rights, data room, unknown
// ids and unusable cards.
func TestChallengeMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	// in brings the card to a state through the API first.
	in := func(start cardStart) func(*testing.T, *service, fixture) fixture {
		return func(t *testing.T, s *service, f fixture) fixture {
			start(t, s, f)
			return f
		}
	}
	runMatrix(t, s, "ch", nil, []row{
		{name: "no token", as: anonymous, send: challengeOf, status: 401, code: "errors.notAuthenticated"},
		{name: "without CredentialView", as: withRights("CredentialChangeState"), send: challengeOf, status: 403, code: "errors.permissionDenied"},
		{name: "self-admin owner", as: owner(0), send: challengeOf, status: 403, code: "errors.permissionDenied"},
		{name: "outside the data room", as: inRoom("elsewhere"), send: challengeOf, status: 403, code: "errors.dataroomPermissionDenied"},
		{name: "unknown client", given: edit(func(f *fixture) { f.Client = "nobody" }), send: challengeOf, status: 404, code: "errors.noRecord"},
		{name: "unknown user", given: edit(func(f *fixture) { f.User = "nobody" }), send: challengeOf, status: 404, code: "errors.noRecord"},
		{name: "malformed user id", given: edit(func(f *fixture) { f.User = strings.Repeat("u", 65) }), send: challengeOf, status: 400,
			code: "errors.invalidData"},
		{name: "disabled card", given: in(toDisabled), send: challengeOf, status: 403, code: "errors.credentialNotUsable"},
		{name: "archived card", given: in(toArchived), send: challengeOf, status: 403, code: "errors.credentialNotUsable"},
		{name: "expired card", given: in(toExpired), send: challengeOf, status: 403, code: "errors.credentialNotUsable"},
		{name: "fail-locked card", given: in(toFailLocked), send: challengeOf, status: 423, code: "errors.credentialLocked"},
		{name: "tmp-locked card", given: in(toTmpLocked), send: challengeOf, status: 423, code: "errors.credentialLocked"},
		{name: "tmp-lock that has ended", given: in(toLapsedTmpLocked), send: challengeOf, status: 200,
			check: func(t *testing.T, r client.Response, _ fixture) {
				if got := client.Decode[client.Challenge](t, r).Status; got != "active" {
					t.Errorf("status after the lock ended: got %v, want active", got)
				}
			}},
		{name: "Helpdesk", as: withRoles("Helpdesk"), send: challengeOf, status: 200},
		{name: "CredentialView only", as: withRights("CredentialView"), send: challengeOf, status: 200},
	})

	t.Run("user without a card", func(t *testing.T) {
		t.Parallel()
		f := s.newFixture(t, "nocard")
		api := s.root(t)
		api.DeleteCard(t, f.CardKey).Want(t, http.StatusNoContent)
		api.Challenge(t, f.UserKey()).WantProblem(t, 404, "errors.noRecord")
	})
	t.Run("newest usable card is asked", func(t *testing.T) {
		t.Parallel()
		f := s.newFixture(t, "two")
		api := s.root(t)
		api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: uid("two-newer"), StateName: "disabled"}).Want(t, http.StatusCreated)
		if got := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK).CredentialExtID; got != f.Card {
			t.Errorf("challenged card: got %v, want the usable %s, not the newer disabled one", got, f.Card)
		}
	})
}

// TestLoginMatrix covers POST .../otp/login: authentication, rights, bodies and states.
func TestLoginMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	// challenged asks a challenge of the card first, as Root.
	challenged := func(t *testing.T, s *service, f fixture) fixture {
		f.challenge = challenge(t, s.root(t), f.UserKey())
		return f
	}
	login := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.Login(t, f.UserKey(), client.LoginRequest{Challenge: f.challenge, Password: "0000"}).Response
	}
	loginBody := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("POST", func(f fixture) string { return f.UserKey().LoginPath() }, body, header...)
	}
	bad := "errors.invalidData"
	runMatrix(t, s, "lg", nil, []row{
		{name: "no token", given: challenged, as: anonymous, send: login, status: 401, code: "errors.notAuthenticated"},
		{name: "CredentialView only", given: challenged, as: withRights("CredentialView"), send: login, status: 403,
			code: "errors.permissionDenied"},
		{name: "Auditor", given: challenged, as: withRoles("Auditor"), send: login, status: 403, code: "errors.permissionDenied"},
		{name: "outside the data room", given: challenged, as: inRoom("elsewhere"), send: login, status: 403,
			code: "errors.dataroomPermissionDenied"},
		{name: "malformed JSON", given: challenged, send: loginBody(`{"challenge":`), status: 400, code: bad},
		{name: "unknown member", given: challenged, send: loginBody(`{"challenge":"001","password":"x","otp":"y"}`), status: 400, code: bad},
		{name: "password of the wrong type", given: challenged, send: loginBody(`{"challenge":"001","password":1234}`), status: 400, code: bad},
		{name: "wrong content type", given: challenged, send: loginBody(`{"challenge":"001","password":"x"}`, "Content-Type", "text/plain"),
			status: 415, code: "errors.unsupportedMediaType"},
		{name: "oversized body", given: challenged, send: func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.Login(t, f.UserKey(), client.LoginRequest{Challenge: "001", Password: strings.Repeat("x", 70<<10)}).Response
		}, status: 413, code: "errors.payloadTooLarge"},
		{name: "no outstanding challenge", send: func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.Login(t, f.UserKey(), client.LoginRequest{Challenge: "001", Password: "0000"}).Response
		}, status: 422, code: "errors.noChallenge"},
		{name: "wrong label counts as a failure", given: challenged, send: func(t *testing.T, api *client.API, f fixture) client.Response {
			other := "001"
			if f.challenge == other {
				other = "002"
			}
			return api.Login(t, f.UserKey(), client.LoginRequest{Challenge: other, Password: answer(t, f.cells, other)}).Response
		}, status: 200, check: func(t *testing.T, r client.Response, _ fixture) {
			if got := client.Decode[client.LoginResult](t, r).StatusCode; got == 5 {
				t.Errorf("statusCode: got 5 for the cell of another label, want a failure")
			}
		}},
		{name: "updateLoginInfoOnSuccess false", given: challenged, as: withRoles("Helpdesk"),
			send: func(t *testing.T, api *client.API, f fixture) client.Response {
				return api.Login(t, f.UserKey(), client.LoginRequest{Challenge: f.challenge, Password: answer(t, f.cells, f.challenge),
					UpdateLoginInfoOnSuccess: client.Ptr(false)}).Response
			}, status: 200, check: func(t *testing.T, r client.Response, _ fixture) {
				m, wire := client.Decode[client.LoginResult](t, r), r.JSON(t)
				if m.StatusCode != 5 || m.SuccessfulLoginCount != 0 || wire["lastSuccessfulLoginDate"] != nil || m.StateName != "active" {
					t.Errorf("login without login info: got %+v, want statusCode 5, no count or date, state active", m)
				}
			}},
	})

	t.Run("the answer never shows in errors or logs", func(t *testing.T) {
		t.Parallel()
		f := s.newFixture(t, "leak")
		r := s.root(t).Login(t, f.UserKey(), client.LoginRequest{Challenge: "001", Password: f.cells[0]})
		r.WantProblem(t, 422, "errors.noChallenge")
		r.WantNoSecrets(t, f.cells[0])
	})
}
