package tests

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// policyState is what the error rows of the policy matrix must leave alone: every policy of the
// client with its version and default flag.
func (s *service) policyState(t *testing.T, client string) map[string]string {
	t.Helper()
	r := s.do(request{method: "GET", path: policiesPath(client) + "?limit=1000", bearer: rootToken(t)})
	mustStatus(t, r, http.StatusOK)
	out := map[string]string{}
	for _, it := range r.json(t)["items"].([]any) {
		p := it.(map[string]any)
		out[p["extId"].(string)] = fmt.Sprintf("v%v default=%v", p["version"], p["defaultPolicy"])
	}
	return out
}

func TestPoliciesMatrix(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "pm")
	g := s.newFixture(t, "pm2") // another client, with its own default policy
	tok := rootToken(t)
	def := s.defaultPolicyOf(t, f.client)
	foreign := s.defaultPolicyOf(t, g.client)
	targetID, used := uid("pm-target"), uid("pm-used")
	s.createPolicy(t, f.client, map[string]any{"extId": targetID, "name": "Target"})
	s.createPolicy(t, f.client, map[string]any{"extId": used, "name": "Used"})
	mustStatus(t, s.do(request{method: "POST", path: s.cardsPath(f), bearer: tok,
		body: map[string]any{"extId": uid("pm-card-used"), "policyExtId": used}}), http.StatusCreated)

	deny, room, bad, none := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.invalidData", "errors.noRecord"
	violation := "errors.policyViolation"
	one := "/{client}/policies/" + targetID
	req := func(method, path string, body any, tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return dirReq(s, method, path, body, tok, false)
	}
	self := func(method, path string, body any) func(*testing.T, fixture) request {
		return dirReq(s, method, path, body, tokOwner, true)
	}
	n := 0
	fresh := func(kv ...any) map[string]any {
		n++
		m := map[string]any{"extId": uid(fmt.Sprintf("pm-new-%d", n)), "name": fmt.Sprintf("new %d", n)}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	withType := func(ct string, inner func(*testing.T, fixture) request) func(*testing.T, fixture) request {
		return func(t *testing.T, f fixture) request { r := inner(t, f); r.contentType = ct; return r }
	}
	rename := map[string]any{"name": "renamed"}
	type endpoint struct {
		name, method, path string
		body               func() any
	}
	endpoints := []endpoint{
		{"POST", "POST", "/{client}/policies", func() any { return fresh() }},
		{"GET one", "GET", one, func() any { return nil }},
		{"GET list", "GET", "/clients/{client}/policies", func() any { return nil }},
		{"PATCH", "PATCH", one, func() any { return rename }},
		{"DELETE", "DELETE", one, func() any { return nil }},
	}
	var cases []mcase
	for _, e := range endpoints {
		cases = append(cases,
			mcase{e.name + ": no token", req(e.method, e.path, e.body(), tokNone), 401, "errors.notAuthenticated", nil},
			mcase{e.name + ": token of another secret", req(e.method, e.path, e.body(), func(t *testing.T, _ fixture) string { return wrongSecretToken(t) }), 401, "errors.notAuthenticated", nil},
			mcase{e.name + ": self-admin", self(e.method, e.path, e.body()), 403, deny, nil},
			mcase{e.name + ": outside the data room", req(e.method, e.path, e.body(), tokRoom("other")), 403, room, nil},
			mcase{e.name + ": empty data room", req(e.method, e.path, e.body(), tokRoom()), 403, room, nil},
			mcase{e.name + ": Auditor", req(e.method, e.path, e.body(), tokRoles("Auditor")), 403, deny, nil},
			mcase{e.name + ": bad client id", req(e.method, strings.Replace(e.path, "{client}", "bad%20id", 1), e.body(), nil), 400, bad, nil},
		)
	}
	for _, e := range []endpoint{endpoints[0], endpoints[3], endpoints[4]} {
		cases = append(cases,
			mcase{e.name + ": UserAdmin", req(e.method, e.path, e.body(), tokRoles("UserAdmin")), 403, deny, nil},
			mcase{e.name + ": Helpdesk", req(e.method, e.path, e.body(), tokRoles("Helpdesk")), 403, deny, nil},
		)
	}
	cases = append(cases,
		mcase{"POST: PolicyView and PolicyModify only", req("POST", "/{client}/policies", fresh(), tokPerms("AccessControl.PolicyView", "AccessControl.PolicyModify")), 403, deny, nil},
		mcase{"GET one: Helpdesk", req("GET", one, nil, tokRoles("Helpdesk")), 403, deny, nil},
		mcase{"GET one: PolicyConfigurationView only", req("GET", one, nil, tokPerms("AccessControl.PolicyConfigurationView")), 403, deny, nil},
		mcase{"GET list: PolicyView only", req("GET", "/clients/{client}/policies", nil, tokPerms("AccessControl.PolicyView")), 403, deny, nil},
		mcase{"PATCH: PolicyView and PolicyCreate only", req("PATCH", one, rename, tokPerms("AccessControl.PolicyView", "AccessControl.PolicyCreate")), 403, deny, nil},
		mcase{"DELETE: PolicyModify only", req("DELETE", one, nil, tokPerms("AccessControl.PolicyModify")), 403, deny, nil},

		mcase{"POST: unknown client", req("POST", "/pm-nobody/policies", fresh(), nil), 404, none, nil},
		mcase{"GET one: unknown client", req("GET", "/pm-nobody/policies/"+targetID, nil, nil), 404, none, nil},
		mcase{"GET one: unknown policy", req("GET", "/{client}/policies/pm-nothing", nil, nil), 404, none, nil},
		mcase{"GET one: policy of another client", req("GET", "/{client}/policies/"+foreign, nil, nil), 404, none, nil},
		mcase{"GET one: bad policy id", req("GET", "/{client}/policies/a%20b", nil, nil), 400, bad, nil},
		mcase{"GET list: unknown client", req("GET", "/clients/pm-nobody/policies", nil, nil), 404, none, nil},
		mcase{"GET list: limit=0", req("GET", "/clients/{client}/policies?limit=0", nil, nil), 400, bad, nil},
		mcase{"GET list: limit=1001", req("GET", "/clients/{client}/policies?limit=1001", nil, nil), 400, bad, nil},
		mcase{"GET list: continuationToken not ours", req("GET", "/clients/{client}/policies?continuationToken=e30", nil, nil), 400, bad, nil},
		mcase{"PATCH: unknown policy", req("PATCH", "/{client}/policies/pm-nothing", rename, nil), 404, none, nil},
		mcase{"PATCH: policy of another client", req("PATCH", "/{client}/policies/"+foreign, rename, nil), 404, none, nil},
		mcase{"PATCH: unknown client", req("PATCH", "/pm-nobody/policies/"+targetID, rename, nil), 404, none, nil},
		mcase{"DELETE: unknown policy", req("DELETE", "/{client}/policies/pm-nothing", nil, nil), 404, none, nil},
		mcase{"DELETE: policy of another client", req("DELETE", "/{client}/policies/"+foreign, nil, nil), 404, none, nil},
		mcase{"DELETE: bad policy id", req("DELETE", "/{client}/policies/"+strings.Repeat("x", 65), nil, nil), 400, bad, nil},
		mcase{"PUT: not allowed", req("PUT", one, rename, nil), 405, "errors.methodNotAllowed", nil},

		mcase{"PATCH: stale version number", req("PATCH", one, map[string]any{"name": "x", "version": 7}, nil), 409, "errors.optimisticLockingFailure", nil},
		mcase{"PATCH: stale version string", req("PATCH", one, map[string]any{"name": "x", "version": "7"}, nil), 409, "errors.optimisticLockingFailure", nil},
		mcase{"PATCH: stale version, nothing else", req("PATCH", one, map[string]any{"version": 0}, nil), 409, "errors.optimisticLockingFailure", nil},
		mcase{"PATCH: version abc", req("PATCH", one, map[string]any{"name": "x", "version": "abc"}, nil), 400, bad, nil},
		mcase{"PATCH: version 1.5", req("PATCH", one, `{"name":"x","version":1.5}`, nil), 400, bad, nil},
		mcase{"PATCH: version null", req("PATCH", one, `{"name":"x","version":null}`, nil), 400, bad, nil},
		mcase{"POST: duplicate extId", req("POST", "/{client}/policies", map[string]any{"extId": targetID, "name": "dup"}, nil), 409, "errors.duplicateValue", nil},
		mcase{"POST: extId of a policy of another client", req("POST", "/{client}/policies", map[string]any{"extId": foreign, "name": "dup"}, nil), 409, "errors.duplicateValue", nil},

		mcase{"POST: malformed JSON", req("POST", "/{client}/policies", `{"name":`, nil), 400, bad, nil},
		mcase{"POST: not an object", req("POST", "/{client}/policies", `["name"]`, nil), 400, bad, nil},
		mcase{"POST: no body", req("POST", "/{client}/policies", nil, nil), 400, bad, nil},
		mcase{"POST: unknown member", req("POST", "/{client}/policies", fresh("colour", "red"), nil), 400, bad, nil},
		mcase{"POST: clientExtId is response only", req("POST", "/{client}/policies", fresh("clientExtId", f.client), nil), 400, bad, nil},
		mcase{"POST: created is response only", req("POST", "/{client}/policies", fresh("created", "2026-01-01T00:00:00Z"), nil), 400, bad, nil},
		mcase{"POST: missing name", req("POST", "/{client}/policies", map[string]any{"extId": "pm-noname"}, nil), 400, bad, nil},
		mcase{"POST: blank name", req("POST", "/{client}/policies", fresh("name", "  "), nil), 400, bad, nil},
		mcase{"POST: name of 256 characters", req("POST", "/{client}/policies", fresh("name", strings.Repeat("n", 256)), nil), 400, bad, nil},
		mcase{"POST: description of 4001 characters", req("POST", "/{client}/policies", fresh("description", strings.Repeat("d", 4001)), nil), 400, bad, nil},
		mcase{"POST: name a number", req("POST", "/{client}/policies", `{"name":5}`, nil), 400, bad, nil},
		mcase{"POST: name with a NUL character", req("POST", "/{client}/policies", `{"name":"a\u0000b"}`, nil), 400, bad, nil},
		mcase{"POST: defaultPolicy a string", req("POST", "/{client}/policies", fresh("defaultPolicy", "yes"), nil), 400, bad, nil},
		mcase{"POST: parameters an array", req("POST", "/{client}/policies", fresh("parameters", []string{"rows"}), nil), 400, bad, nil},
		mcase{"POST: parameter value a number", req("POST", "/{client}/policies", fresh("parameters", map[string]any{"rows": 5}), nil), 400, bad, nil},
		mcase{"POST: extId with a slash", req("POST", "/{client}/policies", fresh("extId", "a/b"), nil), 400, bad, nil},
		mcase{"POST: extId of 65 characters", req("POST", "/{client}/policies", fresh("extId", strings.Repeat("e", 65)), nil), 400, bad, nil},
		mcase{"POST: text/plain", withType("text/plain", req("POST", "/{client}/policies", fresh(), nil)), 415, "errors.unsupportedMediaType", nil},
		mcase{"POST: 70 KiB", req("POST", "/{client}/policies", fresh("description", strings.Repeat("d", 70*1024)), nil), 413, "errors.payloadTooLarge", nil},
		mcase{"PATCH: unknown member", req("PATCH", one, map[string]any{"policyType": "OTPCardPolicy"}, nil), 400, bad, nil},
		mcase{"PATCH: extId is not writable", req("PATCH", one, map[string]any{"extId": "pm-moved"}, nil), 400, bad, nil},
		mcase{"PATCH: name null", req("PATCH", one, `{"name":null}`, nil), 400, bad, nil},
		mcase{"PATCH: parameter value a bool", req("PATCH", one, `{"parameters":{"cellReuse":true}}`, nil), 400, bad, nil},
		mcase{"PATCH: application/xml", withType("application/xml", req("PATCH", one, rename, nil)), 415, "errors.unsupportedMediaType", nil},
		mcase{"PATCH: 70 KiB", req("PATCH", one, map[string]any{"description": strings.Repeat("d", 70*1024)}, nil), 413, "errors.payloadTooLarge", nil},
		mcase{"PATCH: no body", req("PATCH", one, nil, nil), 400, bad, nil},

		mcase{"POST: another policy type", req("POST", "/{client}/policies", fresh("policyType", "PasswordPolicy"), nil), 422, "errors.missingReferenceData", nil},
		mcase{"POST: unknown parameter", req("POST", "/{client}/policies", fresh("parameters", map[string]string{"colour": "red"}), nil), 422, violation, nil},
		mcase{"POST: too weak", req("POST", "/{client}/policies", fresh("parameters", map[string]string{"cellCharset": "digits"}), nil), 422, violation, nil},
		mcase{"PATCH: unknown parameter", req("PATCH", one, map[string]any{"parameters": map[string]string{"Rows": "3"}}, nil), 422, violation, nil},
		mcase{"PATCH: too weak", req("PATCH", one, map[string]any{"parameters": map[string]string{"cellLength": "3"}}, nil), 422, violation, nil},
		mcase{"PATCH: unset the default", req("PATCH", "/{client}/policies/"+def, map[string]any{"defaultPolicy": false}, nil), 422, "errors.modifyReadonlyData", nil},
		mcase{"PATCH: defaultPolicy null on the default", req("PATCH", "/{client}/policies/"+def, `{"defaultPolicy":null}`, nil), 422, "errors.modifyReadonlyData", nil},
		mcase{"DELETE: the default", req("DELETE", "/{client}/policies/"+def, nil, nil), 422, "errors.undeletedDependencies", nil},
		mcase{"DELETE: used by a card", req("DELETE", "/{client}/policies/"+used, nil, nil), 422, "errors.undeletedDependencies", nil},
	)
	before := s.policyState(t, f.client)
	for i := range cases {
		cases[i].check = func(t *testing.T, _ response, f fixture) {
			if after := s.bind(t).policyState(t, f.client); !maps.Equal(after, before) {
				t.Errorf("policies: got %v, want them unchanged %v", after, before)
			}
		}
	}
	runMatrix(t, s, "", &f, cases)

	created := func(t *testing.T, r response, f fixture) {
		m := r.json(t)
		if got, want := r.header.Get("Location"), corePath+"/"+f.client+"/policies/"+m["extId"].(string); got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
	}
	deletable, deletable2 := uid("pm-deletable"), uid("pm-deletable2")
	s.createPolicy(t, f.client, map[string]any{"extId": deletable, "name": "Deletable"})
	s.createPolicy(t, f.client, map[string]any{"extId": deletable2, "name": "Deletable"})
	runMatrix(t, s, "", &f, []mcase{
		{"POST: PolicyCreate only", req("POST", "/{client}/policies", fresh(), tokPerms("AccessControl.PolicyCreate")), 201, "", created},
		{"POST: ClientRoot", req("POST", "/{client}/policies", fresh(), tokRoles("ClientRoot")), 201, "", created},
		{"POST: Root inside the data room", req("POST", "/{client}/policies", fresh(), tokRoom(f.client)), 201, "", created},
		{"GET one: PolicyView only", req("GET", one, nil, tokPerms("AccessControl.PolicyView")), 200, "", nil},
		{"GET one: UserAdmin", req("GET", one, nil, tokRoles("UserAdmin")), 200, "", nil},
		{"GET list: PolicyConfigurationView only", req("GET", "/clients/{client}/policies", nil, tokPerms("AccessControl.PolicyConfigurationView")), 200, "", nil},
		{"GET list: UserAdmin", req("GET", "/clients/{client}/policies", nil, tokRoles("UserAdmin")), 200, "", nil},
		{"GET list: Helpdesk", req("GET", "/clients/{client}/policies", nil, tokRoles("Helpdesk")), 200, "", nil},
		{"PATCH: PolicyModify only", req("PATCH", one, map[string]any{"description": "by a modifier"}, tokPerms("AccessControl.PolicyModify")), 200, "", nil},
		{"PATCH: current version as a string", req("PATCH", one, map[string]any{"description": "versioned", "version": "2"}, nil), 200, "", nil},
		{"PATCH: ClientRoot", req("PATCH", one, map[string]any{"description": "by a client root"}, tokRoles("ClientRoot")), 200, "", nil},
		{"DELETE: PolicyDelete only", req("DELETE", "/{client}/policies/"+deletable, nil, tokPerms("AccessControl.PolicyDelete")), 204, "", nil},
		{"DELETE: ClientRoot", req("DELETE", "/{client}/policies/"+deletable2, nil, tokRoles("ClientRoot")), 204, "", nil},
	})
}

// TestPoliciesPagination walks the policy list page by page while policies are added after the
// first page: every policy that existed before is listed once, in creation order.
func TestPoliciesPagination(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "pp")
	// The client's policies in creation order: its default, then six more.
	want := []string{s.defaultPolicyOf(t, f.client)}
	for i := range 6 {
		id := uid(fmt.Sprintf("pp-%d", i))
		s.createPolicy(t, f.client, map[string]any{"extId": id, "name": fmt.Sprintf("p %d", i)})
		want = append(want, id)
	}
	s.newFixture(t, "pp-other") // another client's policies never show
	late := uid("pp-late")
	walk := func(tok string, limit int, insert bool) ([]string, []int) {
		var all []string
		var sizes []int
		path := fmt.Sprintf("%s?limit=%d", policiesPath(f.client), limit)
		for page := range 100 {
			r := s.do(request{method: "GET", path: path, bearer: tok})
			if got := r.json(t)["_pagination"].(map[string]any)["limit"]; got != float64(limit) {
				t.Errorf("_pagination.limit: got %v, want %d", got, limit)
			}
			ids, next := listIDs(t, r)
			all, sizes = append(all, ids...), append(sizes, len(ids))
			if insert && page == 0 {
				s.createPolicy(t, f.client, map[string]any{"extId": late, "name": "late"})
			}
			if next == "" {
				return all, sizes
			}
			path = fmt.Sprintf("%s?limit=%d&continuationToken=%s", policiesPath(f.client), limit, next)
		}
		t.Fatal("pagination: got more than 100 pages, want an end")
		return nil, nil
	}
	got, sizes := walk(rootToken(t), 3, true)
	if !slices.Equal(got, append(slices.Clone(want), late)) || !slices.Equal(sizes, []int{3, 3, 2}) {
		t.Errorf("pages: got %v in %v, want %v then %s in [3 3 2]", got, sizes, want, late)
	}
	room := token(t, jwtauth.MintOptions{Roles: []string{"Helpdesk"}, Clients: []string{f.client}})
	got, sizes = walk(room, 1000, false)
	if len(got) != 8 || !slices.Equal(sizes, []int{8}) {
		t.Errorf("one page of 1000: got %v in %v, want all 8 in one page", got, sizes)
	}
	r := s.do(request{method: "GET", path: policiesPath(f.client), bearer: rootToken(t)})
	if got := r.json(t)["_pagination"].(map[string]any)["limit"]; got != float64(100) {
		t.Errorf("default limit: got %v, want 100", got)
	}
}
