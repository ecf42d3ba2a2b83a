package tests

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// listIDs returns the extIds of a page of a list and its continuation token.
func listIDs[E any](l client.List[E], id func(E) string) ([]string, string) {
	var ids []string
	for _, it := range l.Items {
		ids = append(ids, id(it))
	}
	return ids, l.Pagination.ContinuationToken
}

func clientID(c client.Client) string { return c.ExtID }

// Paths of the matrices' target fixture.
func clientOf(f fixture) string   { return client.ClientPath(f.Client) }
func userOf(f fixture) string     { return f.UserKey().Path() }
func usersOf(f fixture) string    { return client.UsersPath(f.Client) }
func userListOf(f fixture) string { return client.UserListPath(f.Client) }

func TestClientsMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "dc")
	deny, bad, dup := "errors.permissionDenied", "errors.invalidData", "errors.duplicateValue"
	n := 0
	fresh := func() string { n++; return uid(fmt.Sprintf("fresh client %d", n)) }
	create := func(body client.ClientCreate) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, _ fixture) client.Response {
			return api.CreateClient(t, body).Response
		}
	}
	post := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("POST", at(client.ClientsPath), body, header...)
	}
	get := func(path func(fixture) string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("GET", path, "")
	}
	created := func(t *testing.T, r client.Response, _ fixture) {
		if got, want := r.Header.Get("Location"), client.ClientPath(client.Decode[client.Client](t, r).ExtID); got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
	}
	runMatrix(t, s, "", &f, []row{
		{name: "POST: no token", as: anonymous, send: create(client.ClientCreate{Name: fresh()}), status: 401, code: "errors.notAuthenticated"},
		{name: "POST: ClientRoot lacks ClientCreate", as: withRoles("ClientRoot"), send: create(client.ClientCreate{Name: fresh()}), status: 403,
			code: deny},
		{name: "POST: ClientView only", as: withRights("ClientView"), send: create(client.ClientCreate{Name: fresh()}), status: 403, code: deny},
		{name: "POST: self-admin", as: owner(0), send: create(client.ClientCreate{Name: fresh()}), status: 403, code: deny},
		{name: "POST: missing name", send: post(`{"extId":"no-name"}`), status: 400, code: bad},
		{name: "POST: blank name", send: create(client.ClientCreate{Name: "   "}), status: 400, code: bad},
		{name: "POST: name of 256 characters", send: create(client.ClientCreate{Name: strings.Repeat("n", 256)}), status: 400, code: bad},
		{name: "POST: name a number", send: post(`{"name":5}`), status: 400, code: bad},
		{name: "POST: extId with a space", send: create(client.ClientCreate{ExtID: "a b", Name: fresh()}), status: 400, code: bad},
		{name: "POST: extId of 65 characters", send: create(client.ClientCreate{ExtID: strings.Repeat("c", 65), Name: fresh()}), status: 400,
			code: bad},
		{name: "POST: extId with a slash", send: create(client.ClientCreate{ExtID: "a/b", Name: fresh()}), status: 400, code: bad},
		{name: "POST: unknown member", send: post(`{"name":"x1","defaultPolicy":true}`), status: 400, code: bad},
		{name: "POST: displayName not a language", send: create(client.ClientCreate{Name: "x2", DisplayName: map[string]string{"english": "X"}}),
			status: 400, code: bad},
		{name: "POST: displayName a string", send: post(`{"name":"x3","displayName":"X"}`), status: 400, code: bad},
		{name: "POST: remarks of 4001 characters", send: create(client.ClientCreate{Name: "x4", Remarks: strings.Repeat("r", 4001)}),
			status: 400, code: bad},
		{name: "POST: version abc", send: create(client.ClientCreate{Name: "x5", Version: "abc"}), status: 400, code: bad},
		{name: "POST: malformed JSON", send: post(`{"name":`), status: 400, code: bad},
		{name: "POST: name with a NUL character", send: post(`{"name":"nul\u0000name"}`), status: 400, code: bad},
		{name: "POST: remarks with a NUL character", send: post(`{"name":"nul remarks","remarks":"\u0000"}`), status: 400, code: bad},
		{name: "POST: no body", send: post(""), status: 400, code: bad},
		{name: "POST: duplicate name", send: create(client.ClientCreate{Name: f.clientName}), status: 409, code: dup},
		{name: "POST: duplicate extId", send: create(client.ClientCreate{ExtID: f.Client, Name: uid("another name")}), status: 409, code: dup},
		{name: "POST: text/plain", send: post(`{"name":"x6"}`, "Content-Type", "text/plain"), status: 415, code: "errors.unsupportedMediaType"},
		{name: "POST: 70 KiB", send: create(client.ClientCreate{Name: "x7", Remarks: strings.Repeat("r", 70*1024)}), status: 413,
			code: "errors.payloadTooLarge"},
		{name: "POST: ClientCreate only", as: withRights("ClientCreate"), send: create(client.ClientCreate{Name: fresh()}), status: 201,
			check: created},
		{name: "POST: Root with extId", send: create(client.ClientCreate{ExtID: uid("dc-new"), Name: fresh()}), status: 201, check: created},
		{name: "GET one: unknown", send: get(at(client.ClientPath("nobody-client"))), status: 404, code: "errors.noRecord"},
		{name: "GET one: bad id", send: get(at(client.ClientPath("bad%20id"))), status: 400, code: bad},
		{name: "GET one: UserAdmin lacks ClientView", as: withRoles("UserAdmin"), send: get(clientOf), status: 403, code: deny},
		{name: "GET one: outside the data room", as: inRoom("other"), send: get(clientOf), status: 403, code: "errors.dataroomPermissionDenied"},
		{name: "GET one: unknown and outside the data room", as: inRoom("other"), send: get(at(client.ClientPath("nobody"))), status: 403,
			code: "errors.dataroomPermissionDenied"},
		{name: "GET one: self-admin", as: owner(0), send: get(clientOf), status: 403, code: deny},
		{name: "GET one: Auditor", as: withRoles("Auditor"), send: get(clientOf), status: 200},
		{name: "GET list: limit=0", send: get(at(client.ClientsPath + "?limit=0")), status: 400, code: bad},
		{name: "GET list: limit=1001", send: get(at(client.ClientsPath + "?limit=1001")), status: 400, code: bad},
		{name: "GET list: limit=abc", send: get(at(client.ClientsPath + "?limit=abc")), status: 400, code: bad},
		{name: "GET list: limit=-1", send: get(at(client.ClientsPath + "?limit=-1")), status: 400, code: bad},
		{name: "GET list: empty limit", send: get(at(client.ClientsPath + "?limit=")), status: 400, code: bad},
		{name: "GET list: continuationToken not base64", send: get(at(client.ClientsPath + "?continuationToken=%21%21%21")), status: 400, code: bad},
		{name: "GET list: continuationToken {}", send: get(at(client.ClientsPath + "?continuationToken=e30")), status: 400, code: bad},
		{name: "GET list: self-admin", as: owner(0), send: get(at(client.ClientsPath)), status: 403, code: deny},
		{name: "GET list: UserAdmin lacks ClientView", as: withRoles("UserAdmin"), send: get(at(client.ClientsPath)), status: 403, code: deny},
		{name: "GET list: limit=1000", send: get(at(client.ClientsPath + "?limit=1000")), status: 200},
	})

	t.Run("GET list: data room shows only its clients", func(t *testing.T) {
		t.Parallel()
		room := s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Auditor"}, Clients: []string{f.Client, "ghost"}}))
		ids, next := listIDs(room.ListClients(t, client.Page{}).Want(t, http.StatusOK), clientID)
		if !slices.Equal(ids, []string{f.Client}) || next != "" {
			t.Errorf("items: got %v (next %q), want [%s] alone", ids, next, f.Client)
		}
		r := inRoom()(t, s, f).ListClients(t, client.Page{})
		if ids, _ := listIDs(r.Want(t, http.StatusOK), clientID); len(ids) != 0 || !strings.Contains(string(r.Body), `"items":[]`) {
			t.Errorf("empty data room: got %s, want items []", r.Body)
		}
	})

	t.Run("GET list: pagination", func(t *testing.T) {
		t.Parallel()
		api := s.root(t)
		var mine []string
		for i := range 5 {
			id := uid(fmt.Sprintf("pg-%d", i))
			mine = append(mine, id)
			api.CreateClient(t, client.ClientCreate{ExtID: id, Name: "page client " + id}).Want(t, http.StatusCreated)
		}
		walk := func(t *testing.T, api *client.API) ([]string, []int) {
			var all []string
			var sizes []int
			page := client.Page{Limit: 2}
			for range 100 {
				l := api.ListClients(t, page).Want(t, http.StatusOK)
				if l.Pagination.Limit != 2 {
					t.Errorf("_pagination.limit: got %v, want 2", l.Pagination.Limit)
				}
				ids, next := listIDs(l, clientID)
				all, sizes = append(all, ids...), append(sizes, len(ids))
				if next == "" {
					return all, sizes
				}
				page.ContinuationToken = next
			}
			t.Fatal("pagination: got more than 100 pages, want an end")
			return nil, nil
		}
		got, sizes := walk(t, s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: mine})))
		if !slices.Equal(got, mine) || !slices.Equal(sizes, []int{2, 2, 1}) {
			t.Errorf("data-room pages: got %v in pages %v, want %v in pages [2 2 1]", got, sizes, mine)
		}
		// Every client of the instance: only the database knows them all.
		t.Run("every client, in the database", func(t *testing.T) {
			db := s.sql(t)
			got, _ := walk(t, s.root(t))
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
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "du")
	g := s.newFixture(t, "dg") // another client with its own user
	deny, bad, dup, none := "errors.permissionDenied", "errors.invalidData", "errors.duplicateValue", "errors.noRecord"
	n := 0
	fresh := func() string { n++; return fmt.Sprintf("fresh-%d", n) }
	create := func(body client.UserCreate) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.CreateUser(t, f.Client, body).Response
		}
	}
	post := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("POST", usersOf, body, header...)
	}
	// freshWith is a new user's body with one more member, as raw JSON.
	freshWith := func(member string) string { return fmt.Sprintf(`{"loginId":%q,%s}`, fresh(), member) }
	// freshDetails is a new user's body with optional members.
	freshDetails := func(d client.UserDetails) client.UserCreate {
		return client.UserCreate{LoginID: fresh(), UserDetails: d}
	}
	contacts := func(c client.UserContacts) client.UserCreate { return freshDetails(client.UserDetails{Contacts: &c}) }
	get := func(path func(fixture) string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("GET", path, "")
	}
	userAt := func(clientID, userID string) func(fixture) string {
		return func(f fixture) string {
			k := f.UserKey()
			if clientID != "" {
				k.Client = clientID
			}
			if userID != "" {
				k.User = userID
			}
			return k.Path()
		}
	}
	var details remember
	runMatrix(t, s, "", &f, []row{
		{name: "POST: no token", as: anonymous, send: create(client.UserCreate{LoginID: fresh()}), status: 401, code: "errors.notAuthenticated"},
		{name: "POST: Helpdesk lacks UserCreate", as: withRoles("Helpdesk"), send: create(client.UserCreate{LoginID: fresh()}), status: 403,
			code: deny},
		{name: "POST: Auditor", as: withRoles("Auditor"), send: create(client.UserCreate{LoginID: fresh()}), status: 403, code: deny},
		{name: "POST: UserView only", as: withRights("UserView"), send: create(client.UserCreate{LoginID: fresh()}), status: 403, code: deny},
		{name: "POST: self-admin", as: owner(0), send: create(client.UserCreate{LoginID: fresh()}), status: 403, code: deny},
		{name: "POST: outside the data room", as: inRoom("other"), send: create(client.UserCreate{LoginID: fresh()}), status: 403,
			code: "errors.dataroomPermissionDenied"},
		{name: "POST: unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }),
			send: create(client.UserCreate{LoginID: fresh()}), status: 404, code: none},
		{name: "POST: bad client id", given: edit(func(f *fixture) { f.Client = "bad%20client" }),
			send: create(client.UserCreate{LoginID: fresh()}), status: 400, code: bad},
		{name: "POST: duplicate loginId", send: create(client.UserCreate{LoginID: f.login}), status: 409, code: dup},
		{name: "POST: duplicate extId in the client", send: create(client.UserCreate{LoginID: fresh(), ExtID: f.User}), status: 409, code: dup},
		{name: "POST: duplicate extId of another client's user", send: create(client.UserCreate{LoginID: fresh(), ExtID: g.User}), status: 409,
			code: dup},
		{name: "POST: missing loginId", send: post(`{"extId":"no-login"}`), status: 400, code: bad},
		{name: "POST: email without @", send: create(contacts(client.UserContacts{Email: "not-an-email"})), status: 400, code: bad},
		{name: "POST: email with a display name", send: create(contacts(client.UserContacts{Email: "Alice <alice@example.com>"})), status: 400,
			code: bad},
		{name: "POST: mobile without +", send: create(contacts(client.UserContacts{Mobile: "0791234567"})), status: 400, code: bad},
		{name: "POST: mobile with spaces", send: create(contacts(client.UserContacts{Mobile: "+41 79 123 45 67"})), status: 400, code: bad},
		{name: "POST: telephone too long", send: create(contacts(client.UserContacts{Telephone: "+4144123456789012"})), status: 400, code: bad},
		{name: "POST: unknown member", send: post(freshWith(`"foo":1`)), status: 400, code: bad},
		{name: "POST: clientExtId in the body", send: post(freshWith(`"clientExtId":"` + g.Client + `"`)), status: 400, code: bad},
		{name: "POST: created in the body", send: post(freshWith(`"created":"2020-01-01T00:00:00Z"`)), status: 400, code: bad},
		{name: "POST: unknown contact member", send: post(freshWith(`"contacts":{"fax":"+41441234567"}`)), status: 400, code: bad},
		{name: "POST: userState bogus", send: create(client.UserCreate{LoginID: fresh(), UserState: "bogus"}), status: 400, code: bad},
		{name: "POST: gender bogus", send: create(freshDetails(client.UserDetails{Gender: "x"})), status: 400, code: bad},
		{name: "POST: birthDate not a date", send: create(freshDetails(client.UserDetails{BirthDate: "2020-13-01"})), status: 400, code: bad},
		{name: "POST: validity.from not a time", send: create(freshDetails(client.UserDetails{Validity: &client.UserValidity{From: "yesterday"}})),
			status: 400, code: bad},
		{name: "POST: languageCode english", send: create(freshDetails(client.UserDetails{LanguageCode: "english"})), status: 400, code: bad},
		{name: "POST: properties not strings", send: post(freshWith(`"properties":{"a":1}`)), status: 400, code: bad},
		{name: "POST: extId with a space", send: create(client.UserCreate{LoginID: fresh(), ExtID: "a b"}), status: 400, code: bad},
		{name: "POST: loginId a number", send: post(`{"loginId":5}`), status: 400, code: bad},
		{name: "POST: loginId with a NUL character", send: post(`{"loginId":"nul\u0000login"}`), status: 400, code: bad},
		{name: "POST: JSON array", send: post(`[{"loginId":"x"}]`), status: 400, code: bad},
		{name: "POST: form body", send: post("loginId=x", "Content-Type", "application/x-www-form-urlencoded"), status: 415,
			code: "errors.unsupportedMediaType"},
		{name: "POST: 70 KiB", send: create(freshDetails(client.UserDetails{Remarks: strings.Repeat("r", 70*1024)})), status: 413,
			code: "errors.payloadTooLarge"},
		{name: "POST: UserCreate only", as: withRights("UserCreate"), send: create(client.UserCreate{LoginID: fresh()}), status: 201},
		{name: "POST: ClientRoot", as: withRoles("ClientRoot"), send: create(client.UserCreate{LoginID: fresh()}), status: 201},
		{name: "POST: loginId of another client", send: create(client.UserCreate{LoginID: g.login}), status: 201},
		{name: "GET: self-admin of another user", as: selfOf(g.User), send: get(userOf), status: 403, code: deny,
			check: details.detail("another user")},
		{name: "GET: self-admin naming a user that does not exist", as: owner(0), send: get(userAt("", "ghost")), status: 403, code: deny,
			check: details.detail("no such user")},
		{name: "GET: CredentialView only", as: withRights("CredentialView"), send: get(userOf), status: 403, code: deny},
		{name: "GET: outside the data room", as: inRoom(g.Client), send: get(userOf), status: 403, code: "errors.dataroomPermissionDenied"},
		{name: "GET: under the wrong client", send: get(userAt(g.Client, "")), status: 404, code: none},
		{name: "GET: self-admin owner under the wrong client", as: owner(0), send: get(userAt(g.Client, "")), status: 404, code: none},
		{name: "GET: unknown user", send: get(userAt("", "nobody")), status: 404, code: none},
		{name: "GET: unknown client", send: get(userAt("nobody-client", "")), status: 404, code: none},
		{name: "GET: bad user id", send: get(userAt("", strings.Repeat("u", 65))), status: 400, code: bad},
		{name: "GET: self-admin owner", as: owner(0), send: get(userOf), status: 200},
		{name: "GET: self-admin owner 20 min ago", as: owner(20 * time.Minute), send: get(userOf), status: 200},
		{name: "GET: UserView", as: withRights("UserView"), send: get(userOf), status: 200, check: func(t *testing.T, r client.Response, f fixture) {
			if m := client.Decode[client.User](t, r); m.ExtID != f.User || m.ClientExtID != f.Client || m.LoginID != f.login {
				t.Errorf("user: got %+v, want %s of %s", m, f.User, f.Client)
			}
		}},
	})
	details.same(t, "self-admin detail")
}

// TestDirectoryConcurrentPatches: eight PATCHes with the same version at once, over HTTP, on a
// client and on a user. Exactly one succeeds; the others get 409; never a 500.
func TestDirectoryConcurrentPatches(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "cp")
	for name, patch := range map[string]struct {
		send    func(t *testing.T, remarks string) client.Response
		version func(t *testing.T) int32
	}{
		"client": {func(t *testing.T, remarks string) client.Response {
			return api.PatchClient(t, f.Client, client.ClientPatch{Remarks: &remarks, Version: 1}).Response
		}, func(t *testing.T) int32 { return api.GetClient(t, f.Client).Want(t, http.StatusOK).Version }},
		"user": {func(t *testing.T, remarks string) client.Response {
			return api.PatchUser(t, f.UserKey(), client.UserPatch{Remarks: &remarks, Version: 1}).Response
		}, func(t *testing.T) int32 { return api.GetUser(t, f.UserKey()).Want(t, http.StatusOK).Version }},
	} {
		t.Run(name, func(t *testing.T) {
			const n = 8
			statuses := make(chan int, n)
			start := make(chan struct{})
			for i := range n {
				go func() {
					<-start
					r := patch.send(t, fmt.Sprint("racer ", i))
					if r.Status == http.StatusConflict && r.Problem().Code() != "errors.optimisticLockingFailure" {
						t.Errorf("409 body: got %s, want errors.optimisticLockingFailure", r.Body)
					}
					statuses <- r.Status
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
			if got := patch.version(t); got != 2 {
				t.Errorf("version: got %v, want 2", got)
			}
		})
	}
}
