package tests

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// policyState is what the error rows of the policy matrix must leave alone: every policy of the
// client with its version and default flag.
func (s *service) policyState(t *testing.T, clientID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range s.root(t).ListPolicies(t, clientID, client.Page{Limit: 1000}).Want(t, http.StatusOK).Items {
		out[p.ExtID] = fmt.Sprintf("v%v default=%v", p.Version, p.DefaultPolicy)
	}
	return out
}

func TestPoliciesMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "pm")
	g := s.newFixture(t, "pm2") // another client, with its own default policy
	api := s.root(t)
	def := s.defaultPolicyOf(t, f.Client).Policy
	foreign := s.defaultPolicyOf(t, g.Client).Policy
	targetID, used := uid("pm-target"), uid("pm-used")
	api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: targetID, Name: "Target"}).Want(t, http.StatusCreated)
	api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: used, Name: "Used"}).Want(t, http.StatusCreated)
	api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: uid("pm-card-used"), PolicyExtID: used}).Want(t, http.StatusCreated)

	deny, room, bad, none := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.invalidData", "errors.noRecord"
	violation := "errors.policyViolation"
	policyAt := func(clientID, policy string) func(fixture) string {
		return func(f fixture) string {
			k := client.PolicyKey{Client: clientID, Policy: policy}
			if k.Client == "" {
				k.Client = f.Client
			}
			return k.Path()
		}
	}
	one := policyAt("", targetID)
	policies := func(f fixture) string { return client.PoliciesPath(f.Client) }
	list := func(f fixture) string { return client.PolicyListPath(f.Client) }
	n := 0
	fresh := func(members ...string) string { // a new policy's body, with more raw members
		n++
		return fmt.Sprintf(`{"extId":%q,"name":"new %d"%s}`, uid(fmt.Sprintf("pm-new-%d", n)), n, strings.Join(append([]string{""}, members...), ","))
	}
	rename := `{"name":"renamed"}`
	type endpoint struct {
		name, method string
		path         func(fixture) string
		body         func() string
	}
	endpoints := []endpoint{
		{"POST", "POST", policies, func() string { return fresh() }},
		{"GET one", "GET", one, func() string { return "" }},
		{"GET list", "GET", list, func() string { return "" }},
		{"PATCH", "PATCH", one, func() string { return rename }},
		{"DELETE", "DELETE", one, func() string { return "" }},
	}
	var rows []row
	for _, e := range endpoints {
		rows = append(rows,
			row{name: e.name + ": no token", as: anonymous, send: raw(e.method, e.path, e.body()), status: 401, code: "errors.notAuthenticated"},
			row{name: e.name + ": self-admin", as: owner(0), send: raw(e.method, e.path, e.body()), status: 403, code: deny},
			row{name: e.name + ": outside the data room", as: inRoom("other"), send: raw(e.method, e.path, e.body()), status: 403, code: room},
			row{name: e.name + ": empty data room", as: inRoom(), send: raw(e.method, e.path, e.body()), status: 403, code: room},
			row{name: e.name + ": Auditor", as: withRoles("Auditor"), send: raw(e.method, e.path, e.body()), status: 403, code: deny},
			row{name: e.name + ": bad client id", given: edit(func(f *fixture) { f.Client = "bad%20id" }), send: raw(e.method, e.path, e.body()),
				status: 400, code: bad},
		)
	}
	for _, e := range []endpoint{endpoints[0], endpoints[3], endpoints[4]} {
		rows = append(rows,
			row{name: e.name + ": UserAdmin", as: withRoles("UserAdmin"), send: raw(e.method, e.path, e.body()), status: 403, code: deny},
			row{name: e.name + ": Helpdesk", as: withRoles("Helpdesk"), send: raw(e.method, e.path, e.body()), status: 403, code: deny},
		)
	}
	post := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("POST", policies, body, header...)
	}
	patch := func(path func(fixture) string, body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("PATCH", path, body, header...)
	}
	get, del := func(path func(fixture) string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("GET", path, "")
	},
		func(path func(fixture) string) func(*testing.T, *client.API, fixture) client.Response {
			return raw("DELETE", path, "")
		}
	rows = append(rows, []row{
		{name: "POST: PolicyView and PolicyModify only", as: withRights("AccessControl.PolicyView", "AccessControl.PolicyModify"),
			send: post(fresh()), status: 403, code: deny},
		{name: "GET one: Helpdesk", as: withRoles("Helpdesk"), send: get(one), status: 403, code: deny},
		{name: "GET one: PolicyConfigurationView only", as: withRights("AccessControl.PolicyConfigurationView"), send: get(one), status: 403,
			code: deny},
		{name: "GET list: PolicyView only", as: withRights("AccessControl.PolicyView"), send: get(list), status: 403, code: deny},
		{name: "PATCH: PolicyView and PolicyCreate only", as: withRights("AccessControl.PolicyView", "AccessControl.PolicyCreate"),
			send: patch(one, rename), status: 403, code: deny},
		{name: "DELETE: PolicyModify only", as: withRights("AccessControl.PolicyModify"), send: del(one), status: 403, code: deny},

		{name: "POST: unknown client", send: raw("POST", at(client.PoliciesPath("pm-nobody")), fresh()), status: 404, code: none},
		{name: "GET one: unknown client", send: get(policyAt("pm-nobody", targetID)), status: 404, code: none},
		{name: "GET one: unknown policy", send: get(policyAt("", "pm-nothing")), status: 404, code: none},
		{name: "GET one: policy of another client", send: get(policyAt("", foreign)), status: 404, code: none},
		{name: "GET one: bad policy id", send: get(policyAt("", "a%20b")), status: 400, code: bad},
		{name: "GET list: unknown client", send: get(at(client.PolicyListPath("pm-nobody"))), status: 404, code: none},
		{name: "GET list: limit=0", send: raw("GET", func(f fixture) string { return list(f) + "?limit=0" }, ""), status: 400, code: bad},
		{name: "GET list: limit=1001", send: raw("GET", func(f fixture) string { return list(f) + "?limit=1001" }, ""), status: 400, code: bad},
		{name: "GET list: continuationToken not ours", send: raw("GET", func(f fixture) string { return list(f) + "?continuationToken=e30" }, ""),
			status: 400, code: bad},
		{name: "PATCH: unknown policy", send: patch(policyAt("", "pm-nothing"), rename), status: 404, code: none},
		{name: "PATCH: policy of another client", send: patch(policyAt("", foreign), rename), status: 404, code: none},
		{name: "PATCH: unknown client", send: patch(policyAt("pm-nobody", targetID), rename), status: 404, code: none},
		{name: "DELETE: unknown policy", send: del(policyAt("", "pm-nothing")), status: 404, code: none},
		{name: "DELETE: policy of another client", send: del(policyAt("", foreign)), status: 404, code: none},
		{name: "DELETE: bad policy id", send: del(policyAt("", strings.Repeat("x", 65))), status: 400, code: bad},
		{name: "PUT: not allowed", send: raw("PUT", one, rename), status: 405, code: "errors.methodNotAllowed"},

		{name: "PATCH: stale version number", send: patch(one, `{"name":"x","version":7}`), status: 409, code: "errors.optimisticLockingFailure"},
		{name: "PATCH: stale version string", send: patch(one, `{"name":"x","version":"7"}`), status: 409, code: "errors.optimisticLockingFailure"},
		{name: "PATCH: stale version, nothing else", send: patch(one, `{"version":0}`), status: 409, code: "errors.optimisticLockingFailure"},
		{name: "PATCH: version abc", send: patch(one, `{"name":"x","version":"abc"}`), status: 400, code: bad},
		{name: "PATCH: version 1.5", send: patch(one, `{"name":"x","version":1.5}`), status: 400, code: bad},
		{name: "PATCH: version null", send: patch(one, `{"name":"x","version":null}`), status: 400, code: bad},
		{name: "POST: duplicate extId", send: post(`{"extId":"` + targetID + `","name":"dup"}`), status: 409, code: "errors.duplicateValue"},
		{name: "POST: extId of a policy of another client", send: post(`{"extId":"` + foreign + `","name":"dup"}`), status: 409,
			code: "errors.duplicateValue"},

		{name: "POST: malformed JSON", send: post(`{"name":`), status: 400, code: bad},
		{name: "POST: not an object", send: post(`["name"]`), status: 400, code: bad},
		{name: "POST: no body", send: post(""), status: 400, code: bad},
		{name: "POST: unknown member", send: post(fresh(`"colour":"red"`)), status: 400, code: bad},
		{name: "POST: clientExtId is response only", send: post(fresh(`"clientExtId":"` + f.Client + `"`)), status: 400, code: bad},
		{name: "POST: created is response only", send: post(fresh(`"created":"2026-01-01T00:00:00Z"`)), status: 400, code: bad},
		{name: "POST: missing name", send: post(`{"extId":"pm-noname"}`), status: 400, code: bad},
		{name: "POST: blank name", send: post(`{"extId":"` + uid("pm-blank") + `","name":"  "}`), status: 400, code: bad},
		{name: "POST: name of 256 characters", send: post(`{"extId":"` + uid("pm-long") + `","name":"` + strings.Repeat("n", 256) + `"}`),
			status: 400, code: bad},
		{name: "POST: description of 4001 characters", send: post(fresh(`"description":"` + strings.Repeat("d", 4001) + `"`)), status: 400,
			code: bad},
		{name: "POST: name a number", send: post(`{"name":5}`), status: 400, code: bad},
		{name: "POST: name with a NUL character", send: post(`{"name":"a\u0000b"}`), status: 400, code: bad},
		{name: "POST: defaultPolicy a string", send: post(fresh(`"defaultPolicy":"yes"`)), status: 400, code: bad},
		{name: "POST: parameters an array", send: post(fresh(`"parameters":["rows"]`)), status: 400, code: bad},
		{name: "POST: parameter value a number", send: post(fresh(`"parameters":{"rows":5}`)), status: 400, code: bad},
		{name: "POST: extId with a slash", send: post(`{"extId":"a/b","name":"slash"}`), status: 400, code: bad},
		{name: "POST: extId of 65 characters", send: post(`{"extId":"` + strings.Repeat("e", 65) + `","name":"long"}`), status: 400, code: bad},
		{name: "POST: text/plain", send: post(fresh(), "Content-Type", "text/plain"), status: 415, code: "errors.unsupportedMediaType"},
		{name: "POST: 70 KiB", send: post(fresh(`"description":"` + strings.Repeat("d", 70*1024) + `"`)), status: 413,
			code: "errors.payloadTooLarge"},
		{name: "PATCH: unknown member", send: patch(one, `{"policyType":"OTPCardPolicy"}`), status: 400, code: bad},
		{name: "PATCH: extId is not writable", send: patch(one, `{"extId":"pm-moved"}`), status: 400, code: bad},
		{name: "PATCH: name null", send: patch(one, `{"name":null}`), status: 400, code: bad},
		{name: "PATCH: parameter value a bool", send: patch(one, `{"parameters":{"cellReuse":true}}`), status: 400, code: bad},
		{name: "PATCH: application/xml", send: patch(one, rename, "Content-Type", "application/xml"), status: 415,
			code: "errors.unsupportedMediaType"},
		{name: "PATCH: 70 KiB", send: patch(one, `{"description":"`+strings.Repeat("d", 70*1024)+`"}`), status: 413, code: "errors.payloadTooLarge"},
		{name: "PATCH: no body", send: patch(one, ""), status: 400, code: bad},

		{name: "POST: another policy type", send: post(fresh(`"policyType":"PasswordPolicy"`)), status: 422, code: "errors.missingReferenceData"},
		{name: "POST: unknown parameter", send: post(fresh(`"parameters":{"colour":"red"}`)), status: 422, code: violation},
		{name: "POST: too weak", send: post(fresh(`"parameters":{"cellCharset":"digits"}`)), status: 422, code: violation},
		{name: "PATCH: unknown parameter", send: patch(one, `{"parameters":{"Rows":"3"}}`), status: 422, code: violation},
		{name: "PATCH: too weak", send: patch(one, `{"parameters":{"cellLength":"3"}}`), status: 422, code: violation},
		{name: "PATCH: unset the default", send: patch(policyAt("", def), `{"defaultPolicy":false}`), status: 422, code: "errors.modifyReadonlyData"},
		{name: "PATCH: defaultPolicy null on the default", send: patch(policyAt("", def), `{"defaultPolicy":null}`), status: 422,
			code: "errors.modifyReadonlyData"},
		{name: "DELETE: the default", send: del(policyAt("", def)), status: 422, code: "errors.undeletedDependencies"},
		{name: "DELETE: used by a card", send: del(policyAt("", used)), status: 422, code: "errors.undeletedDependencies"},
	}...)
	before := s.policyState(t, f.Client)
	for i := range rows {
		rows[i].check = func(t *testing.T, _ client.Response, f fixture) {
			if after := s.policyState(t, f.Client); !maps.Equal(after, before) {
				t.Errorf("policies: got %v, want them unchanged %v", after, before)
			}
		}
	}
	runMatrix(t, s, "", &f, rows)

	created := func(t *testing.T, r client.Response, f fixture) {
		if got, want := r.Header.Get("Location"), (client.PolicyKey{Client: f.Client, Policy: client.Decode[client.Policy](t, r).ExtID}).Path(); got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
	}
	create := func(t *testing.T, api *client.API, f fixture) client.Response {
		n++
		return api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: uid(fmt.Sprintf("pm-new-%d", n)), Name: fmt.Sprintf("new %d", n)}).Response
	}
	patchDescription := func(description string, version any) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.PatchPolicy(t, client.PolicyKey{Client: f.Client, Policy: targetID},
				client.PolicyPatch{Description: &description, Version: version}).Response
		}
	}
	deleteOf := func(policy string) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.DeletePolicy(t, client.PolicyKey{Client: f.Client, Policy: policy}).Response
		}
	}
	getOne := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.GetPolicy(t, client.PolicyKey{Client: f.Client, Policy: targetID}).Response
	}
	getList := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.ListPolicies(t, f.Client, client.Page{}).Response
	}
	deletable, deletable2 := uid("pm-deletable"), uid("pm-deletable2")
	api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: deletable, Name: "Deletable"}).Want(t, http.StatusCreated)
	api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: deletable2, Name: "Deletable"}).Want(t, http.StatusCreated)
	runMatrix(t, s, "", &f, []row{
		{name: "POST: PolicyCreate only", as: withRights("AccessControl.PolicyCreate"), send: create, status: 201, check: created},
		{name: "POST: ClientRoot", as: withRoles("ClientRoot"), send: create, status: 201, check: created},
		{name: "POST: Root inside the data room", as: inOwnRoom(), send: create, status: 201, check: created},
		{name: "GET one: PolicyView only", as: withRights("AccessControl.PolicyView"), send: getOne, status: 200},
		{name: "GET one: UserAdmin", as: withRoles("UserAdmin"), send: getOne, status: 200},
		{name: "GET list: PolicyConfigurationView only", as: withRights("AccessControl.PolicyConfigurationView"), send: getList, status: 200},
		{name: "GET list: UserAdmin", as: withRoles("UserAdmin"), send: getList, status: 200},
		{name: "GET list: Helpdesk", as: withRoles("Helpdesk"), send: getList, status: 200},
		{name: "PATCH: PolicyModify only", as: withRights("AccessControl.PolicyModify"), send: patchDescription("by a modifier", nil), status: 200},
		{name: "PATCH: current version as a string", send: patchDescription("versioned", "2"), status: 200},
		{name: "PATCH: ClientRoot", as: withRoles("ClientRoot"), send: patchDescription("by a client root", nil), status: 200},
		{name: "DELETE: PolicyDelete only", as: withRights("AccessControl.PolicyDelete"), send: deleteOf(deletable), status: 204},
		{name: "DELETE: ClientRoot", as: withRoles("ClientRoot"), send: deleteOf(deletable2), status: 204},
	})
}

// TestPoliciesPagination walks the policy list page by page while policies are added after the
// first page: every policy that existed before is listed once, in creation order.
func TestPoliciesPagination(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "pp")
	// The client's policies in creation order: its default, then six more.
	want := []string{s.defaultPolicyOf(t, f.Client).Policy}
	for i := range 6 {
		id := uid(fmt.Sprintf("pp-%d", i))
		api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: id, Name: fmt.Sprintf("p %d", i)}).Want(t, http.StatusCreated)
		want = append(want, id)
	}
	s.newFixture(t, "pp-other") // another client's policies never show
	late := uid("pp-late")
	policyID := func(p client.Policy) string { return p.ExtID }
	walk := func(api *client.API, limit int, insert bool) ([]string, []int) {
		var all []string
		var sizes []int
		page := client.Page{Limit: limit}
		for i := range 100 {
			l := api.ListPolicies(t, f.Client, page).Want(t, http.StatusOK)
			if l.Pagination.Limit != limit {
				t.Errorf("_pagination.limit: got %v, want %d", l.Pagination.Limit, limit)
			}
			ids, next := listIDs(l, policyID)
			all, sizes = append(all, ids...), append(sizes, len(ids))
			if insert && i == 0 {
				s.root(t).CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: late, Name: "late"}).Want(t, http.StatusCreated)
			}
			if next == "" {
				return all, sizes
			}
			page.ContinuationToken = next
		}
		t.Fatal("pagination: got more than 100 pages, want an end")
		return nil, nil
	}
	got, sizes := walk(api, 3, true)
	if !slices.Equal(got, append(slices.Clone(want), late)) || !slices.Equal(sizes, []int{3, 3, 2}) {
		t.Errorf("pages: got %v in %v, want %v then %s in [3 3 2]", got, sizes, want, late)
	}
	room := s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Helpdesk"}, Clients: []string{f.Client}}))
	got, sizes = walk(room, 1000, false)
	if len(got) != 8 || !slices.Equal(sizes, []int{8}) {
		t.Errorf("one page of 1000: got %v in %v, want all 8 in one page", got, sizes)
	}
	if got := api.ListPolicies(t, f.Client, client.Page{}).Want(t, http.StatusOK).Pagination.Limit; got != 100 {
		t.Errorf("default limit: got %v, want 100", got)
	}
}
