package tests

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// TestReplaceMatrix is the negative matrix of POST .../otp-credentials/{extId}/replace (API.md
// sections 1, 1.1, 2 and 4.1). Every row gets a fresh client, user and card.
func TestReplaceMatrix(t *testing.T) {
	s := startService(t)

	// rq is the replace request of f with an empty object body, changed by mods.
	rq := func(mods ...func(*request)) func(*testing.T, fixture) request {
		return func(_ *testing.T, f fixture) request {
			r := request{method: "POST", path: s.replacePath(f), body: map[string]any{}}
			for _, m := range mods {
				m(&r)
			}
			return r
		}
	}
	// as sends the replace with an admin token made for the row.
	as := func(tok func(t *testing.T, f fixture) string) func(*testing.T, fixture) request {
		return func(t *testing.T, f fixture) request {
			r := rq()(t, f)
			r.bearer = tok(t, f)
			return r
		}
	}
	// self sends the replace with an X-Token made for the row.
	self := func(tok func(t *testing.T, f fixture) string) func(*testing.T, fixture) request {
		return func(t *testing.T, f fixture) request {
			r := rq()(t, f)
			r.xToken = tok(t, f)
			return r
		}
	}
	fixed := func(tok func(t *testing.T) string) func(*testing.T, fixture) string {
		return func(t *testing.T, _ fixture) string { return tok(t) }
	}

	t.Run("401 notAuthenticated", func(t *testing.T) {
		details := map[string]string{}
		unauth := func(name string, invalid bool, req func(*testing.T, fixture) request) mcase {
			return mcase{name: name, req: req, status: 401, code: "errors.notAuthenticated",
				check: func(t *testing.T, r response, _ fixture) {
					www := r.header.Get("WWW-Authenticate")
					if !strings.HasPrefix(www, "Bearer") {
						t.Errorf("WWW-Authenticate: got %q, want Bearer ...", www)
					}
					if invalid && !strings.Contains(www, `error="invalid_token"`) {
						t.Errorf("WWW-Authenticate: got %q, want error=\"invalid_token\"", www)
					}
					details[name] = r.json(t)["detail"].(string)
					if !invalid && strings.Contains(www, "error=") { // RFC 6750 section 3.1: no bearer token, no error code
						t.Errorf("WWW-Authenticate: got %q, want no error code without a bearer token", www)
					}
				}}
		}
		ownerClaims := func(f fixture) jwt.MapClaims { return claimsFor(f.user) }
		cases := []mcase{
			unauth("no token", false, rq()),
			unauth("Basic credentials", false, rq(func(r *request) {
				r.headers = map[string]string{"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}
			})),
			unauth("empty Bearer", true, rq(func(r *request) { r.headers = map[string]string{"Authorization": "Bearer"} })),
			unauth("bad signature", true, as(fixed(wrongSecretToken))),
			unauth("expired", true, as(fixed(func(t *testing.T) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Now: time.Now().Add(-2 * time.Hour), TTL: time.Hour})
			}))),
			unauth("not yet valid", true, as(fixed(func(t *testing.T) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Now: time.Now().Add(2 * time.Hour)})
			}))),
			unauth("alg none", true, as(fixed(func(t *testing.T) string { return algNoneToken(t, claimsFor("tester", "Root")) }))),
			unauth("alg none as X-Token", true, self(func(t *testing.T, f fixture) string { return algNoneToken(t, ownerClaims(f)) })),
			unauth("HS384 outside the allowlist", true, as(fixed(func(t *testing.T) string {
				return craftToken(t, jwt.SigningMethodHS384, []byte(testSecret), nil, claimsFor("tester", "Root"))
			}))),
			unauth("jku header", true, as(fixed(func(t *testing.T) string {
				return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret),
					map[string]any{"jku": "https://attacker.example/jwks.json"}, claimsFor("tester", "Root"))
			}))),
			unauth("jwk header", true, as(fixed(func(t *testing.T) string {
				return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret),
					map[string]any{"jwk": map[string]any{"kty": "oct", "k": "AAAA"}}, claimsFor("tester", "Root"))
			}))),
			unauth("no exp", true, as(fixed(func(t *testing.T) string {
				c := claimsFor("tester", "Root")
				delete(c, "exp")
				return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
			}))),
			unauth("no sub", true, as(fixed(func(t *testing.T) string {
				c := claimsFor("tester", "Root")
				delete(c, "sub")
				return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
			}))),
			unauth("wrong issuer", true, as(fixed(func(t *testing.T) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Issuer: "someone-else"})
			}))),
			unauth("wrong audience", true, as(fixed(func(t *testing.T) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Audience: "another-service"})
			}))),
			unauth("garbage", true, as(fixed(func(*testing.T) string { return "not-a-jwt" }))),
			unauth("three garbage parts", true, as(fixed(func(*testing.T) string { return "e30.e30.AAAA" }))),
			unauth("garbage X-Token", true, self(func(*testing.T, fixture) string { return "not-a-jwt" })),
			unauth("expired X-Token of the owner", true, self(func(t *testing.T, f fixture) string {
				return token(t, jwtauth.MintOptions{Subject: f.user, Now: time.Now().Add(-2 * time.Hour), TTL: time.Hour})
			})),
		}
		runMatrix(t, s, "ra", nil, cases)
		want := "" // the body must not say which check failed
		for name, d := range details {
			if want == "" {
				want = d
			} else if d != want {
				t.Errorf("detail of %q: got %q, want %q like every other 401", name, d, want)
			}
		}
	})

	t.Run("403 and step-up", func(t *testing.T) {
		var otherDetail, ghostDetail string
		other := func(ghost bool) func(*testing.T, fixture) request {
			return func(t *testing.T, f fixture) request {
				var victim fixture
				if ghost {
					victim = f
					victim.user = "ghost-" + f.user
				} else {
					victim = s.bind(t).newFixture(t, "vic-"+f.user)
				}
				r := request{method: "POST", path: s.replacePath(victim), body: map[string]any{}}
				r.xToken = selfToken(t, f.user, 0)
				return r
			}
		}
		remember := func(dst *string) func(*testing.T, response, fixture) {
			return func(t *testing.T, r response, _ fixture) { *dst = r.json(t)["detail"].(string) }
		}
		stale := func(t *testing.T, r response, _ fixture) {
			www := r.header.Get("WWW-Authenticate")
			for _, want := range []string{"Bearer", `error="insufficient_user_authentication"`, "max_age=900"} {
				if !strings.Contains(www, want) {
					t.Errorf("WWW-Authenticate: got %q, want it to contain %s", www, want)
				}
			}
		}
		replaced := func(t *testing.T, r response, f fixture) {
			m := r.json(t)
			if got := m["version"]; got != f.version+1 {
				t.Errorf("version: got %v, want %v", got, f.version+1)
			}
			if !defaultOTP.MatchString(m["otp"].(string)) {
				t.Errorf("otp: got %q, want a new card in clear", m["otp"])
			}
		}
		deny, room := "errors.permissionDenied", "errors.dataroomPermissionDenied"
		cases := []mcase{
			{"CredentialModify only", as(fixed(func(t *testing.T) string { return permsToken(t, "CredentialModify") })), 403, deny, nil},
			{"CredentialView only", as(fixed(func(t *testing.T) string { return permsToken(t, "CredentialView") })), 403, deny, nil},
			{"unprefixed rights ignored", as(fixed(func(t *testing.T) string {
				return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, func() jwt.MapClaims {
					c := claimsFor("tester")
					c["permissions"] = []string{"CredentialModify", "CredentialView"}
					return c
				}())
			})), 403, deny, nil},
			{"Auditor role", as(fixed(func(t *testing.T) string { return roleToken(t, "Auditor") })), 403, deny, nil},
			{"unknown role", as(fixed(func(t *testing.T) string { return roleToken(t, "Superuser") })), 403, deny, nil},
			{"Root token sent as X-Token", self(func(t *testing.T, _ fixture) string { return rootToken(t) }), 403, deny, nil},
			{"self-admin on another user's card", other(false), 403, deny, remember(&otherDetail)},
			{"self-admin naming a user that does not exist", other(true), 403, deny, remember(&ghostDetail)},
			{"stale self-admin on another user's card", func(t *testing.T, f fixture) request {
				r := other(false)(t, f)
				r.xToken = selfToken(t, f.user, 20*time.Minute)
				return r
			}, 403, deny, nil},
			{"Root outside the data room", as(fixed(func(t *testing.T) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"other"}, HasClients: true})
			})), 403, room, nil},
			{"Root with an empty data room", as(fixed(func(t *testing.T) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, HasClients: true})
			})), 403, room, nil},
			{"data room and unknown client", func(t *testing.T, f fixture) request {
				r := rq()(t, f)
				r.path = strings.Replace(r.path, f.client, "nobody-client", 1)
				r.bearer = token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{f.client}})
				return r
			}, 403, room, nil},
			{"stale self-admin owner (20 min)", self(func(t *testing.T, f fixture) string { return selfToken(t, f.user, 20*time.Minute) }),
				401, "errors.reauthenticationRequired", stale},
			{"self-admin owner without auth_time, iat 20 min ago", self(func(t *testing.T, f fixture) string {
				c := claimsFor(f.user)
				c["iat"], c["nbf"] = time.Now().Add(-20*time.Minute).Unix(), time.Now().Add(-20*time.Minute).Unix()
				return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
			}), 401, "errors.reauthenticationRequired", stale},
			{"Basic Authorization beside a fresh owner X-Token", func(t *testing.T, f fixture) request {
				r := self(func(t *testing.T, f fixture) string { return selfToken(t, f.user, 0) })(t, f)
				r.headers = map[string]string{"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}
				return r
			}, 200, "", replaced},
			{"fresh self-admin owner", self(func(t *testing.T, f fixture) string { return selfToken(t, f.user, 0) }), 200, "", replaced},
			{"self-admin owner 14 min ago", self(func(t *testing.T, f fixture) string { return selfToken(t, f.user, 14*time.Minute) }), 200, "", replaced},
			{"CredentialModify and CredentialView", as(fixed(func(t *testing.T) string {
				return permsToken(t, "CredentialModify", "AccessControl.CredentialView")
			})), 200, "", replaced},
			{"Helpdesk", as(fixed(func(t *testing.T) string { return roleToken(t, "Helpdesk") })), 200, "", replaced},
			{"Root inside its data room", as(func(t *testing.T, f fixture) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"other", f.client}})
			}), 200, "", replaced},
		}
		runMatrix(t, s, "rp", nil, cases)
		if otherDetail != ghostDetail {
			t.Errorf("self-admin detail for a user that does not exist: got %q, want %q as for an existing one", ghostDetail, otherDetail)
		}
	})

	t.Run("404 noRecord", func(t *testing.T) {
		path := func(edit func(t *testing.T, f fixture) fixture) func(*testing.T, fixture) request {
			return func(t *testing.T, f fixture) request {
				return request{method: "POST", path: s.replacePath(edit(t, f)), bearer: rootToken(t), body: map[string]any{}}
			}
		}
		var bCard fixture
		cases := []mcase{
			{"unknown client", path(func(_ *testing.T, f fixture) fixture { f.client = "unknown-client"; return f }), 404, "errors.noRecord", nil},
			{"unknown user", path(func(_ *testing.T, f fixture) fixture { f.user = "unknown-user"; return f }), 404, "errors.noRecord", nil},
			{"unknown credential", path(func(_ *testing.T, f fixture) fixture { f.card = "unknown-card"; return f }), 404, "errors.noRecord", nil},
			{"card of another user of the client", path(func(t *testing.T, f fixture) fixture {
				bCard = f
				bCard.user, bCard.card = f.user+"-b", f.card+"-b"
				mustStatus(t, s.bind(t).do(request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: rootToken(t),
					body: map[string]any{"extId": bCard.user, "loginId": bCard.user}}), 201)
				mustStatus(t, s.bind(t).do(request{method: "POST", path: s.cardsPath(bCard), bearer: rootToken(t),
					body: map[string]any{"extId": bCard.card}}), 201)
				f.card = bCard.card // user A's path, user B's card
				return f
			}), 404, "errors.noRecord", func(t *testing.T, _ response, _ fixture) {
				if got := s.bind(t).cardSnapshot(t, bCard)["version"]; got != float64(1) {
					t.Errorf("user B's card version: got %v, want 1", got)
				}
			}},
			{"card under the wrong client", path(func(t *testing.T, f fixture) fixture {
				g := s.bind(t).newFixture(t, "wc-"+f.client)
				f.client = g.client
				return f
			}), 404, "errors.noRecord", nil},
			{"user under the wrong client", path(func(t *testing.T, f fixture) fixture {
				g := s.bind(t).newFixture(t, "wu-"+f.client)
				f.client, f.card = g.client, g.card
				return f
			}), 404, "errors.noRecord", nil},
		}
		runMatrix(t, s, "rn", nil, cases)
	})

	t.Run("409 stale version", func(t *testing.T) {
		conflict := func(v any, replaceFirst bool) func(*testing.T, fixture) request {
			return func(t *testing.T, f fixture) request {
				if replaceFirst {
					mustStatus(t, s.bind(t).do(request{method: "POST", path: s.replacePath(f), bearer: rootToken(t), body: map[string]any{}}), 200)
				}
				return request{method: "POST", path: s.replacePath(f), bearer: rootToken(t),
					body: map[string]any{"version": v, "modificationComment": "must not be stored"}}
			}
		}
		ok := func(t *testing.T, r response, f fixture) {
			if got := r.json(t)["version"]; got != f.version+1 {
				t.Errorf("version: got %v, want %v", got, f.version+1)
			}
		}
		lock := "errors.optimisticLockingFailure"
		cases := []mcase{
			{"number 0", conflict(0, false), 409, lock, nil},
			{"string 0", conflict("0", false), 409, lock, nil},
			{"future version 2", conflict(2, false), 409, lock, nil},
			{"int32 max", conflict(2147483647, false), 409, lock, nil},
			{"negative", conflict(-1, false), 409, lock, nil},
			{"negative as a string", conflict("-1", false), 400, "errors.invalidData", nil},
			{"signed string", conflict("+1", false), 400, "errors.invalidData", nil},
			{"old version after a replace (number)", conflict(1, true), 409, lock, nil},
			{"old version after a replace (string)", conflict("1", true), 409, lock, nil},
			{"stale version on an archived card", func(t *testing.T, f fixture) request {
				toArchived(t, s.bind(t), f)
				return conflict(0, false)(t, f)
			}, 409, lock, nil},
			{"current version as number", rq(func(r *request) { r.bearer = rootToken(t); r.body = map[string]any{"version": 1} }), 200, "", ok},
			{"current version as string", rq(func(r *request) { r.bearer = rootToken(t); r.body = `{"version":"1"}` }), 200, "", ok},
		}
		runMatrix(t, s, "rv", nil, cases)
	})

	t.Run("400 415 413 422 bodies", func(t *testing.T) {
		body := func(b any, ct string) func(*testing.T, fixture) request {
			return rq(func(r *request) { r.bearer = rootToken(t); r.body = b; r.contentType = ct })
		}
		id := func(edit func(f *fixture)) func(*testing.T, fixture) request {
			return func(t *testing.T, f fixture) request {
				edit(&f)
				return request{method: "POST", path: s.replacePath(f), bearer: rootToken(t), body: map[string]any{}}
			}
		}
		bad, mt := "errors.invalidData", "errors.unsupportedMediaType"
		long := strings.Repeat("x", 70*1024)
		cases := []mcase{
			{"malformed JSON", body(`{"version":`, ""), 400, bad, nil},
			{"unknown member", body(`{"foo":1}`, ""), 400, bad, nil},
			{"unknown member beside known ones", body(`{"version":1,"stateName":"active"}`, ""), 400, bad, nil},
			{"version 1.5", body(`{"version":1.5}`, ""), 400, bad, nil},
			{"version abc", body(`{"version":"abc"}`, ""), 400, bad, nil},
			{"version true", body(`{"version":true}`, ""), 400, bad, nil},
			{"version null", body(`{"version":null}`, ""), 400, bad, nil},
			{"version [1]", body(`{"version":[1]}`, ""), 400, bad, nil},
			{"version object", body(`{"version":{}}`, ""), 400, bad, nil},
			{"version beyond int32", body(`{"version":2147483648}`, ""), 400, bad, nil},
			{"version 1e0", body(`{"version":"1e0"}`, ""), 400, bad, nil},
			{"comment of wrong type", body(`{"modificationComment":5}`, ""), 400, bad, nil},
			{"comment with a NUL character", body(`{"modificationComment":"a\u0000b"}`, ""), 400, bad, nil},
			{"JSON array body", body(`[{}]`, ""), 400, bad, nil},
			{"JSON string body", body(`"x"`, ""), 400, bad, nil},
			{"trailing data", body(`{} {}`, ""), 400, bad, nil},
			{"whitespace body", body(`   `, ""), 400, bad, nil},
			{"no body, no Content-Type", rq(func(r *request) { r.bearer = rootToken(t); r.body = nil }), 400, bad, nil},
			{"comment of 1025 characters", body(map[string]any{"modificationComment": strings.Repeat("é", 1025)}, ""), 400, bad, nil},
			{"extId with a space", id(func(f *fixture) { f.card = "bad%20id" }), 400, bad, nil},
			{"extId of 65 characters", id(func(f *fixture) { f.card = strings.Repeat("c", 65) }), 400, bad, nil},
			{"userExtId with a bad character", id(func(f *fixture) { f.user = "us%24er" }), 400, bad, nil},
			{"clientExtId of 65 characters", id(func(f *fixture) { f.client = strings.Repeat("k", 65) }), 400, bad, nil},
			{"text/plain", body(`{}`, "text/plain"), 415, mt, nil},
			{"form", body(`version=1`, "application/x-www-form-urlencoded"), 415, mt, nil},
			{"application/jsonx", body(`{}`, "application/jsonx"), 415, mt, nil},
			{"empty Content-Type", rq(func(r *request) {
				r.bearer, r.body, r.headers = rootToken(t), `{}`, map[string]string{"Content-Type": ""}
			}), 415, mt, nil},
			{"70 KiB body", body(map[string]any{"modificationComment": long}, ""), 413, "errors.payloadTooLarge", nil},
			{"archived credential", func(t *testing.T, f fixture) request {
				toArchived(t, s.bind(t), f) // version 2
				return request{method: "POST", path: s.replacePath(f), bearer: rootToken(t), body: map[string]any{"version": 2}}
			}, 422, "errors.modifyReadonlyData", nil},
			{"comment of 1024 characters", body(map[string]any{"modificationComment": strings.Repeat("é", 1024)}, ""), 200, "", nil},
			{"JSON with charset", body(`{}`, "application/json; charset=utf-8"), 200, "", nil},
		}
		runMatrix(t, s, "rb", nil, cases)
	})

	t.Run("admin sub with a NUL character is no 500", func(t *testing.T) {
		ss := s.bind(t)
		f := ss.newFixture(t, "rsub")
		r := ss.do(request{method: "POST", path: s.replacePath(f), body: map[string]any{},
			bearer: token(t, jwtauth.MintOptions{Subject: "ad\x00min", Roles: []string{"Root"}})})
		if r.status != http.StatusUnauthorized {
			t.Errorf("status: got %d, want 401 (sub refused); body %s", r.status, r.body)
		}
	})

	t.Run("unsized bodies", func(t *testing.T) {
		ss := s.bind(t)
		f := ss.newFixture(t, "rchunk")
		hdr := map[string]string{"Authorization": "Bearer " + rootToken(t), "Content-Type": "application/json"}
		big := io.MultiReader(strings.NewReader(`{"modificationComment":"`), strings.NewReader(strings.Repeat("y", 70*1024)),
			strings.NewReader(`"}`))
		r, err := rawDo(ss, "POST", s.replacePath(f), hdr, big)
		if err != nil && r.status == 0 {
			t.Fatalf("chunked 70 KiB: %v", err)
		}
		expectProblem(t, r, http.StatusRequestEntityTooLarge, "errors.payloadTooLarge")
		r, err = rawDo(ss, "POST", s.replacePath(f), hdr, io.MultiReader(strings.NewReader(`{}`)))
		if err != nil {
			t.Fatalf("chunked {}: %v", err)
		}
		mustStatus(t, r, http.StatusOK)
	})

	t.Run("405 methodNotAllowed", func(t *testing.T) {
		method := func(m string, replace bool) func(*testing.T, fixture) request {
			return func(t *testing.T, f fixture) request {
				p := s.cardPath(f)
				if replace {
					p = s.replacePath(f)
				}
				return request{method: m, path: p, bearer: rootToken(t)}
			}
		}
		allow := func(want ...string) func(*testing.T, response, fixture) {
			return func(t *testing.T, r response, _ fixture) {
				got := r.header.Get("Allow")
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("Allow: got %q, want it to list %s", got, w)
					}
				}
			}
		}
		f := s.bind(t).newFixture(t, "r405")
		runMatrix(t, s, "", &f, []mcase{
			{"GET replace", method("GET", true), 405, "errors.methodNotAllowed", allow("POST")},
			{"DELETE replace", method("DELETE", true), 405, "errors.methodNotAllowed", allow("POST")},
			{"PUT credential", method("PUT", false), 405, "errors.methodNotAllowed", allow("GET", "DELETE")},
			{"POST credential", method("POST", false), 405, "errors.methodNotAllowed", allow("GET", "DELETE")},
		})
	})
}
