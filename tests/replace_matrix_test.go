package tests

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// replace sends the replace of the target's card with body.
func replace(body client.CredentialReplace) func(*testing.T, *client.API, fixture) client.Response {
	return func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.ReplaceCard(t, f.CardKey, body).Response
	}
}

// TestReplaceMatrix is the negative matrix of POST .../otp-credentials/{extId}/replace (API.md
// sections 1, 1.1, 2 and 4.1). Every row gets a fresh client, user and card.
func TestReplaceMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	plain := replace(client.CredentialReplace{})

	t.Run("403 and step-up", func(t *testing.T) {
		t.Parallel()
		var details remember
		// victim is another user's card under the caller's own path prefix: an existing user of
		// another fixture, or a user that does not exist.
		victim := func(ghost bool) func(*testing.T, *service, fixture) fixture {
			return func(t *testing.T, s *service, f fixture) fixture {
				if ghost {
					f.User = "ghost-" + f.User
					return f
				}
				return s.newFixture(t, "vic-"+f.User)
			}
		}
		stale := func(t *testing.T, r client.Response, _ fixture) {
			www := r.Header.Get("WWW-Authenticate")
			for _, want := range []string{"Bearer", `error="insufficient_user_authentication"`, "max_age=900"} {
				if !strings.Contains(www, want) {
					t.Errorf("WWW-Authenticate: got %q, want it to contain %s", www, want)
				}
			}
		}
		replaced := func(t *testing.T, r client.Response, f fixture) {
			m := client.Decode[client.Credential](t, r)
			if m.Version != f.version+1 {
				t.Errorf("version: got %v, want %v", m.Version, f.version+1)
			}
			if !defaultOTP.MatchString(m.OTP) {
				t.Errorf("otp: got %q, want a new card in clear", m.OTP)
			}
		}
		deny, room := "errors.permissionDenied", "errors.dataroomPermissionDenied"
		runMatrix(t, s, "rp", nil, []row{
			{name: "CredentialModify only", as: withRights("CredentialModify"), send: plain, status: 403, code: deny},
			{name: "CredentialView only", as: withRights("CredentialView"), send: plain, status: 403, code: deny},
			{name: "unprefixed rights ignored", as: withUnprefixedRights("CredentialModify", "CredentialView"), send: plain, status: 403,
				code: deny},
			{name: "Auditor role", as: withRoles("Auditor"), send: plain, status: 403, code: deny},
			{name: "unknown role", as: withRoles("Superuser"), send: plain, status: 403, code: deny},
			{name: "Root token sent as X-Token", as: xToken(fixed(rootToken)), send: plain, status: 403, code: deny},
			{name: "self-admin on another user's card", given: victim(false), as: owner(0), send: plain, status: 403, code: deny,
				check: details.detail("another user")},
			{name: "self-admin naming a user that does not exist", given: victim(true), as: owner(0), send: plain, status: 403,
				code: deny, check: details.detail("no such user")},
			{name: "stale self-admin on another user's card", given: victim(false), as: owner(20 * time.Minute), send: plain,
				status: 403, code: deny},
			{name: "Root outside the data room", as: inRoom("other"), send: plain, status: 403, code: room},
			{name: "Root with an empty data room", as: inRoom(), send: plain, status: 403, code: room},
			{name: "data room and unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }),
				as: bearer(func(t *testing.T, f fixture) string {
					return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{f.Client}})
				}), send: plain, status: 403, code: room},
			{name: "stale self-admin owner (20 min)", as: owner(20 * time.Minute), send: plain, status: 401,
				code: "errors.reauthenticationRequired", check: stale},
			{name: "self-admin owner without auth_time, iat 20 min ago", as: xToken(func(t *testing.T, f fixture) string {
				c := claimsFor(f.User)
				c["iat"], c["nbf"] = time.Now().Add(-20*time.Minute).Unix(), time.Now().Add(-20*time.Minute).Unix()
				return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
			}), send: plain, status: 401, code: "errors.reauthenticationRequired", check: stale},
			{name: "Basic Authorization beside a fresh owner X-Token", as: func(t *testing.T, s *service, f fixture) *client.API {
				return s.api.Self(selfToken(t, f.User, 0)).With("Authorization", "Basic dXNlcjpwYXNzd29yZA==")
			}, send: plain, status: 200, check: replaced},
			{name: "fresh self-admin owner", as: owner(0), send: plain, status: 200, check: replaced},
			{name: "self-admin owner 14 min ago", as: owner(14 * time.Minute), send: plain, status: 200, check: replaced},
			{name: "CredentialModify and CredentialView", as: withRights("CredentialModify", "AccessControl.CredentialView"),
				send: plain, status: 200, check: replaced},
			{name: "Helpdesk", as: withRoles("Helpdesk"), send: plain, status: 200, check: replaced},
			{name: "Root inside its data room", as: bearer(func(t *testing.T, f fixture) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"other", f.Client}})
			}), send: plain, status: 200, check: replaced},
		})
		details.same(t, "self-admin detail")
	})

	t.Run("404 noRecord", func(t *testing.T) {
		t.Parallel()
		none := "errors.noRecord"
		runMatrix(t, s, "rn", nil, append(unknownCardRows(plain, "wu-"), []row{
			{name: "card of another user of the client", given: func(t *testing.T, s *service, f fixture) fixture {
				b := s.addUser(t, f, f.User+"-b")
				f.Card = b.Card // user A's path, user B's card
				return f
			}, send: plain, status: 404, code: none, check: func(t *testing.T, _ client.Response, f fixture) {
				b := client.CardKey{Client: f.Client, User: f.User + "-b", Card: f.User + "-b-card"}
				if got := s.root(t).GetCard(t, b).Want(t, http.StatusOK).Version; got != 1 {
					t.Errorf("user B's card version: got %v, want 1", got)
				}
			}},
			{name: "card under the wrong client", given: func(t *testing.T, s *service, f fixture) fixture {
				f.Client = s.newFixture(t, "wc-"+f.Client).Client
				return f
			}, send: plain, status: 404, code: none},
		}...))
	})

	t.Run("409 stale version", func(t *testing.T) {
		t.Parallel()
		conflict := func(v any) func(*testing.T, *client.API, fixture) client.Response {
			return replace(client.CredentialReplace{Version: v, ModificationComment: "must not be stored"})
		}
		replacedFirst := func(t *testing.T, s *service, f fixture) fixture {
			s.root(t).ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
			return f
		}
		ok := func(t *testing.T, r client.Response, f fixture) {
			if got := client.Decode[client.Credential](t, r).Version; got != f.version+1 {
				t.Errorf("version: got %v, want %v", got, f.version+1)
			}
		}
		lock := "errors.optimisticLockingFailure"
		runMatrix(t, s, "rv", nil, append(staleVersionRows(conflict, replacedFirst, "a replace"), []row{
			{name: "int32 max", send: conflict(2147483647), status: 409, code: lock},
			{name: "stale version on an archived card", given: func(t *testing.T, s *service, f fixture) fixture {
				toArchived(t, s, f)
				return f
			}, send: conflict(0), status: 409, code: lock},
			{name: "current version as number", send: replace(client.CredentialReplace{Version: 1}), status: 200, check: ok},
			{name: "current version as string", send: raw("POST", fixture.ReplacePath, `{"version":"1"}`), status: 200, check: ok},
		}...))
	})

	t.Run("400 415 413 422 bodies", func(t *testing.T) {
		t.Parallel()
		bad, mt := "errors.invalidData", "errors.unsupportedMediaType"
		comment := func(n int) string { return fmt.Sprintf(`{"modificationComment":%q}`, strings.Repeat("é", n)) }
		runMatrix(t, s, "rb", nil, []row{
			{name: "malformed JSON", send: raw("POST", fixture.ReplacePath, `{"version":`), status: 400, code: bad},
			{name: "unknown member", send: raw("POST", fixture.ReplacePath, `{"foo":1}`), status: 400, code: bad},
			{name: "unknown member beside known ones", send: raw("POST", fixture.ReplacePath, `{"version":1,"stateName":"active"}`), status: 400, code: bad},
			{name: "version 1.5", send: raw("POST", fixture.ReplacePath, `{"version":1.5}`), status: 400, code: bad},
			{name: "version abc", send: raw("POST", fixture.ReplacePath, `{"version":"abc"}`), status: 400, code: bad},
			{name: "version true", send: raw("POST", fixture.ReplacePath, `{"version":true}`), status: 400, code: bad},
			{name: "version null", send: raw("POST", fixture.ReplacePath, `{"version":null}`), status: 400, code: bad},
			{name: "version [1]", send: raw("POST", fixture.ReplacePath, `{"version":[1]}`), status: 400, code: bad},
			{name: "version object", send: raw("POST", fixture.ReplacePath, `{"version":{}}`), status: 400, code: bad},
			{name: "version beyond int32", send: raw("POST", fixture.ReplacePath, `{"version":2147483648}`), status: 400, code: bad},
			{name: "version 1e0", send: raw("POST", fixture.ReplacePath, `{"version":"1e0"}`), status: 400, code: bad},
			{name: "comment of wrong type", send: raw("POST", fixture.ReplacePath, `{"modificationComment":5}`), status: 400, code: bad},
			{name: "comment with a NUL character", send: raw("POST", fixture.ReplacePath, `{"modificationComment":"a\u0000b"}`), status: 400, code: bad},
			{name: "JSON array body", send: raw("POST", fixture.ReplacePath, `[{}]`), status: 400, code: bad},
			{name: "JSON string body", send: raw("POST", fixture.ReplacePath, `"x"`), status: 400, code: bad},
			{name: "trailing data", send: raw("POST", fixture.ReplacePath, `{} {}`), status: 400, code: bad},
			{name: "whitespace body", send: raw("POST", fixture.ReplacePath, `   `), status: 400, code: bad},
			{name: "no body, no Content-Type", send: raw("POST", fixture.ReplacePath, ""), status: 400, code: bad},
			{name: "comment of 1025 characters", send: raw("POST", fixture.ReplacePath, comment(1025)), status: 400, code: bad},
			{name: "extId with a space", given: edit(func(f *fixture) { f.Card = "bad%20id" }), send: plain, status: 400, code: bad},
			{name: "extId of 65 characters", given: edit(func(f *fixture) { f.Card = strings.Repeat("c", 65) }), send: plain, status: 400, code: bad},
			{name: "userExtId with a bad character", given: edit(func(f *fixture) { f.User = "us%24er" }), send: plain, status: 400, code: bad},
			{name: "clientExtId of 65 characters", given: edit(func(f *fixture) { f.Client = strings.Repeat("k", 65) }), send: plain, status: 400, code: bad},
			{name: "text/plain", send: raw("POST", fixture.ReplacePath, `{}`, "Content-Type", "text/plain"), status: 415, code: mt},
			{name: "form", send: raw("POST", fixture.ReplacePath, `version=1`, "Content-Type", "application/x-www-form-urlencoded"), status: 415, code: mt},
			{name: "application/jsonx", send: raw("POST", fixture.ReplacePath, `{}`, "Content-Type", "application/jsonx"), status: 415, code: mt},
			{name: "empty Content-Type", send: raw("POST", fixture.ReplacePath, `{}`, "Content-Type", ""), status: 415, code: mt},
			{name: "70 KiB body", send: replace(client.CredentialReplace{ModificationComment: strings.Repeat("x", 70*1024)}), status: 413,
				code: "errors.payloadTooLarge"},
			{name: "archived credential", given: func(t *testing.T, s *service, f fixture) fixture {
				toArchived(t, s, f) // version 2
				return f
			}, send: replace(client.CredentialReplace{Version: 2}), status: 422, code: "errors.modifyReadonlyData"},
			{name: "comment of 1024 characters", send: raw("POST", fixture.ReplacePath, comment(1024)), status: 200},
			{name: "JSON with charset", send: raw("POST", fixture.ReplacePath, `{}`, "Content-Type", "application/json; charset=utf-8"), status: 200},
		})
	})

	t.Run("unsized bodies", func(t *testing.T) {
		t.Parallel()
		f := s.newFixture(t, "rchunk")
		api := s.root(t)
		big := io.MultiReader(strings.NewReader(`{"modificationComment":"`), strings.NewReader(strings.Repeat("y", 70*1024)),
			strings.NewReader(`"}`))
		r, err := api.Send(t, client.Request{Method: "POST", Path: f.ReplacePath(), Stream: big})
		if err != nil && r.Status == 0 {
			t.Fatalf("chunked 70 KiB: %v", err)
		}
		r.WantProblem(t, http.StatusRequestEntityTooLarge, "errors.payloadTooLarge")
		r, err = api.Send(t, client.Request{Method: "POST", Path: f.ReplacePath(), Stream: strings.NewReader(`{}`)})
		if err != nil {
			t.Fatalf("chunked {}: %v", err)
		}
		r.WantStatus(t, http.StatusOK)
	})

	t.Run("405 methodNotAllowed", func(t *testing.T) {
		t.Parallel()
		f := s.newFixture(t, "r405")
		allow := func(want ...string) func(*testing.T, client.Response, fixture) {
			return func(t *testing.T, r client.Response, _ fixture) {
				got := r.Header.Get("Allow")
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("Allow: got %q, want it to list %s", got, w)
					}
				}
			}
		}
		card, replacing := fixture.Path, fixture.ReplacePath
		runMatrix(t, s, "", &f, []row{
			{name: "GET replace", send: raw("GET", replacing, ""), status: 405, code: "errors.methodNotAllowed", check: allow("POST")},
			{name: "DELETE replace", send: raw("DELETE", replacing, ""), status: 405, code: "errors.methodNotAllowed", check: allow("POST")},
			{name: "PUT credential", send: raw("PUT", card, ""), status: 405, code: "errors.methodNotAllowed", check: allow("GET", "DELETE")},
			{name: "POST credential", send: raw("POST", card, ""), status: 405, code: "errors.methodNotAllowed", check: allow("GET", "DELETE")},
		})
	})
}
