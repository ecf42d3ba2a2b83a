package tests

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// dirReq is a request of the directory matrices: path and body may name the fixture through
// {client} and {user}; tok makes the token (Root when nil), sent as X-Token when self is set.
func dirReq(s *service, method, path string, body any, tok func(*testing.T, fixture) string, self bool) func(*testing.T, fixture) request {
	return func(t *testing.T, f fixture) request {
		p := strings.NewReplacer("{client}", f.client, "{user}", f.user).Replace(path)
		r := request{method: method, path: corePath + p, body: body}
		if tok == nil {
			tok = func(t *testing.T, _ fixture) string { return rootToken(t) }
		}
		if v := tok(t, f); self {
			r.xToken = v
		} else {
			r.bearer = v
		}
		return r
	}
}

func tokPerms(rights ...string) func(*testing.T, fixture) string {
	return func(t *testing.T, _ fixture) string { return permsToken(t, rights...) }
}

func tokRoles(roles ...string) func(*testing.T, fixture) string {
	return func(t *testing.T, _ fixture) string { return roleToken(t, roles...) }
}

func tokRoom(clients ...string) func(*testing.T, fixture) string {
	return func(t *testing.T, _ fixture) string {
		return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: clients, HasClients: true})
	}
}

func tokOwner(t *testing.T, f fixture) string { return selfToken(t, f.user, 0) }

func tokNone(*testing.T, fixture) string { return "" }

// listIDs returns the extIds of a list response and its continuation token.
func listIDs(t *testing.T, r response) ([]string, string) {
	t.Helper()
	mustStatus(t, r, http.StatusOK)
	m := r.json(t)
	items, ok := m["items"].([]any)
	if !ok {
		t.Fatalf("items: got %v, want an array", m["items"])
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.(map[string]any)["extId"].(string))
	}
	tok, _ := m["_pagination"].(map[string]any)["continuationToken"].(string)
	return ids, tok
}

func TestClientsMatrix(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "dc")
	deny, bad, dup := "errors.permissionDenied", "errors.invalidData", "errors.duplicateValue"
	post := func(body any, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, "POST", "/clients", body, tok, false)
	}
	get := func(path string, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, "GET", path, nil, tok, false)
	}
	n := 0
	fresh := func() map[string]any { n++; return map[string]any{"name": uid(fmt.Sprintf("fresh client %d", n))} }
	created := func(t *testing.T, r response, _ fixture) {
		m := r.json(t)
		if got, want := r.header.Get("Location"), corePath+"/clients/"+m["extId"].(string); got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
	}
	ext := func(id string) map[string]any { m := fresh(); m["extId"] = id; return m }
	cases := []mcase{
		{"POST: no token", post(fresh(), tokNone), 401, "errors.notAuthenticated", nil},
		{"POST: ClientRoot lacks ClientCreate", post(fresh(), tokRoles("ClientRoot")), 403, deny, nil},
		{"POST: ClientView only", post(fresh(), tokPerms("ClientView")), 403, deny, nil},
		{"POST: self-admin", dirReq(s, "POST", "/clients", fresh(), tokOwner, true), 403, deny, nil},
		{"POST: missing name", post(map[string]any{"extId": "no-name"}, nil), 400, bad, nil},
		{"POST: blank name", post(map[string]any{"name": "   "}, nil), 400, bad, nil},
		{"POST: name of 256 characters", post(map[string]any{"name": strings.Repeat("n", 256)}, nil), 400, bad, nil},
		{"POST: name a number", post(`{"name":5}`, nil), 400, bad, nil},
		{"POST: extId with a space", post(ext("a b"), nil), 400, bad, nil},
		{"POST: extId of 65 characters", post(ext(strings.Repeat("c", 65)), nil), 400, bad, nil},
		{"POST: extId with a slash", post(ext("a/b"), nil), 400, bad, nil},
		{"POST: unknown member", post(map[string]any{"name": "x1", "defaultPolicy": true}, nil), 400, bad, nil},
		{"POST: displayName not a language", post(map[string]any{"name": "x2", "displayName": map[string]string{"english": "X"}}, nil), 400, bad, nil},
		{"POST: displayName a string", post(map[string]any{"name": "x3", "displayName": "X"}, nil), 400, bad, nil},
		{"POST: remarks of 4001 characters", post(map[string]any{"name": "x4", "remarks": strings.Repeat("r", 4001)}, nil), 400, bad, nil},
		{"POST: version abc", post(map[string]any{"name": "x5", "version": "abc"}, nil), 400, bad, nil},
		{"POST: malformed JSON", post(`{"name":`, nil), 400, bad, nil},
		{"POST: name with a NUL character", post(`{"name":"nul\u0000name"}`, nil), 400, bad, nil},
		{"POST: remarks with a NUL character", post(`{"name":"nul remarks","remarks":"\u0000"}`, nil), 400, bad, nil},
		{"POST: no body", post(nil, nil), 400, bad, nil},
		{"POST: duplicate name", post(map[string]any{"name": f.clientName}, nil), 409, dup, nil},
		{"POST: duplicate extId", post(map[string]any{"extId": f.client, "name": uid("another name")}, nil), 409, dup, nil},
		{"POST: text/plain", func(t *testing.T, f fixture) request {
			r := post(`{"name":"x6"}`, nil)(t, f)
			r.contentType = "text/plain"
			return r
		}, 415, "errors.unsupportedMediaType", nil},
		{"POST: 70 KiB", post(map[string]any{"name": "x7", "remarks": strings.Repeat("r", 70*1024)}, nil), 413, "errors.payloadTooLarge", nil},
		{"POST: ClientCreate only", post(fresh(), tokPerms("ClientCreate")), 201, "", created},
		{"POST: Root with extId", post(ext(uid("dc-new")), nil), 201, "", created},
		{"GET one: unknown", get("/clients/nobody-client", nil), 404, "errors.noRecord", nil},
		{"GET one: bad id", get("/clients/bad%20id", nil), 400, bad, nil},
		{"GET one: UserAdmin lacks ClientView", get("/clients/{client}", tokRoles("UserAdmin")), 403, deny, nil},
		{"GET one: outside the data room", get("/clients/{client}", tokRoom("other")), 403, "errors.dataroomPermissionDenied", nil},
		{"GET one: unknown and outside the data room", get("/clients/nobody", tokRoom("other")), 403, "errors.dataroomPermissionDenied", nil},
		{"GET one: self-admin", dirReq(s, "GET", "/clients/{client}", nil, tokOwner, true), 403, deny, nil},
		{"GET one: Auditor", get("/clients/{client}", tokRoles("Auditor")), 200, "", nil},
		{"GET list: limit=0", get("/clients?limit=0", nil), 400, bad, nil},
		{"GET list: limit=1001", get("/clients?limit=1001", nil), 400, bad, nil},
		{"GET list: limit=abc", get("/clients?limit=abc", nil), 400, bad, nil},
		{"GET list: limit=-1", get("/clients?limit=-1", nil), 400, bad, nil},
		{"GET list: empty limit", get("/clients?limit=", nil), 400, bad, nil},
		{"GET list: continuationToken not base64", get("/clients?continuationToken=%21%21%21", nil), 400, bad, nil},
		{"GET list: continuationToken {}", get("/clients?continuationToken=e30", nil), 400, bad, nil},
		{"GET list: self-admin", dirReq(s, "GET", "/clients", nil, tokOwner, true), 403, deny, nil},
		{"GET list: UserAdmin lacks ClientView", get("/clients", tokRoles("UserAdmin")), 403, deny, nil},
		{"GET list: limit=1000", get("/clients?limit=1000", nil), 200, "", nil},
	}
	runMatrix(t, s, "", &f, cases)

	t.Run("GET list: data room shows only its clients", func(t *testing.T) {
		ss := s.bind(t)
		ids, next := listIDs(t, ss.do(request{method: "GET", path: corePath + "/clients",
			bearer: token(t, jwtauth.MintOptions{Roles: []string{"Auditor"}, Clients: []string{f.client, "ghost"}})}))
		if !slices.Equal(ids, []string{f.client}) || next != "" {
			t.Errorf("items: got %v (next %q), want [%s] alone", ids, next, f.client)
		}
		r := ss.do(request{method: "GET", path: corePath + "/clients", bearer: tokRoom()(t, f)})
		if ids, _ := listIDs(t, r); len(ids) != 0 || !strings.Contains(string(r.body), `"items":[]`) {
			t.Errorf("empty data room: got %s, want items []", r.body)
		}
	})

	t.Run("GET list: pagination", func(t *testing.T) {
		ss := s.bind(t)
		var mine []string
		for i := range 5 {
			id := uid(fmt.Sprintf("pg-%d", i))
			mine = append(mine, id)
			mustStatus(t, ss.do(request{method: "POST", path: corePath + "/clients", bearer: rootToken(t),
				body: map[string]any{"extId": id, "name": "page client " + id}}), 201)
		}
		walk := func(t *testing.T, tok string) ([]string, []int) {
			var all []string
			var sizes []int
			path := corePath + "/clients?limit=2"
			for range 100 {
				r := s.bind(t).do(request{method: "GET", path: path, bearer: tok})
				if got := r.json(t)["_pagination"].(map[string]any)["limit"]; got != float64(2) {
					t.Errorf("_pagination.limit: got %v, want 2", got)
				}
				ids, next := listIDs(t, r)
				all, sizes = append(all, ids...), append(sizes, len(ids))
				if next == "" {
					return all, sizes
				}
				path = corePath + "/clients?limit=2&continuationToken=" + next
			}
			t.Fatal("pagination: got more than 100 pages, want an end")
			return nil, nil
		}
		got, sizes := walk(t, token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: mine}))
		if !slices.Equal(got, mine) || !slices.Equal(sizes, []int{2, 2, 1}) {
			t.Errorf("data-room pages: got %v in pages %v, want %v in pages [2 2 1]", got, sizes, mine)
		}
		// Every client of the instance: only the database knows them all.
		t.Run("every client, in the database", func(t *testing.T) {
			db := s.sql(t)
			got, _ := walk(t, rootToken(t))
			var want []string
			rows, err := db.Query("SELECT ext_id FROM clients ORDER BY created, ext_id")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				want = append(want, id)
			}
			if !slices.Equal(got, want) {
				t.Errorf("all pages: got %v, want %v (every client once, in creation order)", got, want)
			}
		})
	})
}

func TestUsersMatrix(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "du")
	g := s.newFixture(t, "dg") // another client with its own user
	deny, bad, dup, none := "errors.permissionDenied", "errors.invalidData", "errors.duplicateValue", "errors.noRecord"
	n := 0
	fresh := func(extra ...any) map[string]any {
		n++
		m := map[string]any{"loginId": fmt.Sprintf("fresh-%d", n)}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	post := func(body any, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, "POST", "/{client}/users", body, tok, false)
	}
	get := func(path string, tok func(*testing.T, fixture) string, self bool) func(*testing.T, fixture) request {
		return dirReq(s, "GET", path, nil, tok, self)
	}
	contacts := func(k, v string) map[string]any { return fresh("contacts", map[string]string{k: v}) }
	var otherDetail, ghostDetail string
	remember := func(dst *string) func(*testing.T, response, fixture) {
		return func(t *testing.T, r response, _ fixture) { *dst = r.json(t)["detail"].(string) }
	}
	cases := []mcase{
		{"POST: no token", post(fresh(), tokNone), 401, "errors.notAuthenticated", nil},
		{"POST: Helpdesk lacks UserCreate", post(fresh(), tokRoles("Helpdesk")), 403, deny, nil},
		{"POST: Auditor", post(fresh(), tokRoles("Auditor")), 403, deny, nil},
		{"POST: UserView only", post(fresh(), tokPerms("UserView")), 403, deny, nil},
		{"POST: self-admin", dirReq(s, "POST", "/{client}/users", fresh(), tokOwner, true), 403, deny, nil},
		{"POST: outside the data room", post(fresh(), tokRoom("other")), 403, "errors.dataroomPermissionDenied", nil},
		{"POST: unknown client", dirReq(s, "POST", "/nobody-client/users", fresh(), nil, false), 404, none, nil},
		{"POST: bad client id", dirReq(s, "POST", "/bad%20client/users", fresh(), nil, false), 400, bad, nil},
		{"POST: duplicate loginId", post(map[string]any{"loginId": f.login}, nil), 409, dup, nil},
		{"POST: duplicate extId in the client", post(fresh("extId", f.user), nil), 409, dup, nil},
		{"POST: duplicate extId of another client's user", post(fresh("extId", g.user), nil), 409, dup, nil},
		{"POST: missing loginId", post(map[string]any{"extId": "no-login"}, nil), 400, bad, nil},
		{"POST: email without @", post(contacts("email", "not-an-email"), nil), 400, bad, nil},
		{"POST: email with a display name", post(contacts("email", "Alice <alice@example.com>"), nil), 400, bad, nil},
		{"POST: mobile without +", post(contacts("mobile", "0791234567"), nil), 400, bad, nil},
		{"POST: mobile with spaces", post(contacts("mobile", "+41 79 123 45 67"), nil), 400, bad, nil},
		{"POST: telephone too long", post(contacts("telephone", "+4144123456789012"), nil), 400, bad, nil},
		{"POST: unknown member", post(fresh("foo", 1), nil), 400, bad, nil},
		{"POST: clientExtId in the body", post(fresh("clientExtId", g.client), nil), 400, bad, nil},
		{"POST: created in the body", post(fresh("created", "2020-01-01T00:00:00Z"), nil), 400, bad, nil},
		{"POST: unknown contact member", post(fresh("contacts", map[string]string{"fax": "+41441234567"}), nil), 400, bad, nil},
		{"POST: userState bogus", post(fresh("userState", "bogus"), nil), 400, bad, nil},
		{"POST: gender bogus", post(fresh("gender", "x"), nil), 400, bad, nil},
		{"POST: birthDate not a date", post(fresh("birthDate", "2020-13-01"), nil), 400, bad, nil},
		{"POST: validity.from not a time", post(fresh("validity", map[string]string{"from": "yesterday"}), nil), 400, bad, nil},
		{"POST: languageCode english", post(fresh("languageCode", "english"), nil), 400, bad, nil},
		{"POST: properties not strings", post(fresh("properties", map[string]any{"a": 1}), nil), 400, bad, nil},
		{"POST: extId with a space", post(fresh("extId", "a b"), nil), 400, bad, nil},
		{"POST: loginId a number", post(`{"loginId":5}`, nil), 400, bad, nil},
		{"POST: loginId with a NUL character", post(`{"loginId":"nul\u0000login"}`, nil), 400, bad, nil},
		{"POST: JSON array", post(`[{"loginId":"x"}]`, nil), 400, bad, nil},
		{"POST: form body", func(t *testing.T, f fixture) request {
			r := post("loginId=x", nil)(t, f)
			r.contentType = "application/x-www-form-urlencoded"
			return r
		}, 415, "errors.unsupportedMediaType", nil},
		{"POST: 70 KiB", post(fresh("remarks", strings.Repeat("r", 70*1024)), nil), 413, "errors.payloadTooLarge", nil},
		{"POST: UserCreate only", post(fresh(), tokPerms("UserCreate")), 201, "", nil},
		{"POST: ClientRoot", post(fresh(), tokRoles("ClientRoot")), 201, "", nil},
		{"POST: loginId of another client", post(map[string]any{"loginId": g.login}, nil), 201, "", nil},
		{"GET: self-admin of another user", get("/{client}/users/{user}", func(t *testing.T, _ fixture) string {
			return selfToken(t, g.user, 0)
		}, true), 403, deny, remember(&otherDetail)},
		{"GET: self-admin naming a user that does not exist", get("/{client}/users/ghost", tokOwner, true), 403, deny, remember(&ghostDetail)},
		{"GET: CredentialView only", get("/{client}/users/{user}", tokPerms("CredentialView"), false), 403, deny, nil},
		{"GET: outside the data room", get("/{client}/users/{user}", tokRoom(g.client), false), 403, "errors.dataroomPermissionDenied", nil},
		{"GET: under the wrong client", get("/"+g.client+"/users/{user}", nil, false), 404, none, nil},
		{"GET: self-admin owner under the wrong client", get("/"+g.client+"/users/{user}", tokOwner, true), 404, none, nil},
		{"GET: unknown user", get("/{client}/users/nobody", nil, false), 404, none, nil},
		{"GET: unknown client", get("/nobody-client/users/{user}", nil, false), 404, none, nil},
		{"GET: bad user id", get("/{client}/users/"+strings.Repeat("u", 65), nil, false), 400, bad, nil},
		{"GET: self-admin owner", get("/{client}/users/{user}", tokOwner, true), 200, "", nil},
		{"GET: self-admin owner 20 min ago", get("/{client}/users/{user}", func(t *testing.T, f fixture) string {
			return selfToken(t, f.user, 20*time.Minute)
		}, true), 200, "", nil},
		{"GET: UserView", get("/{client}/users/{user}", tokPerms("UserView"), false), 200, "", func(t *testing.T, r response, f fixture) {
			if m := r.json(t); m["extId"] != f.user || m["clientExtId"] != f.client || m["loginId"] != f.login {
				t.Errorf("user: got %v, want %s of %s", m, f.user, f.client)
			}
		}},
	}
	runMatrix(t, s, "", &f, cases)
	if otherDetail != ghostDetail {
		t.Errorf("self-admin detail for a user that does not exist: got %q, want %q as for an existing one", ghostDetail, otherDetail)
	}
}
