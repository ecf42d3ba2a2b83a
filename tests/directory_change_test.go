package tests

import (
	"net/http"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

// This file holds the negative matrices of changing, deleting and listing clients and users
// (API.md sections 1, 2 and 3); directory_flow_test.go holds the successful flows.

// detailIs checks the problem's detail.
func detailIs(want string) func(*testing.T, client.Response, fixture) {
	return func(t *testing.T, r client.Response, _ fixture) {
		t.Helper()
		if got := r.Problem().Detail; got != want {
			t.Errorf("detail: got %v, want %q", got, want)
		}
	}
}

func TestClientChangeMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "cc")
	g := s.newFixture(t, "cx") // another client, whose name f cannot take
	deny, room, bad, none := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.invalidData", "errors.noRecord"
	patch := func(body client.ClientPatch) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.PatchClient(t, f.Client, body).Response
		}
	}
	patchBody := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("PATCH", clientOf, body, header...)
	}
	del := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.DeleteClient(t, f.Client).Response
	}
	rename := patch(client.ClientPatch{Name: client.Ptr("renamed")})
	nobody := edit(func(f *fixture) { f.Client = "nobody" })
	runMatrix(t, s, "", &f, []row{
		{name: "PATCH: no token", as: anonymous, send: rename, status: 401, code: "errors.notAuthenticated"},
		{name: "PATCH: ClientView only", as: withRights("ClientView"), send: rename, status: 403, code: deny},
		{name: "PATCH: UserAdmin", as: withRoles("UserAdmin"), send: rename, status: 403, code: deny},
		{name: "PATCH: Auditor", as: withRoles("Auditor"), send: rename, status: 403, code: deny},
		{name: "PATCH: Helpdesk", as: withRoles("Helpdesk"), send: rename, status: 403, code: deny},
		{name: "PATCH: self-admin", as: owner(0), send: rename, status: 403, code: deny},
		{name: "PATCH: outside the data room", as: inRoom("other"), send: rename, status: 403, code: room},
		{name: "PATCH: empty data room", as: inRoom(), send: rename, status: 403, code: room},
		{name: "PATCH: unknown and outside the data room", given: nobody, as: inRoom("other"), send: rename, status: 403, code: room},
		{name: "PATCH: unknown client", given: nobody, send: rename, status: 404, code: none},
		{name: "PATCH: bad id", given: edit(func(f *fixture) { f.Client = "bad%20id" }), send: rename, status: 400, code: bad},
		{name: "PATCH: stale version number", send: patch(client.ClientPatch{Name: client.Ptr("x"), Version: 5}), status: 409,
			code: "errors.optimisticLockingFailure", check: detailIs("version 5 is stale; the client is at version 1")},
		{name: "PATCH: stale version string", send: patch(client.ClientPatch{Name: client.Ptr("x"), Version: "0"}), status: 409,
			code: "errors.optimisticLockingFailure", check: detailIs("version 0 is stale; the client is at version 1")},
		{name: "PATCH: version abc", send: patch(client.ClientPatch{Version: "abc"}), status: 400, code: bad},
		{name: "PATCH: version 1.5", send: patchBody(`{"version":1.5}`), status: 400, code: bad},
		{name: "PATCH: version null", send: patchBody(`{"version":null}`), status: 400, code: bad},
		{name: "PATCH: version true", send: patchBody(`{"version":true}`), status: 400, code: bad},
		{name: "PATCH: duplicate name", send: patch(client.ClientPatch{Name: &g.clientName}), status: 409, code: "errors.duplicateValue"},
		{name: "PATCH: name null", send: patchBody(`{"name":null}`), status: 400, code: bad},
		{name: "PATCH: name empty", send: patch(client.ClientPatch{Name: client.Ptr("")}), status: 400, code: bad},
		{name: "PATCH: name blank", send: patch(client.ClientPatch{Name: client.Ptr("  ")}), status: 400, code: bad},
		{name: "PATCH: name of 256 characters", send: patch(client.ClientPatch{Name: client.Ptr(strings.Repeat("n", 256))}), status: 400, code: bad},
		{name: "PATCH: name a number", send: patchBody(`{"name":5}`), status: 400, code: bad},
		{name: "PATCH: extId", send: patchBody(`{"extId":"` + f.Client + `"}`), status: 400, code: bad},
		{name: "PATCH: created", send: patchBody(`{"created":"2020-01-01T00:00:00Z"}`), status: 400, code: bad},
		{name: "PATCH: unknown member", send: patchBody(`{"defaultPolicy":true}`), status: 400, code: bad},
		{name: "PATCH: displayName not a language", send: patch(client.ClientPatch{DisplayName: map[string]string{"english": "X"}}),
			status: 400, code: bad},
		{name: "PATCH: displayName a string", send: patchBody(`{"displayName":"X"}`), status: 400, code: bad},
		{name: "PATCH: displayName values not strings", send: patchBody(`{"displayName":{"EN":1}}`), status: 400, code: bad},
		{name: "PATCH: remarks of 4001 characters", send: patch(client.ClientPatch{Remarks: client.Ptr(strings.Repeat("r", 4001))}),
			status: 400, code: bad},
		{name: "PATCH: modificationComment of 1025 characters",
			send: patch(client.ClientPatch{ModificationComment: client.Ptr(strings.Repeat("c", 1025))}), status: 400, code: bad},
		{name: "PATCH: NUL in a string", send: patchBody(`{"remarks":"\u0000"}`), status: 400, code: bad},
		{name: "PATCH: malformed JSON", send: patchBody(`{"name":`), status: 400, code: bad},
		{name: "PATCH: trailing data", send: patchBody(`{"name":"a"} {}`), status: 400, code: bad},
		{name: "PATCH: JSON array", send: patchBody(`[{"name":"a"}]`), status: 400, code: bad},
		{name: "PATCH: no body", send: patchBody(""), status: 400, code: bad},
		{name: "PATCH: text/plain", send: patchBody(`{"name":"a"}`, "Content-Type", "text/plain"), status: 415,
			code: "errors.unsupportedMediaType"},
		{name: "PATCH: merge-patch+json", send: patchBody(`{"name":"a"}`, "Content-Type", "application/merge-patch+json"), status: 415,
			code: "errors.unsupportedMediaType"},
		{name: "PATCH: 70 KiB", send: patch(client.ClientPatch{Remarks: client.Ptr(strings.Repeat("r", 70*1024))}), status: 413,
			code: "errors.payloadTooLarge"},
		{name: "DELETE: no token", as: anonymous, send: del, status: 401, code: "errors.notAuthenticated"},
		{name: "DELETE: ClientRoot lacks ClientDelete", as: withRoles("ClientRoot"), send: del, status: 403, code: deny},
		{name: "DELETE: ClientModify only", as: withRights("ClientModify", "ClientView"), send: del, status: 403, code: deny},
		{name: "DELETE: self-admin", as: owner(0), send: del, status: 403, code: deny},
		{name: "DELETE: outside the data room", as: inRoom("other"), send: del, status: 403, code: room},
		{name: "DELETE: unknown", given: nobody, send: del, status: 404, code: none},
		{name: "DELETE: bad id", given: edit(func(f *fixture) { f.Client = strings.Repeat("c", 65) }), send: del, status: 400, code: bad},
		{name: "DELETE: while it has users", send: del, status: 422, code: "errors.undeletedDependencies"},
		{name: "DELETE: while it has users, inside the data room", as: inOwnRoom(), send: del, status: 422, code: "errors.undeletedDependencies"},
		{name: "PUT: not allowed", send: raw("PUT", clientOf, `{"name":"renamed"}`), status: 405, code: "errors.methodNotAllowed"},
	})

	api := s.root(t)
	got := api.GetClient(t, f.Client).Want(t, http.StatusOK)
	if got.Version != 1 || got.Name != f.clientName {
		t.Errorf("client after the matrix: got version %v name %v, want 1 and %q", got.Version, got.Name, f.clientName)
	}
	if users := api.ListUsers(t, f.Client, client.UserQuery{}).Want(t, http.StatusOK).Items; len(users) != 1 {
		t.Errorf("users of the client: got %+v, want 1", users)
	}
	t.Run("in the database", func(t *testing.T) {
		s.wantEvents(t, eventsOf{typ: "client.changed", client: f.Client}, 0)
		s.wantEvents(t, eventsOf{typ: "client.deleted", client: f.Client}, 0)
	})
}

func TestUserChangeMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "uc")
	g := s.newFixture(t, "ug") // another client with its own user
	s.root(t).CreateUser(t, f.Client, client.UserCreate{ExtID: uid("uc-other"), LoginID: "taken"}).Want(t, http.StatusCreated)
	deny, room, bad, none := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.invalidData", "errors.noRecord"
	patch := func(body client.UserPatch) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.PatchUser(t, f.UserKey(), body).Response
		}
	}
	patchBody := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("PATCH", userOf, body, header...)
	}
	del := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.DeleteUser(t, f.UserKey()).Response
	}
	list := func(q string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("GET", func(f fixture) string { return userListOf(f) + q }, "")
	}
	remarks := patch(client.UserPatch{Remarks: client.Ptr("x")})
	contacts := func(c client.UserContacts) func(*testing.T, *client.API, fixture) client.Response {
		return patch(client.UserPatch{Contacts: &c})
	}
	underG := edit(func(f *fixture) { f.Client = g.Client })
	runMatrix(t, s, "", &f, []row{
		{name: "PATCH: no token", as: anonymous, send: remarks, status: 401, code: "errors.notAuthenticated"},
		{name: "PATCH: Helpdesk lacks UserModify", as: withRoles("Helpdesk"), send: remarks, status: 403, code: deny},
		{name: "PATCH: Auditor", as: withRoles("Auditor"), send: remarks, status: 403, code: deny},
		{name: "PATCH: UserView and UserCreate", as: withRights("UserView", "UserCreate"), send: remarks, status: 403, code: deny},
		{name: "PATCH: self-admin on itself", as: owner(0), send: patch(client.UserPatch{Remarks: client.Ptr("mine")}), status: 403, code: deny},
		{name: "PATCH: self-admin on another user", as: selfOf(g.User), send: patch(client.UserPatch{Remarks: client.Ptr("mine")}),
			status: 403, code: deny},
		{name: "PATCH: outside the data room", as: inRoom(g.Client), send: remarks, status: 403, code: room},
		{name: "PATCH: unknown user", given: edit(func(f *fixture) { f.User = "nobody" }), send: remarks, status: 404, code: none},
		{name: "PATCH: unknown client", given: edit(func(f *fixture) { f.Client = "nobody" }), send: remarks, status: 404, code: none},
		{name: "PATCH: under the wrong client", given: underG, send: remarks, status: 404, code: none},
		{name: "PATCH: bad user id", given: edit(func(f *fixture) { f.User = "a%20b" }), send: remarks, status: 400, code: bad},
		{name: "PATCH: stale version number", send: patch(client.UserPatch{Remarks: client.Ptr("x"), Version: 2}), status: 409,
			code: "errors.optimisticLockingFailure", check: detailIs("version 2 is stale; the user is at version 1")},
		{name: "PATCH: stale version string", send: patch(client.UserPatch{Remarks: client.Ptr("x"), Version: "7"}), status: 409,
			code: "errors.optimisticLockingFailure", check: detailIs("version 7 is stale; the user is at version 1")},
		{name: "PATCH: version abc", send: patch(client.UserPatch{Version: "abc"}), status: 400, code: bad},
		{name: "PATCH: version 2.5", send: patchBody(`{"version":2.5}`), status: 400, code: bad},
		{name: "PATCH: version beyond int32", send: patchBody(`{"version":4294967297}`), status: 400, code: bad},
		{name: "PATCH: duplicate loginId", send: patch(client.UserPatch{LoginID: client.Ptr("taken")}), status: 409, code: "errors.duplicateValue"},
		{name: "PATCH: loginId null", send: patchBody(`{"loginId":null}`), status: 400, code: bad},
		{name: "PATCH: loginId empty", send: patch(client.UserPatch{LoginID: client.Ptr("")}), status: 400, code: bad},
		{name: "PATCH: loginId a number", send: patchBody(`{"loginId":5}`), status: 400, code: bad},
		{name: "PATCH: email without @", send: contacts(client.UserContacts{Email: "not-an-email"}), status: 400, code: bad},
		{name: "PATCH: email with a display name", send: contacts(client.UserContacts{Email: "Al <al@example.com>"}), status: 400, code: bad},
		{name: "PATCH: mobile without +", send: contacts(client.UserContacts{Mobile: "0791234567"}), status: 400, code: bad},
		{name: "PATCH: mobile with spaces", send: contacts(client.UserContacts{Mobile: "+41 79 123 45 67"}), status: 400, code: bad},
		{name: "PATCH: telephone too long", send: contacts(client.UserContacts{Telephone: "+4144123456789012"}), status: 400, code: bad},
		{name: "PATCH: unknown contact member", send: patchBody(`{"contacts":{"fax":"+41441234567"}}`), status: 400, code: bad},
		{name: "PATCH: unknown name member", send: patchBody(`{"name":{"nickname":"x"}}`), status: 400, code: bad},
		{name: "PATCH: name a string", send: patchBody(`{"name":"Jane"}`), status: 400, code: bad},
		{name: "PATCH: unknown member", send: patchBody(`{"foo":1}`), status: 400, code: bad},
		{name: "PATCH: extId", send: patchBody(`{"extId":"` + f.User + `"}`), status: 400, code: bad},
		{name: "PATCH: clientExtId", send: patchBody(`{"clientExtId":"` + g.Client + `"}`), status: 400, code: bad},
		{name: "PATCH: lastModified", send: patchBody(`{"lastModified":"2020-01-01T00:00:00Z"}`), status: 400, code: bad},
		{name: "PATCH: userState bogus", send: patch(client.UserPatch{UserState: client.Ptr("bogus")}), status: 400, code: bad},
		{name: "PATCH: userState null", send: patchBody(`{"userState":null}`), status: 400, code: bad},
		{name: "PATCH: gender bogus", send: patch(client.UserPatch{Gender: client.Ptr("x")}), status: 400, code: bad},
		{name: "PATCH: birthDate not a date", send: patch(client.UserPatch{BirthDate: client.Ptr("2020-13-01")}), status: 400, code: bad},
		{name: "PATCH: validity.from not a time", send: patch(client.UserPatch{Validity: &client.UserValidity{From: "yesterday"}}),
			status: 400, code: bad},
		{name: "PATCH: validity reversed", send: patch(client.UserPatch{Validity: &client.UserValidity{From: "2030-01-01T00:00:00Z",
			To: "2029-01-01T00:00:00Z"}}), status: 400, code: bad},
		{name: "PATCH: languageCode english", send: patch(client.UserPatch{LanguageCode: client.Ptr("english")}), status: 400, code: bad},
		{name: "PATCH: properties not strings", send: patchBody(`{"properties":{"a":1}}`), status: 400, code: bad},
		{name: "PATCH: isTechnicalUser a string", send: patchBody(`{"isTechnicalUser":"yes"}`), status: 400, code: bad},
		{name: "PATCH: modificationComment of 1025 characters",
			send: patch(client.UserPatch{ModificationComment: client.Ptr(strings.Repeat("c", 1025))}), status: 400, code: bad},
		{name: "PATCH: malformed JSON", send: patchBody(`{"remarks":`), status: 400, code: bad},
		{name: "PATCH: no body", send: patchBody(""), status: 400, code: bad},
		{name: "PATCH: form body", send: patchBody("remarks=x", "Content-Type", "application/x-www-form-urlencoded"), status: 415,
			code: "errors.unsupportedMediaType"},
		{name: "PATCH: 70 KiB", send: patch(client.UserPatch{Remarks: client.Ptr(strings.Repeat("r", 70*1024))}), status: 413,
			code: "errors.payloadTooLarge"},
		{name: "DELETE: no token", as: anonymous, send: del, status: 401, code: "errors.notAuthenticated"},
		{name: "DELETE: Helpdesk lacks UserDelete", as: withRoles("Helpdesk"), send: del, status: 403, code: deny},
		{name: "DELETE: CredentialDelete only", as: withRights("CredentialDelete", "UserView"), send: del, status: 403, code: deny},
		{name: "DELETE: self-admin on itself", as: owner(0), send: del, status: 403, code: deny},
		{name: "DELETE: outside the data room", as: inRoom(g.Client), send: del, status: 403, code: room},
		{name: "DELETE: unknown user", given: edit(func(f *fixture) { f.User = "nobody" }), send: del, status: 404, code: none},
		{name: "DELETE: under the wrong client", given: underG, send: del, status: 404, code: none},
		{name: "DELETE: bad client id", given: edit(func(f *fixture) { f.Client = "bad%20id" }), send: del, status: 400, code: bad},
		{name: "LIST: no token", as: anonymous, send: list(""), status: 401, code: "errors.notAuthenticated"},
		{name: "LIST: self-admin", as: owner(0), send: list(""), status: 403, code: deny},
		{name: "LIST: ClientView and CredentialView", as: withRights("ClientView", "CredentialView"), send: list(""), status: 403, code: deny},
		{name: "LIST: outside the data room", as: inRoom(g.Client), send: list(""), status: 403, code: room},
		{name: "LIST: unknown client outside the data room", given: edit(func(f *fixture) { f.Client = "nobody" }), as: inRoom(g.Client),
			send: list(""), status: 403, code: room},
		{name: "LIST: unknown client", given: edit(func(f *fixture) { f.Client = "nobody" }), send: list(""), status: 404, code: none},
		{name: "LIST: bad client id", given: edit(func(f *fixture) { f.Client = "bad%20id" }), send: list(""), status: 400, code: bad},
		{name: "LIST: limit=0", send: list("?limit=0"), status: 400, code: bad},
		{name: "LIST: limit=1001", send: list("?limit=1001"), status: 400, code: bad},
		{name: "LIST: continuationToken garbage", send: list("?continuationToken=%21%21"), status: 400, code: bad},
		{name: "LIST: empty loginId", send: list("?loginId="), status: 400, code: bad},
		{name: "LIST: two loginIds", send: list("?loginId=a&loginId=b"), status: 400, code: bad},
		{name: "LIST: loginId with NUL", send: list("?loginId=a%00b"), status: 400, code: bad},
		{name: "LIST: loginId not UTF-8", send: list("?loginId=%ff"), status: 400, code: bad},
	})

	if got := s.root(t).GetUser(t, f.UserKey()); got.Want(t, http.StatusOK).Version != 1 || got.Value(t).LoginID != f.login ||
		got.JSON(t)["remarks"] != nil {
		t.Errorf("user after the matrix: got %s, want version 1, loginId %s, no remarks", got.Body, f.login)
	}
	t.Run("in the database", func(t *testing.T) {
		for _, typ := range []string{"user.changed", "user.deleted", "otp-card.deleted"} {
			s.wantEvents(t, eventsOf{typ: typ, client: f.Client, user: f.User}, 0)
		}
	})
}
