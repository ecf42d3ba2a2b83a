package tests

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// This file holds the negative matrices of changing, deleting and listing clients and users
// (API.md sections 1, 2 and 3); directory_flow_test.go holds the successful flows.

// entity reads a client or user with a Root token.
func (s *service) entity(t *testing.T, path string) map[string]any {
	t.Helper()
	r := s.do(request{method: "GET", path: corePath + path, bearer: rootToken(t)})
	mustStatus(t, r, http.StatusOK)
	return r.json(t)
}

// eventCount counts the recorded events of a type about a client (and user, when not empty) in
// the database (skipped against an external target).
func (s *service) eventCount(t *testing.T, typ, client, user string) int {
	t.Helper()
	q, args := "SELECT count(*) FROM events WHERE type = $1 AND client_ext_id = $2", []any{typ, client}
	if user != "" {
		q, args = q+" AND user_ext_id = $3", append(args, user)
	}
	var n int
	if err := s.sql(t).QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// withType sends the request's body with another content type.
func withType(mk func(*testing.T, fixture) request, ct string) func(*testing.T, fixture) request {
	return func(t *testing.T, f fixture) request {
		r := mk(t, f)
		r.contentType = ct
		return r
	}
}

// detailIs checks the problem's detail.
func detailIs(want string) func(*testing.T, response, fixture) {
	return func(t *testing.T, r response, _ fixture) {
		t.Helper()
		if got := r.json(t)["detail"]; got != want {
			t.Errorf("detail: got %v, want %q", got, want)
		}
	}
}

func TestClientChangeMatrix(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "cc")
	g := s.newFixture(t, "cx") // another client, whose name f cannot take
	deny, room, bad, none := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.invalidData", "errors.noRecord"
	patch := func(body any, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, "PATCH", "/clients/{client}", body, tok, false)
	}
	del := func(path string, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, "DELETE", path, nil, tok, false)
	}
	rename := map[string]any{"name": "renamed"}
	cases := []mcase{
		{"PATCH: no token", patch(rename, tokNone), 401, "errors.notAuthenticated", nil},
		{"PATCH: ClientView only", patch(rename, tokPerms("ClientView")), 403, deny, nil},
		{"PATCH: UserAdmin", patch(rename, tokRoles("UserAdmin")), 403, deny, nil},
		{"PATCH: Auditor", patch(rename, tokRoles("Auditor")), 403, deny, nil},
		{"PATCH: Helpdesk", patch(rename, tokRoles("Helpdesk")), 403, deny, nil},
		{"PATCH: self-admin", dirReq(s, "PATCH", "/clients/{client}", rename, tokOwner, true), 403, deny, nil},
		{"PATCH: outside the data room", patch(rename, tokRoom("other")), 403, room, nil},
		{"PATCH: empty data room", patch(rename, tokRoom()), 403, room, nil},
		{"PATCH: unknown and outside the data room", dirReq(s, "PATCH", "/clients/nobody", rename, tokRoom("other"), false), 403, room, nil},
		{"PATCH: unknown client", dirReq(s, "PATCH", "/clients/nobody", rename, nil, false), 404, none, nil},
		{"PATCH: bad id", dirReq(s, "PATCH", "/clients/bad%20id", rename, nil, false), 400, bad, nil},
		{"PATCH: stale version number", patch(map[string]any{"name": "x", "version": 5}, nil), 409, "errors.optimisticLockingFailure",
			detailIs("version 5 is stale; the client is at version 1")},
		{"PATCH: stale version string", patch(map[string]any{"name": "x", "version": "0"}, nil), 409, "errors.optimisticLockingFailure",
			detailIs("version 0 is stale; the client is at version 1")},
		{"PATCH: version abc", patch(map[string]any{"version": "abc"}, nil), 400, bad, nil},
		{"PATCH: version 1.5", patch(`{"version":1.5}`, nil), 400, bad, nil},
		{"PATCH: version null", patch(`{"version":null}`, nil), 400, bad, nil},
		{"PATCH: version true", patch(`{"version":true}`, nil), 400, bad, nil},
		{"PATCH: duplicate name", patch(map[string]any{"name": g.clientName}, nil), 409, "errors.duplicateValue", nil},
		{"PATCH: name null", patch(`{"name":null}`, nil), 400, bad, nil},
		{"PATCH: name empty", patch(map[string]any{"name": ""}, nil), 400, bad, nil},
		{"PATCH: name blank", patch(map[string]any{"name": "  "}, nil), 400, bad, nil},
		{"PATCH: name of 256 characters", patch(map[string]any{"name": strings.Repeat("n", 256)}, nil), 400, bad, nil},
		{"PATCH: name a number", patch(`{"name":5}`, nil), 400, bad, nil},
		{"PATCH: extId", patch(map[string]any{"extId": f.client}, nil), 400, bad, nil},
		{"PATCH: created", patch(map[string]any{"created": "2020-01-01T00:00:00Z"}, nil), 400, bad, nil},
		{"PATCH: unknown member", patch(map[string]any{"defaultPolicy": true}, nil), 400, bad, nil},
		{"PATCH: displayName not a language", patch(map[string]any{"displayName": map[string]string{"english": "X"}}, nil), 400, bad, nil},
		{"PATCH: displayName a string", patch(map[string]any{"displayName": "X"}, nil), 400, bad, nil},
		{"PATCH: displayName values not strings", patch(`{"displayName":{"EN":1}}`, nil), 400, bad, nil},
		{"PATCH: remarks of 4001 characters", patch(map[string]any{"remarks": strings.Repeat("r", 4001)}, nil), 400, bad, nil},
		{"PATCH: modificationComment of 1025 characters", patch(map[string]any{"modificationComment": strings.Repeat("c", 1025)}, nil), 400, bad, nil},
		{"PATCH: NUL in a string", patch(`{"remarks":"\u0000"}`, nil), 400, bad, nil},
		{"PATCH: malformed JSON", patch(`{"name":`, nil), 400, bad, nil},
		{"PATCH: trailing data", patch(`{"name":"a"} {}`, nil), 400, bad, nil},
		{"PATCH: JSON array", patch(`[{"name":"a"}]`, nil), 400, bad, nil},
		{"PATCH: no body", patch(nil, nil), 400, bad, nil},
		{"PATCH: text/plain", withType(patch(`{"name":"a"}`, nil), "text/plain"), 415, "errors.unsupportedMediaType", nil},
		{"PATCH: merge-patch+json", withType(patch(`{"name":"a"}`, nil), "application/merge-patch+json"), 415, "errors.unsupportedMediaType", nil},
		{"PATCH: 70 KiB", patch(map[string]any{"remarks": strings.Repeat("r", 70*1024)}, nil), 413, "errors.payloadTooLarge", nil},
		{"DELETE: no token", del("/clients/{client}", tokNone), 401, "errors.notAuthenticated", nil},
		{"DELETE: ClientRoot lacks ClientDelete", del("/clients/{client}", tokRoles("ClientRoot")), 403, deny, nil},
		{"DELETE: ClientModify only", del("/clients/{client}", tokPerms("ClientModify", "ClientView")), 403, deny, nil},
		{"DELETE: self-admin", dirReq(s, "DELETE", "/clients/{client}", nil, tokOwner, true), 403, deny, nil},
		{"DELETE: outside the data room", del("/clients/{client}", tokRoom("other")), 403, room, nil},
		{"DELETE: unknown", del("/clients/nobody", nil), 404, none, nil},
		{"DELETE: bad id", del("/clients/"+strings.Repeat("c", 65), nil), 400, bad, nil},
		{"DELETE: while it has users", del("/clients/{client}", nil), 422, "errors.undeletedDependencies", nil},
		{"DELETE: while it has users, inside the data room", del("/clients/{client}", tokRoom(f.client)), 422, "errors.undeletedDependencies", nil},
		{"PUT: not allowed", dirReq(s, "PUT", "/clients/{client}", rename, nil, false), 405, "errors.methodNotAllowed", nil},
	}
	runMatrix(t, s, "", &f, cases)

	got := s.entity(t, "/clients/"+f.client)
	if got["version"] != float64(1) || got["name"] != f.clientName {
		t.Errorf("client after the matrix: got version %v name %v, want 1 and %q", got["version"], got["name"], f.clientName)
	}
	if users, _ := listIDs(t, s.do(request{method: "GET", path: corePath + "/clients/" + f.client + "/users", bearer: rootToken(t)})); len(users) != 1 {
		t.Errorf("users of the client: got %v, want 1", users)
	}
	t.Run("in the database", func(t *testing.T) {
		if n := s.eventCount(t, "client.changed", f.client, "") + s.eventCount(t, "client.deleted", f.client, ""); n != 0 {
			t.Errorf("client.changed and client.deleted events: got %d, want 0", n)
		}
	})
}

func TestUserChangeMatrix(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "uc")
	g := s.newFixture(t, "ug") // another client with its own user
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: rootToken(t),
		body: map[string]any{"extId": uid("uc-other"), "loginId": "taken"}}), 201)
	deny, room, bad, none := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.invalidData", "errors.noRecord"
	patch := func(body any, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, "PATCH", "/{client}/users/{user}", body, tok, false)
	}
	at := func(method, path string, body any, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, method, path, body, tok, false)
	}
	selfPatch := func(tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, "PATCH", "/{client}/users/{user}", map[string]any{"remarks": "mine"}, tok, true)
	}
	other := func(t *testing.T, _ fixture) string { return selfToken(t, g.user, 0) }
	remarks := map[string]any{"remarks": "x"}
	contacts := func(k, v string) map[string]any { return map[string]any{"contacts": map[string]string{k: v}} }
	list := func(query string, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return at("GET", "/clients/{client}/users"+query, nil, tok)
	}
	cases := []mcase{
		{"PATCH: no token", patch(remarks, tokNone), 401, "errors.notAuthenticated", nil},
		{"PATCH: Helpdesk lacks UserModify", patch(remarks, tokRoles("Helpdesk")), 403, deny, nil},
		{"PATCH: Auditor", patch(remarks, tokRoles("Auditor")), 403, deny, nil},
		{"PATCH: UserView and UserCreate", patch(remarks, tokPerms("UserView", "UserCreate")), 403, deny, nil},
		{"PATCH: self-admin on itself", selfPatch(tokOwner), 403, deny, nil},
		{"PATCH: self-admin on another user", selfPatch(other), 403, deny, nil},
		{"PATCH: outside the data room", patch(remarks, tokRoom(g.client)), 403, room, nil},
		{"PATCH: unknown user", at("PATCH", "/{client}/users/nobody", remarks, nil), 404, none, nil},
		{"PATCH: unknown client", at("PATCH", "/nobody/users/{user}", remarks, nil), 404, none, nil},
		{"PATCH: under the wrong client", at("PATCH", "/"+g.client+"/users/{user}", remarks, nil), 404, none, nil},
		{"PATCH: bad user id", at("PATCH", "/{client}/users/a%20b", remarks, nil), 400, bad, nil},
		{"PATCH: stale version number", patch(map[string]any{"remarks": "x", "version": 2}, nil), 409, "errors.optimisticLockingFailure",
			detailIs("version 2 is stale; the user is at version 1")},
		{"PATCH: stale version string", patch(map[string]any{"remarks": "x", "version": "7"}, nil), 409, "errors.optimisticLockingFailure",
			detailIs("version 7 is stale; the user is at version 1")},
		{"PATCH: version abc", patch(map[string]any{"version": "abc"}, nil), 400, bad, nil},
		{"PATCH: version 2.5", patch(`{"version":2.5}`, nil), 400, bad, nil},
		{"PATCH: version beyond int32", patch(`{"version":4294967297}`, nil), 400, bad, nil},
		{"PATCH: duplicate loginId", patch(map[string]any{"loginId": "taken"}, nil), 409, "errors.duplicateValue", nil},
		{"PATCH: loginId null", patch(`{"loginId":null}`, nil), 400, bad, nil},
		{"PATCH: loginId empty", patch(map[string]any{"loginId": ""}, nil), 400, bad, nil},
		{"PATCH: loginId a number", patch(`{"loginId":5}`, nil), 400, bad, nil},
		{"PATCH: email without @", patch(contacts("email", "not-an-email"), nil), 400, bad, nil},
		{"PATCH: email with a display name", patch(contacts("email", "Al <al@example.com>"), nil), 400, bad, nil},
		{"PATCH: mobile without +", patch(contacts("mobile", "0791234567"), nil), 400, bad, nil},
		{"PATCH: mobile with spaces", patch(contacts("mobile", "+41 79 123 45 67"), nil), 400, bad, nil},
		{"PATCH: telephone too long", patch(contacts("telephone", "+4144123456789012"), nil), 400, bad, nil},
		{"PATCH: unknown contact member", patch(contacts("fax", "+41441234567"), nil), 400, bad, nil},
		{"PATCH: unknown name member", patch(map[string]any{"name": map[string]string{"nickname": "x"}}, nil), 400, bad, nil},
		{"PATCH: name a string", patch(map[string]any{"name": "Jane"}, nil), 400, bad, nil},
		{"PATCH: unknown member", patch(map[string]any{"foo": 1}, nil), 400, bad, nil},
		{"PATCH: extId", patch(map[string]any{"extId": f.user}, nil), 400, bad, nil},
		{"PATCH: clientExtId", patch(map[string]any{"clientExtId": g.client}, nil), 400, bad, nil},
		{"PATCH: lastModified", patch(map[string]any{"lastModified": "2020-01-01T00:00:00Z"}, nil), 400, bad, nil},
		{"PATCH: userState bogus", patch(map[string]any{"userState": "bogus"}, nil), 400, bad, nil},
		{"PATCH: userState null", patch(`{"userState":null}`, nil), 400, bad, nil},
		{"PATCH: gender bogus", patch(map[string]any{"gender": "x"}, nil), 400, bad, nil},
		{"PATCH: birthDate not a date", patch(map[string]any{"birthDate": "2020-13-01"}, nil), 400, bad, nil},
		{"PATCH: validity.from not a time", patch(map[string]any{"validity": map[string]string{"from": "yesterday"}}, nil), 400, bad, nil},
		{"PATCH: validity reversed", patch(map[string]any{"validity": map[string]string{"from": "2030-01-01T00:00:00Z", "to": "2029-01-01T00:00:00Z"}}, nil), 400, bad, nil},
		{"PATCH: languageCode english", patch(map[string]any{"languageCode": "english"}, nil), 400, bad, nil},
		{"PATCH: properties not strings", patch(map[string]any{"properties": map[string]any{"a": 1}}, nil), 400, bad, nil},
		{"PATCH: isTechnicalUser a string", patch(map[string]any{"isTechnicalUser": "yes"}, nil), 400, bad, nil},
		{"PATCH: modificationComment of 1025 characters", patch(map[string]any{"modificationComment": strings.Repeat("c", 1025)}, nil), 400, bad, nil},
		{"PATCH: malformed JSON", patch(`{"remarks":`, nil), 400, bad, nil},
		{"PATCH: no body", patch(nil, nil), 400, bad, nil},
		{"PATCH: form body", withType(patch("remarks=x", nil), "application/x-www-form-urlencoded"), 415, "errors.unsupportedMediaType", nil},
		{"PATCH: 70 KiB", patch(map[string]any{"remarks": strings.Repeat("r", 70*1024)}, nil), 413, "errors.payloadTooLarge", nil},
		{"DELETE: no token", at("DELETE", "/{client}/users/{user}", nil, tokNone), 401, "errors.notAuthenticated", nil},
		{"DELETE: Helpdesk lacks UserDelete", at("DELETE", "/{client}/users/{user}", nil, tokRoles("Helpdesk")), 403, deny, nil},
		{"DELETE: CredentialDelete only", at("DELETE", "/{client}/users/{user}", nil, tokPerms("CredentialDelete", "UserView")), 403, deny, nil},
		{"DELETE: self-admin on itself", dirReq(s, "DELETE", "/{client}/users/{user}", nil, tokOwner, true), 403, deny, nil},
		{"DELETE: outside the data room", at("DELETE", "/{client}/users/{user}", nil, tokRoom(g.client)), 403, room, nil},
		{"DELETE: unknown user", at("DELETE", "/{client}/users/nobody", nil, nil), 404, none, nil},
		{"DELETE: under the wrong client", at("DELETE", "/"+g.client+"/users/{user}", nil, nil), 404, none, nil},
		{"DELETE: bad client id", at("DELETE", "/bad%20id/users/{user}", nil, nil), 400, bad, nil},
		{"LIST: no token", list("", tokNone), 401, "errors.notAuthenticated", nil},
		{"LIST: self-admin", dirReq(s, "GET", "/clients/{client}/users", nil, tokOwner, true), 403, deny, nil},
		{"LIST: ClientView and CredentialView", list("", tokPerms("ClientView", "CredentialView")), 403, deny, nil},
		{"LIST: outside the data room", list("", tokRoom(g.client)), 403, room, nil},
		{"LIST: unknown client outside the data room", at("GET", "/clients/nobody/users", nil, tokRoom(g.client)), 403, room, nil},
		{"LIST: unknown client", at("GET", "/clients/nobody/users", nil, nil), 404, none, nil},
		{"LIST: bad client id", at("GET", "/clients/bad%20id/users", nil, nil), 400, bad, nil},
		{"LIST: limit=0", list("?limit=0", nil), 400, bad, nil},
		{"LIST: limit=1001", list("?limit=1001", nil), 400, bad, nil},
		{"LIST: continuationToken garbage", list("?continuationToken=%21%21", nil), 400, bad, nil},
		{"LIST: empty loginId", list("?loginId=", nil), 400, bad, nil},
		{"LIST: two loginIds", list("?loginId=a&loginId=b", nil), 400, bad, nil},
		{"LIST: loginId with NUL", list("?loginId=a%00b", nil), 400, bad, nil},
		{"LIST: loginId not UTF-8", list("?loginId=%ff", nil), 400, bad, nil},
	}
	runMatrix(t, s, "", &f, cases)

	got := s.entity(t, "/"+f.client+"/users/"+f.user)
	if got["version"] != float64(1) || got["loginId"] != f.login || got["remarks"] != nil {
		t.Errorf("user after the matrix: got %v, want version 1, loginId %s, no remarks", got, f.login)
	}
	t.Run("in the database", func(t *testing.T) {
		for _, typ := range []string{"user.changed", "user.deleted", "otp-card.deleted"} {
			if n := s.eventCount(t, typ, f.client, f.user); n != 0 {
				t.Errorf("%s events: got %d, want 0", typ, n)
			}
		}
	})
}

// TestDirectoryConcurrentPatches: eight PATCHes with the same version at once, over HTTP, on a
// client and on a user. Exactly one succeeds; the others get 409; never a 500.
func TestDirectoryConcurrentPatches(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "cp")
	for _, path := range []string{"/clients/" + f.client, "/" + f.client + "/users/" + f.user} {
		t.Run(path, func(t *testing.T) {
			ss := s.bind(t)
			tok := rootToken(t)
			const n = 8
			statuses := make(chan int, n)
			start := make(chan struct{})
			for i := range n {
				go func() {
					<-start
					r := ss.do(request{method: "PATCH", path: corePath + path, bearer: tok,
						body: map[string]any{"remarks": fmt.Sprint("racer ", i), "version": 1}})
					if r.status == http.StatusConflict && !strings.Contains(string(r.body), "errors.optimisticLockingFailure") {
						t.Errorf("409 body: got %s, want errors.optimisticLockingFailure", r.body)
					}
					statuses <- r.status
				}()
			}
			close(start)
			counts := map[int]int{}
			for range n {
				counts[<-statuses]++
			}
			if counts[200] != 1 || counts[409] != n-1 {
				t.Errorf("statuses: got %v, want one 200 and %d 409", counts, n-1)
			}
			if got := ss.entity(t, path)["version"]; got != float64(2) {
				t.Errorf("version: got %v, want 2", got)
			}
		})
	}
}
