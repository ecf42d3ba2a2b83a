package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// TestCardsMatrix is the negative matrix of creating, reading and deleting OTP credentials
// (API.md sections 2 and 4). Every row gets a fresh client, user and card.
func TestCardsMatrix(t *testing.T) {
	s := startService(t)

	// call builds a request on the fixture's cards (sub "" is the collection), with the token tok
	// sent as Bearer, or as X-Token when self is set, and the body.
	type call struct {
		method, sub string
		tok         func(t *testing.T, f fixture) string
		self        bool
		body        any
		ct          string
		edit        func(t *testing.T, f *fixture) // changes the path
	}
	mk := func(c call) func(*testing.T, fixture) request {
		return func(t *testing.T, f fixture) request {
			orig := f
			if c.edit != nil {
				c.edit(t, &f)
			}
			p := s.cardsPath(f)
			if c.sub != "" {
				p += "/" + strings.ReplaceAll(c.sub, "{card}", f.card)
			}
			r := request{method: c.method, path: p, body: c.body, contentType: c.ct}
			if c.tok == nil {
				c.tok = func(t *testing.T, _ fixture) string { return rootToken(t) }
			}
			if tok := c.tok(t, orig); c.self {
				r.xToken = tok
			} else {
				r.bearer = tok
			}
			return r
		}
	}
	perms := func(rights ...string) func(*testing.T, fixture) string {
		return func(t *testing.T, _ fixture) string { return permsToken(t, rights...) }
	}
	role := func(roles ...string) func(*testing.T, fixture) string {
		return func(t *testing.T, _ fixture) string { return roleToken(t, roles...) }
	}
	owner := func(age time.Duration) func(*testing.T, fixture) string {
		return func(t *testing.T, f fixture) string { return selfToken(t, f.user, age) }
	}
	outside := func(t *testing.T, _ fixture) string {
		return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"other"}})
	}
	garbage := func(*testing.T, fixture) string { return "garbage" }
	// Path edits.
	client := func(id string) func(*testing.T, *fixture) { return func(_ *testing.T, f *fixture) { f.client = id } }
	user := func(id string) func(*testing.T, *fixture) { return func(_ *testing.T, f *fixture) { f.user = id } }
	wrongClient := func(t *testing.T, f *fixture) { f.client = s.bind(t).newFixture(t, "x"+f.client).client }
	otherUser := func(t *testing.T, f *fixture) { // another user of f's client, who has no card
		f.user += "-b"
		mustStatus(t, s.bind(t).do(request{method: "POST", path: corePath + "/" + f.client + "/users",
			bearer: rootToken(t), body: map[string]any{"extId": f.user, "loginId": f.user}}), 201)
	}
	otherOwner := func(t *testing.T, f fixture) string { // a self-admin token of another existing user
		return selfToken(t, s.bind(t).newFixture(t, "o"+f.user).user, 0)
	}
	ghostOwner := func(t *testing.T, f *fixture) { f.user = "ghost-" + f.user }
	count := func(want int) func(*testing.T, response, fixture) {
		return func(t *testing.T, _ response, f fixture) {
			r := s.bind(t).do(request{method: "GET", path: s.cardsPath(f) + "?limit=1000", bearer: rootToken(t)})
			mustStatus(t, r, http.StatusOK)
			if n := len(r.json(t)["items"].([]any)); n != want {
				t.Errorf("cards of %s: got %d, want %d", f.user, n, want)
			}
		}
	}
	deny, room, none, bad := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.noRecord", "errors.invalidData"
	missing, readonly := "errors.missingReferenceData", "errors.modifyReadonlyData"

	t.Run("create", func(t *testing.T) {
		post := func(body any, c call) func(*testing.T, fixture) request {
			c.method, c.body = "POST", body
			return mk(c)
		}
		empty := map[string]any{}
		created := func(state string) func(*testing.T, response, fixture) {
			return func(t *testing.T, r response, f fixture) {
				m := r.json(t)
				if m["stateName"] != state || !defaultOTP.MatchString(m["otp"].(string)) {
					t.Errorf("created: got state %v otp %.20q, want %s with the card in clear", m["stateName"], m["otp"], state)
				}
				if got := r.header.Get("Location"); got != s.cardsPath(f)+"/"+m["extId"].(string) {
					t.Errorf("Location: got %q, want the new card's path", got)
				}
				count(2)(t, r, f)
			}
		}
		second := func(archiveFirst bool) func(*testing.T, *fixture) {
			return func(t *testing.T, f *fixture) {
				mustStatus(t, s.bind(t).do(request{method: "POST", path: s.cardsPath(*f), bearer: rootToken(t), body: empty}), 201)
				if archiveFirst {
					toArchived(t, s.bind(t), *f)
				}
			}
		}
		otherPolicy := func(t *testing.T, f fixture) request {
			g := s.bind(t).newFixture(t, "p"+f.client)
			pol := s.bind(t).cardSnapshot(t, g)["policyExtId"]
			return request{method: "POST", path: s.cardsPath(f), bearer: rootToken(t), body: map[string]any{"policyExtId": pol}}
		}
		otherCard := func(t *testing.T, f fixture) request {
			g := s.bind(t).newFixture(t, "d"+f.client)
			return request{method: "POST", path: s.cardsPath(f), bearer: rootToken(t), body: map[string]any{"extId": g.card}}
		}
		ownCard := func(t *testing.T, f fixture) request {
			return request{method: "POST", path: s.cardsPath(f), bearer: rootToken(t), body: map[string]any{"extId": f.card}}
		}
		three := []string{"CredentialCreate", "CredentialView", "PolicyConfigurationView"}
		cases := []mcase{
			{"no token", post(empty, call{tok: func(*testing.T, fixture) string { return "" }}), 401, "errors.notAuthenticated", count(1)},
			{"garbage token", post(empty, call{tok: garbage}), 401, "errors.notAuthenticated", count(1)},
			{"without PolicyConfigurationView", post(empty, call{tok: perms(three[0], three[1])}), 403, deny, count(1)},
			{"without CredentialView", post(empty, call{tok: perms(three[0], three[2])}), 403, deny, count(1)},
			{"without CredentialCreate", post(empty, call{tok: perms(three[1], three[2])}), 403, deny, count(1)},
			{"Helpdesk", post(empty, call{tok: role("Helpdesk")}), 403, deny, count(1)},
			{"self-admin owner", post(empty, call{tok: owner(0), self: true}), 403, deny, count(1)},
			{"outside the data room", post(empty, call{tok: outside}), 403, room, count(1)},
			{"unknown client", post(empty, call{edit: client("nobody-client")}), 404, none, nil},
			{"unknown user", post(empty, call{edit: user("nobody-user")}), 404, none, nil},
			{"user under the wrong client", post(empty, call{edit: wrongClient}), 404, none, count(1)},
			{"malformed JSON", post(`{"extId":`, call{}), 400, bad, count(1)},
			{"unknown member otp", post(map[string]any{"otp": "12|14|0|x"}, call{}), 400, bad, count(1)},
			{"unknown member version", post(map[string]any{"version": 1}, call{}), 400, bad, count(1)},
			{"extId with a space", post(map[string]any{"extId": "a b"}, call{}), 400, bad, count(1)},
			{"extId of 65 characters", post(map[string]any{"extId": strings.Repeat("e", 65)}, call{}), 400, bad, count(1)},
			{"stateName a number", post(`{"stateName":5}`, call{}), 400, bad, count(1)},
			{"JSON array", post(`[]`, call{}), 400, bad, count(1)},
			{"no body", post(nil, call{}), 400, bad, count(1)},
			{"bad user path id", post(empty, call{edit: user("a%20b")}), 400, bad, count(1)},
			{"text/plain", post(`{}`, call{ct: "text/plain"}), 415, "errors.unsupportedMediaType", count(1)},
			{"70 KiB", post(map[string]any{"extId": strings.Repeat("z", 70*1024)}, call{}), 413, "errors.payloadTooLarge", count(1)},
			{"policyExtId with a NUL character", post(`{"policyExtId":"p\u0000"}`, call{}), 400, bad, count(1)},
			{"unknown policyExtId", post(map[string]any{"policyExtId": "no-such-policy"}, call{}), 422, missing, count(1)},
			{"policy of another client", otherPolicy, 422, missing, count(1)},
			{"stateName bogus", post(map[string]any{"stateName": "bogus"}, call{}), 422, missing, count(1)},
			{"stateName archived", post(map[string]any{"stateName": "archived"}, call{}), 422, readonly, count(1)},
			{"stateName tmp-locked", post(map[string]any{"stateName": "tmp-locked"}, call{}), 422, readonly, count(1)},
			{"duplicate extId of the user's card", ownCard, 409, "errors.duplicateValue", count(1)},
			{"duplicate extId of another user's card", otherCard, 409, "errors.duplicateValue", count(1)},
			{"third card", post(empty, call{edit: second(false)}), 422, "errors.tooManyOTPCards", count(2)},
			{"third card while one is archived", post(empty, call{edit: second(true)}), 201, "", count(3)},
			{"exactly the three rights", post(empty, call{tok: perms(three...)}), 201, "", created("initial")},
			{"UserAdmin, state active", post(map[string]any{"stateName": "active"}, call{tok: role("UserAdmin")}), 201, "", created("active")},
			{"state disabled", post(map[string]any{"stateName": "disabled"}, call{}), 201, "", created("disabled")},
		}
		runMatrix(t, s, "cc", nil, cases)
	})

	t.Run("read", func(t *testing.T) {
		get := func(sub string, c call) func(*testing.T, fixture) request {
			c.method, c.sub = "GET", sub
			return mk(c)
		}
		masked := func(t *testing.T, r response, f fixture) {
			m := r.json(t)
			if items, ok := m["items"].([]any); ok {
				if len(items) != 1 {
					t.Fatalf("items: got %d, want 1", len(items))
				}
				m = items[0].(map[string]any)
			}
			if m["extId"] != f.card || !maskedOTP.MatchString(m["otp"].(string)) {
				t.Errorf("card: got extId %v otp %.30q, want %s masked", m["extId"], m["otp"], f.card)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
		}
		one, list := "{card}", ""
		cases := []mcase{
			{"one: no token", get(one, call{tok: func(*testing.T, fixture) string { return "" }}), 401, "errors.notAuthenticated", nil},
			{"list: garbage token", get(list, call{tok: garbage}), 401, "errors.notAuthenticated", nil},
			{"one: UserView only", get(one, call{tok: perms("UserView")}), 403, deny, nil},
			{"list: CredentialModify only", get(list, call{tok: perms("CredentialModify")}), 403, deny, nil},
			{"one: outside the data room", get(one, call{tok: outside}), 403, room, nil},
			{"list: outside the data room", get(list, call{tok: outside}), 403, room, nil},
			{"one: self-admin of another user", get(one, call{tok: otherOwner, self: true}), 403, deny, nil},
			{"list: self-admin of another user", get(list, call{tok: otherOwner, self: true}), 403, deny, nil},
			{"list: self-admin naming a user that does not exist", get(list, call{tok: owner(0), self: true, edit: ghostOwner}), 403, deny, nil},
			{"one: unknown client", get(one, call{edit: client("nobody-client")}), 404, none, nil},
			{"one: unknown user", get(one, call{edit: user("nobody-user")}), 404, none, nil},
			{"one: unknown card", get("no-such-card", call{}), 404, none, nil},
			{"one: card under another user", get(one, call{edit: otherUser}), 404, none, nil},
			{"one: card under the wrong client", get(one, call{edit: wrongClient}), 404, none, nil},
			{"list: unknown user", get(list, call{edit: user("nobody-user")}), 404, none, nil},
			{"list: unknown client", get(list, call{edit: client("nobody-client")}), 404, none, nil},
			{"one: bad card id", get(strings.Repeat("i", 65), call{}), 400, bad, nil},
			{"list: limit=0", get("?limit=0", call{}), 400, bad, nil},
			{"list: limit=1001", get("?limit=1001", call{}), 400, bad, nil},
			{"list: limit=abc", get("?limit=abc", call{}), 400, bad, nil},
			{"list: bad continuationToken", get("?continuationToken=%21%21", call{}), 400, bad, nil},
			{"one: self-admin owner", get(one, call{tok: owner(0), self: true}), 200, "", masked},
			{"list: self-admin owner", get(list, call{tok: owner(0), self: true}), 200, "", masked},
			{"one: self-admin owner 20 min ago (reads need no step-up)", get(one, call{tok: owner(20 * time.Minute), self: true}), 200, "", masked},
			{"one: Auditor", get(one, call{tok: role("Auditor")}), 200, "", masked},
			{"list: CredentialView", get(list, call{tok: perms("CredentialView")}), 200, "", masked},
		}
		// list paths end in "/?limit=..": drop the slash before the query.
		for i := range cases {
			req := cases[i].req
			cases[i].req = func(t *testing.T, f fixture) request {
				r := req(t, f)
				r.path = strings.Replace(r.path, "/?", "?", 1)
				return r
			}
		}
		runMatrix(t, s, "cr", nil, cases)
	})

	t.Run("delete", func(t *testing.T) {
		del := func(c call) func(*testing.T, fixture) request {
			c.method = "DELETE"
			if c.sub == "" {
				c.sub = "{card}"
			}
			return mk(c)
		}
		gone := func(t *testing.T, r response, f fixture) {
			if len(r.body) != 0 {
				t.Errorf("204 body: got %q, want none", r.body)
			}
			ss := s.bind(t)
			expectProblem(t, ss.do(request{method: "GET", path: s.cardPath(f), bearer: rootToken(t)}), 404, none)
			expectProblem(t, ss.do(request{method: "DELETE", path: s.cardPath(f), bearer: rootToken(t)}), 404, none)
		}
		cases := []mcase{
			{"no token", del(call{tok: func(*testing.T, fixture) string { return "" }}), 401, "errors.notAuthenticated", nil},
			{"expired token", del(call{tok: func(t *testing.T, _ fixture) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Now: time.Now().Add(-2 * time.Hour), TTL: time.Hour})
			}}), 401, "errors.notAuthenticated", nil},
			{"CredentialView only", del(call{tok: perms("CredentialView")}), 403, deny, nil},
			{"CredentialModify only", del(call{tok: perms("CredentialModify", "CredentialChangeState")}), 403, deny, nil},
			{"Helpdesk", del(call{tok: role("Helpdesk")}), 403, deny, nil},
			{"outside the data room", del(call{tok: outside}), 403, room, nil},
			{"self-admin of another user", del(call{tok: otherOwner, self: true}), 403, deny, nil},
			{"self-admin naming a user that does not exist", del(call{tok: owner(0), self: true, edit: ghostOwner}), 403, deny, nil},
			{"stale self-admin owner", del(call{tok: owner(20 * time.Minute), self: true}), 401, "errors.reauthenticationRequired",
				func(t *testing.T, r response, _ fixture) {
					if www := r.header.Get("WWW-Authenticate"); !strings.Contains(www, "insufficient_user_authentication") || !strings.Contains(www, "max_age=900") {
						t.Errorf("WWW-Authenticate: got %q, want insufficient_user_authentication and max_age=900", www)
					}
				}},
			{"unknown client", del(call{edit: client("nobody-client")}), 404, none, nil},
			{"unknown user", del(call{edit: user("nobody-user")}), 404, none, nil},
			{"unknown card", del(call{sub: "no-such-card"}), 404, none, nil},
			{"card under another user", del(call{edit: otherUser}), 404, none, nil},
			{"card under the wrong client", del(call{edit: wrongClient}), 404, none, nil},
			{"bad card id", del(call{sub: "bad%20id"}), 400, bad, nil},
			{"fresh self-admin owner", del(call{tok: owner(0), self: true}), 204, "", gone},
			{"CredentialDelete", del(call{tok: perms("CredentialDelete")}), 204, "", gone},
			{"Root inside its data room", del(call{tok: func(t *testing.T, f fixture) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{f.client}})
			}}), 204, "", gone},
		}
		runMatrix(t, s, "cd", nil, cases)
	})

	t.Run("no-store on credential errors", func(t *testing.T) {
		r := s.bind(t).do(request{method: "GET", path: corePath + "/c/users/u/otp-credentials/x"})
		expectProblem(t, r, http.StatusUnauthorized, "errors.notAuthenticated")
	})
}
