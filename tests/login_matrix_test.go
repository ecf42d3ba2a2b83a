package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// TestChallengeMatrix covers POST .../otp/challenge: authentication, rights, data room, unknown
// ids and unusable cards.
func TestChallengeMatrix(t *testing.T) {
	s := startService(t)
	post := func(tok func(t *testing.T, f fixture) string, path func(f fixture) string) func(t *testing.T, f fixture) request {
		return func(t *testing.T, f fixture) request {
			r := request{method: "POST", path: s.challengePath(f)}
			if path != nil {
				r.path = path(f)
			}
			if tok != nil {
				r.bearer = tok(t, f)
			}
			return r
		}
	}
	root := func(t *testing.T, _ fixture) string { return rootToken(t) }
	// in brings the card to a state through the API first.
	in := func(start cardStart) func(t *testing.T, f fixture) string {
		return func(t *testing.T, f fixture) string {
			start(t, s.bind(t), f)
			return rootToken(t)
		}
	}
	cases := []mcase{
		{"no token", post(nil, nil), 401, "errors.notAuthenticated", nil},
		{"bad signature", post(func(t *testing.T, _ fixture) string { return wrongSecretToken(t) }, nil), 401, "errors.notAuthenticated", nil},
		{"expired", post(func(t *testing.T, _ fixture) string {
			return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Now: time.Now().Add(-3 * time.Hour)})
		}, nil), 401, "errors.notAuthenticated", nil},
		{"without CredentialView", post(func(t *testing.T, _ fixture) string { return permsToken(t, "CredentialChangeState") }, nil),
			403, "errors.permissionDenied", nil},
		{"self-admin owner", func(t *testing.T, f fixture) request {
			return request{method: "POST", path: s.challengePath(f), xToken: selfToken(t, f.user, 0)}
		}, 403, "errors.permissionDenied", nil},
		{"outside the data room", post(func(t *testing.T, _ fixture) string {
			return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"elsewhere"}, HasClients: true})
		}, nil), 403, "errors.dataroomPermissionDenied", nil},
		{"unknown client", post(root, func(f fixture) string { return authPath + "/nobody/users/" + f.user + "/otp/challenge" }),
			404, "errors.noRecord", nil},
		{"unknown user", post(root, func(f fixture) string { return authPath + "/" + f.client + "/users/nobody/otp/challenge" }),
			404, "errors.noRecord", nil},
		{"malformed user id", post(root, func(f fixture) string {
			return authPath + "/" + f.client + "/users/" + strings.Repeat("u", 65) + "/otp/challenge"
		}),
			400, "errors.invalidData", nil},
		{"disabled card", post(in(toDisabled), nil), 403, "errors.credentialNotUsable", nil},
		{"archived card", post(in(toArchived), nil), 403, "errors.credentialNotUsable", nil},
		{"expired card", post(in(toExpired), nil), 403, "errors.credentialNotUsable", nil},
		{"fail-locked card", post(in(toFailLocked), nil), 423, "errors.credentialLocked", nil},
		{"tmp-locked card", post(in(toTmpLocked), nil), 423, "errors.credentialLocked", nil},
		{"tmp-lock that has ended", post(in(toLapsedTmpLocked), nil),
			200, "", func(t *testing.T, r response, f fixture) {
				if got := r.json(t)["status"]; got != "active" {
					t.Errorf("status after the lock ended: got %v, want active", got)
				}
			}},
		{"Helpdesk", post(func(t *testing.T, _ fixture) string { return roleToken(t, "Helpdesk") }, nil), 200, "", nil},
		{"CredentialView only", post(func(t *testing.T, _ fixture) string { return permsToken(t, "CredentialView") }, nil), 200, "", nil},
	}
	runMatrix(t, s, "ch", nil, cases)

	t.Run("user without a card", func(t *testing.T) {
		ss := s.bind(t)
		f := ss.newFixture(t, "nocard")
		mustStatus(t, ss.do(request{method: "DELETE", path: ss.cardPath(f), bearer: rootToken(t)}), http.StatusNoContent)
		expectProblem(t, ss.do(request{method: "POST", path: ss.challengePath(f), bearer: rootToken(t)}), 404, "errors.noRecord")
	})
	t.Run("newest usable card is asked", func(t *testing.T) {
		ss := s.bind(t)
		f := ss.newFixture(t, "two")
		tok := rootToken(t)
		r := ss.do(request{method: "POST", path: ss.cardsPath(f), bearer: tok, body: map[string]any{"extId": uid("two-newer"), "stateName": "disabled"}})
		mustStatus(t, r, http.StatusCreated)
		r = ss.do(request{method: "POST", path: ss.challengePath(f), bearer: tok})
		mustStatus(t, r, http.StatusOK)
		if got := r.json(t)["credentialExtId"]; got != f.card {
			t.Errorf("challenged card: got %v, want the usable %s, not the newer disabled one", got, f.card)
		}
	})
}

// TestLoginMatrix covers POST .../otp/login: authentication, rights, bodies and states.
func TestLoginMatrix(t *testing.T) {
	s := startService(t)
	withChallenge := func(t *testing.T, f fixture) string {
		return s.bind(t).challenge(t, f, rootToken(t))
	}
	login := func(tok func(t *testing.T) string, body any, contentType string) func(t *testing.T, f fixture) request {
		return func(t *testing.T, f fixture) request {
			label := withChallenge(t, f)
			if body == nil {
				body = map[string]any{"challenge": label, "password": "0000"}
			}
			r := request{method: "POST", path: s.loginPath(f), body: body, contentType: contentType}
			if tok != nil {
				r.bearer = tok(t)
			}
			return r
		}
	}
	root := func(t *testing.T) string { return rootToken(t) }
	cases := []mcase{
		{"no token", login(nil, nil, ""), 401, "errors.notAuthenticated", nil},
		{"alg none", login(func(t *testing.T) string { return algNoneToken(t, claimsFor("x", "Root")) }, nil, ""), 401, "errors.notAuthenticated", nil},
		{"CredentialView only", login(func(t *testing.T) string { return permsToken(t, "CredentialView") }, nil, ""), 403, "errors.permissionDenied", nil},
		{"Auditor", login(func(t *testing.T) string { return roleToken(t, "Auditor") }, nil, ""), 403, "errors.permissionDenied", nil},
		{"outside the data room", login(func(t *testing.T) string {
			return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"elsewhere"}, HasClients: true})
		}, nil, ""), 403, "errors.dataroomPermissionDenied", nil},
		{"malformed JSON", login(root, `{"challenge":`, ""), 400, "errors.invalidData", nil},
		{"unknown member", login(root, map[string]any{"challenge": "001", "password": "x", "otp": "y"}, ""), 400, "errors.invalidData", nil},
		{"password of the wrong type", login(root, map[string]any{"challenge": "001", "password": 1234}, ""), 400, "errors.invalidData", nil},
		{"wrong content type", login(root, `{"challenge":"001","password":"x"}`, "text/plain"), 415, "errors.unsupportedMediaType", nil},
		{"oversized body", login(root, map[string]any{"challenge": "001", "password": strings.Repeat("x", 70<<10)}, ""), 413, "errors.payloadTooLarge", nil},
		{"no outstanding challenge", func(t *testing.T, f fixture) request {
			return request{method: "POST", path: s.loginPath(f), bearer: rootToken(t), body: map[string]any{"challenge": "001", "password": "0000"}}
		}, 422, "errors.noChallenge", nil},
		{"wrong label counts as a failure", func(t *testing.T, f fixture) request {
			label := withChallenge(t, f)
			other := "001"
			if label == other {
				other = "002"
			}
			return request{method: "POST", path: s.loginPath(f), bearer: rootToken(t),
				body: map[string]any{"challenge": other, "password": answer(t, f.cells, other)}}
		}, 200, "", func(t *testing.T, r response, f fixture) {
			if got := statusCodeOf(t, r); got == 5 {
				t.Errorf("statusCode: got 5 for the cell of another label, want a failure")
			}
		}},
		{"updateLoginInfoOnSuccess false", func(t *testing.T, f fixture) request {
			label := withChallenge(t, f)
			return request{method: "POST", path: s.loginPath(f), bearer: roleToken(t, "Helpdesk"),
				body: map[string]any{"challenge": label, "password": answer(t, f.cells, label), "updateLoginInfoOnSuccess": false}}
		}, 200, "", func(t *testing.T, r response, f fixture) {
			m := r.json(t)
			if statusCodeOf(t, r) != 5 || m["successfulLoginCount"] != float64(0) || m["lastSuccessfulLoginDate"] != nil || m["stateName"] != "active" {
				t.Errorf("login without login info: got %v, want statusCode 5, no count or date, state active", m)
			}
		}},
	}
	runMatrix(t, s, "lg", nil, cases)

	t.Run("the answer never shows in errors or logs", func(t *testing.T) {
		ss := s.bind(t)
		f := ss.newFixture(t, "leak")
		r := ss.do(request{method: "POST", path: ss.loginPath(f), bearer: rootToken(t),
			body: map[string]any{"challenge": "001", "password": f.cells[0]}})
		expectProblem(t, r, 422, "errors.noChallenge")
		noSecrets(t, r, f.cells[0])
	})
}
