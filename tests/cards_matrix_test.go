package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// TestCardsMatrix is the negative matrix of creating, reading and deleting OTP credentials
// (API.md sections 2 and 4). Every row gets a fresh client, user and card.
func TestCardsMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)

	outside := bearer(fixed(func(t *testing.T) string {
		return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"other"}})
	}))
	// Path edits.
	wrongClient := func(t *testing.T, s *service, f fixture) fixture {
		f.Client = s.newFixture(t, "x"+f.Client).Client
		return f
	}
	otherUser := func(t *testing.T, s *service, f fixture) fixture { // another user of f's client, who has no card
		f.User += "-b"
		s.root(t).CreateUser(t, f.Client, client.UserCreate{ExtID: f.User, LoginID: f.User}).Want(t, http.StatusCreated)
		return f
	}
	otherOwner := func(t *testing.T, s *service, f fixture) *client.API { // a self-admin of another existing user
		return s.api.Self(selfToken(t, s.newFixture(t, "o"+f.User).User, 0))
	}
	ghostOwner := edit(func(f *fixture) { f.User = "ghost-" + f.User })
	count := func(want int) func(*testing.T, client.Response, fixture) {
		return func(t *testing.T, _ client.Response, f fixture) {
			if n := len(s.root(t).ListCards(t, f.UserKey(), client.Page{Limit: 1000}).Want(t, http.StatusOK).Items); n != want {
				t.Errorf("cards of %s: got %d, want %d", f.User, n, want)
			}
		}
	}
	deny, room, none, bad := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.noRecord", "errors.invalidData"
	missing, readonly := "errors.missingReferenceData", "errors.modifyReadonlyData"
	// noCard are the 404 rows of send to a card path that names no card of the fixture's user, each
	// name after prefix.
	noCard := func(prefix string, send func(*testing.T, *client.API, fixture) client.Response) []row {
		return []row{
			{name: prefix + "unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }), send: send, status: 404, code: none},
			{name: prefix + "unknown user", given: edit(func(f *fixture) { f.User = "nobody-user" }), send: send, status: 404, code: none},
			{name: prefix + "unknown card", given: edit(func(f *fixture) { f.Card = "no-such-card" }), send: send, status: 404, code: none},
			{name: prefix + "card under another user", given: otherUser, send: send, status: 404, code: none},
			{name: prefix + "card under the wrong client", given: wrongClient, send: send, status: 404, code: none},
		}
	}

	t.Run("create", func(t *testing.T) {
		t.Parallel()
		create := func(body client.CredentialCreate) func(*testing.T, *client.API, fixture) client.Response {
			return func(t *testing.T, api *client.API, f fixture) client.Response {
				return api.CreateCard(t, f.UserKey(), body).Response
			}
		}
		createBody := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
			return raw("POST", func(f fixture) string { return f.UserKey().CardsPath() }, body, header...)
		}
		empty := create(client.CredentialCreate{})
		created := func(state string) func(*testing.T, client.Response, fixture) {
			return func(t *testing.T, r client.Response, f fixture) {
				m := client.Decode[client.Credential](t, r)
				if m.StateName != state || !defaultOTP.MatchString(m.OTP) {
					t.Errorf("created: got state %v otp %.20q, want %s with the card in clear", m.StateName, m.OTP, state)
				}
				if got := r.Header.Get("Location"); got != f.UserKey().CardsPath()+"/"+m.ExtID {
					t.Errorf("Location: got %q, want the new card's path", got)
				}
				count(2)(t, r, f)
			}
		}
		second := func(archiveFirst bool) func(*testing.T, *service, fixture) fixture {
			return func(t *testing.T, s *service, f fixture) fixture {
				s.root(t).CreateCard(t, f.UserKey(), client.CredentialCreate{}).Want(t, http.StatusCreated)
				if archiveFirst {
					toArchived(t, s, f)
				}
				return f
			}
		}
		otherPolicy := func(t *testing.T, api *client.API, f fixture) client.Response {
			pol := s.cardSnapshot(t, s.newFixture(t, "p"+f.Client)).PolicyExtID
			return api.CreateCard(t, f.UserKey(), client.CredentialCreate{PolicyExtID: pol}).Response
		}
		otherCard := func(t *testing.T, api *client.API, f fixture) client.Response {
			g := s.newFixture(t, "d"+f.Client)
			return api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: g.Card}).Response
		}
		three := []string{"CredentialCreate", "CredentialView", "PolicyConfigurationView"}
		runMatrix(t, s, "cc", nil, []row{
			{name: "no token", as: anonymous, send: empty, status: 401, code: "errors.notAuthenticated", check: count(1)},
			{name: "without PolicyConfigurationView", as: withRights(three[0], three[1]), send: empty, status: 403, code: deny, check: count(1)},
			{name: "without CredentialView", as: withRights(three[0], three[2]), send: empty, status: 403, code: deny, check: count(1)},
			{name: "without CredentialCreate", as: withRights(three[1], three[2]), send: empty, status: 403, code: deny, check: count(1)},
			{name: "Helpdesk", as: withRoles("Helpdesk"), send: empty, status: 403, code: deny, check: count(1)},
			{name: "self-admin owner", as: owner(0), send: empty, status: 403, code: deny, check: count(1)},
			{name: "outside the data room", as: outside, send: empty, status: 403, code: room, check: count(1)},
			{name: "unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }), send: empty, status: 404, code: none},
			{name: "unknown user", given: edit(func(f *fixture) { f.User = "nobody-user" }), send: empty, status: 404, code: none},
			{name: "user under the wrong client", given: wrongClient, send: empty, status: 404, code: none, check: count(1)},
			{name: "malformed JSON", send: createBody(`{"extId":`), status: 400, code: bad, check: count(1)},
			{name: "unknown member otp", send: createBody(`{"otp":"12|14|0|x"}`), status: 400, code: bad, check: count(1)},
			{name: "unknown member version", send: createBody(`{"version":1}`), status: 400, code: bad, check: count(1)},
			{name: "extId with a space", send: create(client.CredentialCreate{ExtID: "a b"}), status: 400, code: bad, check: count(1)},
			{name: "extId of 65 characters", send: create(client.CredentialCreate{ExtID: strings.Repeat("e", 65)}), status: 400, code: bad,
				check: count(1)},
			{name: "stateName a number", send: createBody(`{"stateName":5}`), status: 400, code: bad, check: count(1)},
			{name: "JSON array", send: createBody(`[]`), status: 400, code: bad, check: count(1)},
			{name: "no body", send: createBody(""), status: 400, code: bad, check: count(1)},
			{name: "bad user path id", given: edit(func(f *fixture) { f.User = "a%20b" }), send: empty, status: 400, code: bad, check: count(1)},
			{name: "text/plain", send: createBody(`{}`, "Content-Type", "text/plain"), status: 415, code: "errors.unsupportedMediaType",
				check: count(1)},
			{name: "70 KiB", send: create(client.CredentialCreate{ExtID: strings.Repeat("z", 70*1024)}), status: 413,
				code: "errors.payloadTooLarge", check: count(1)},
			{name: "policyExtId with a NUL character", send: createBody(`{"policyExtId":"p\u0000"}`), status: 400, code: bad, check: count(1)},
			{name: "unknown policyExtId", send: create(client.CredentialCreate{PolicyExtID: "no-such-policy"}), status: 422, code: missing,
				check: count(1)},
			{name: "policy of another client", send: otherPolicy, status: 422, code: missing, check: count(1)},
			{name: "stateName bogus", send: create(client.CredentialCreate{StateName: "bogus"}), status: 422, code: missing, check: count(1)},
			{name: "stateName archived", send: create(client.CredentialCreate{StateName: "archived"}), status: 422, code: readonly, check: count(1)},
			{name: "stateName tmp-locked", send: create(client.CredentialCreate{StateName: "tmp-locked"}), status: 422, code: readonly,
				check: count(1)},
			{name: "duplicate extId of the user's card", send: func(t *testing.T, api *client.API, f fixture) client.Response {
				return api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: f.Card}).Response
			}, status: 409, code: "errors.duplicateValue", check: count(1)},
			{name: "duplicate extId of another user's card", send: otherCard, status: 409, code: "errors.duplicateValue", check: count(1)},
			{name: "third card", given: second(false), send: empty, status: 422, code: "errors.tooManyOTPCards", check: count(2)},
			{name: "third card while one is archived", given: second(true), send: empty, status: 201, check: count(3)},
			{name: "exactly the three rights", as: withRights(three...), send: empty, status: 201, check: created("initial")},
			{name: "UserAdmin, state active", as: withRoles("UserAdmin"), send: create(client.CredentialCreate{StateName: "active"}),
				status: 201, check: created("active")},
			{name: "state disabled", send: create(client.CredentialCreate{StateName: "disabled"}), status: 201, check: created("disabled")},
		})
	})

	t.Run("read", func(t *testing.T) {
		t.Parallel()
		one := func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.GetCard(t, f.CardKey).Response
		}
		list := func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.ListCards(t, f.UserKey(), client.Page{}).Response
		}
		listQuery := func(q string) func(*testing.T, *client.API, fixture) client.Response {
			return raw("GET", func(f fixture) string { return f.UserKey().CardsPath() + q }, "")
		}
		masked := func(t *testing.T, r client.Response, f fixture) {
			m := client.Decode[client.Credential](t, r)
			if l := client.Decode[client.List[client.Credential]](t, r); l.Items != nil {
				if len(l.Items) != 1 {
					t.Fatalf("items: got %d, want 1", len(l.Items))
				}
				m = l.Items[0]
			}
			if m.ExtID != f.Card || !maskedOTP.MatchString(m.OTP) {
				t.Errorf("card: got extId %v otp %.30q, want %s masked", m.ExtID, m.OTP, f.Card)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
		}
		runMatrix(t, s, "cr", nil, append(noCard("one: ", one), []row{
			{name: "one: no token", as: anonymous, send: one, status: 401, code: "errors.notAuthenticated"},
			{name: "list: no token", as: anonymous, send: list, status: 401, code: "errors.notAuthenticated"},
			{name: "one: UserView only", as: withRights("UserView"), send: one, status: 403, code: deny},
			{name: "list: CredentialModify only", as: withRights("CredentialModify"), send: list, status: 403, code: deny},
			{name: "one: outside the data room", as: outside, send: one, status: 403, code: room},
			{name: "list: outside the data room", as: outside, send: list, status: 403, code: room},
			{name: "one: self-admin of another user", as: otherOwner, send: one, status: 403, code: deny},
			{name: "list: self-admin of another user", as: otherOwner, send: list, status: 403, code: deny},
			{name: "list: self-admin naming a user that does not exist", given: ghostOwner, as: owner(0), send: list, status: 403, code: deny},
			{name: "list: unknown user", given: edit(func(f *fixture) { f.User = "nobody-user" }), send: list, status: 404, code: none},
			{name: "list: unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }), send: list, status: 404, code: none},
			{name: "one: bad card id", given: edit(func(f *fixture) { f.Card = strings.Repeat("i", 65) }), send: one, status: 400, code: bad},
			{name: "list: limit=0", send: listQuery("?limit=0"), status: 400, code: bad},
			{name: "list: limit=1001", send: listQuery("?limit=1001"), status: 400, code: bad},
			{name: "list: limit=abc", send: listQuery("?limit=abc"), status: 400, code: bad},
			{name: "list: bad continuationToken", send: listQuery("?continuationToken=%21%21"), status: 400, code: bad},
			{name: "one: self-admin owner", as: owner(0), send: one, status: 200, check: masked},
			{name: "list: self-admin owner", as: owner(0), send: list, status: 200, check: masked},
			{name: "one: self-admin owner 20 min ago (reads need no step-up)", as: owner(20 * time.Minute), send: one, status: 200, check: masked},
			{name: "one: Auditor", as: withRoles("Auditor"), send: one, status: 200, check: masked},
			{name: "list: CredentialView", as: withRights("CredentialView"), send: list, status: 200, check: masked},
		}...))
	})

	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		del := func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.DeleteCard(t, f.CardKey).Response
		}
		gone := func(t *testing.T, r client.Response, f fixture) {
			if len(r.Body) != 0 {
				t.Errorf("204 body: got %q, want none", r.Body)
			}
			api := s.root(t)
			api.GetCard(t, f.CardKey).WantProblem(t, 404, none)
			api.DeleteCard(t, f.CardKey).WantProblem(t, 404, none)
		}
		runMatrix(t, s, "cd", nil, append(noCard("", del), []row{
			{name: "no token", as: anonymous, send: del, status: 401, code: "errors.notAuthenticated"},
			{name: "CredentialView only", as: withRights("CredentialView"), send: del, status: 403, code: deny},
			{name: "CredentialModify only", as: withRights("CredentialModify", "CredentialChangeState"), send: del, status: 403, code: deny},
			{name: "Helpdesk", as: withRoles("Helpdesk"), send: del, status: 403, code: deny},
			{name: "outside the data room", as: outside, send: del, status: 403, code: room},
			{name: "self-admin of another user", as: otherOwner, send: del, status: 403, code: deny},
			{name: "self-admin naming a user that does not exist", given: ghostOwner, as: owner(0), send: del, status: 403, code: deny},
			{name: "stale self-admin owner", as: owner(20 * time.Minute), send: del, status: 401, code: "errors.reauthenticationRequired",
				check: func(t *testing.T, r client.Response, _ fixture) {
					if www := r.Header.Get("WWW-Authenticate"); !strings.Contains(www, "insufficient_user_authentication") || !strings.Contains(www, "max_age=900") {
						t.Errorf("WWW-Authenticate: got %q, want insufficient_user_authentication and max_age=900", www)
					}
				}},
			{name: "bad card id", given: edit(func(f *fixture) { f.Card = "bad%20id" }), send: del, status: 400, code: bad},
			{name: "fresh self-admin owner", as: owner(0), send: del, status: 204, check: gone},
			{name: "CredentialDelete", as: withRights("CredentialDelete"), send: del, status: 204, check: gone},
			{name: "Root inside its data room", as: bearer(func(t *testing.T, f fixture) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{f.Client}})
			}), send: del, status: 204, check: gone},
		}...))
	})

	t.Run("no-store on credential errors", func(t *testing.T) {
		t.Parallel()
		s.api.GetCard(t, client.CardKey{Client: "c", User: "u", Card: "x"}).WantProblem(t, http.StatusUnauthorized, "errors.notAuthenticated")
	})
}
