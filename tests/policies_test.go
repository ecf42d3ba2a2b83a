package tests

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
)

func policiesPath(client string) string { return corePath + "/clients/" + client + "/policies" }

func policyPath(client, policy string) string { return corePath + "/" + client + "/policies/" + policy }

// defaultParameterMap is the parameters member of a policy with every default (API.md 5.2).
var defaultParameterMap = map[string]string{"rows": "12", "cols": "14", "cellLength": "4",
	"cellCharset": "crockford32", "coordinateCardFormat": "false", "credentialLifetime": "315360000000",
	"maxCredFailureCount": "3", "tmpLockingThreshold": "2", "tmpLockingDuration": "60000",
	"tmpLockingMode": "strict", "lowOnChallengesThreshold": "20", "cellReuse": "false"}

// withParams is the default parameter map with some replaced.
func withParams(kv ...string) map[string]string {
	m := maps.Clone(defaultParameterMap)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// parametersOf reads the parameters member of a policy response.
func parametersOf(t *testing.T, m map[string]any) map[string]string {
	t.Helper()
	raw, ok := m["parameters"].(map[string]any)
	if !ok {
		t.Fatalf("parameters: got %v, want an object", m["parameters"])
	}
	out := map[string]string{}
	for k, v := range raw {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("parameters.%s: got %v, want a string", k, v)
		}
		out[k] = s
	}
	return out
}

// defaultPolicyOf returns the extId of the client's default policy, read from the list.
func (s *service) defaultPolicyOf(t *testing.T, client string) string {
	t.Helper()
	r := s.do(request{method: "GET", path: policiesPath(client), bearer: rootToken(t)})
	mustStatus(t, r, http.StatusOK)
	var found []string
	for _, it := range r.json(t)["items"].([]any) {
		if p := it.(map[string]any); p["defaultPolicy"] == true {
			found = append(found, p["extId"].(string))
		}
	}
	if len(found) != 1 {
		t.Fatalf("default policies of %s: got %v, want exactly one", client, found)
	}
	return found[0]
}

// createPolicy creates a policy through the API and returns the response body.
func (s *service) createPolicy(t *testing.T, client string, body map[string]any) map[string]any {
	t.Helper()
	r := s.do(request{method: "POST", path: corePath + "/" + client + "/policies", bearer: rootToken(t), body: body})
	mustStatus(t, r, http.StatusCreated)
	return r.json(t)
}

// policyEventsOf lists "type version actor" of the events recorded for a policy in the database,
// oldest first (skipped against an external target).
func (s *service) policyEventsOf(t *testing.T, policy string) []string {
	t.Helper()
	rows, err := s.sql(t).Query(`SELECT type, version, actor_subject FROM events WHERE policy_ext_id = $1 AND type LIKE 'policy.%' ORDER BY id`, policy)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, actor string
		var version int
		if err := rows.Scan(&typ, &version, &actor); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ+" "+strconv.Itoa(version)+" "+actor)
	}
	return out
}

func TestPolicyLifecycle(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "pl")
	tok := rootToken(t)
	oldDefault := s.defaultPolicyOf(t, f.client)
	digits, card2, third := uid("pl-digits"), uid("pl-card2"), uid("pl-third")

	// The default policy created with the client.
	r := s.do(request{method: "GET", path: policyPath(f.client, oldDefault), bearer: tok})
	mustStatus(t, r, http.StatusOK)
	m := r.json(t)
	if m["clientExtId"] != f.client || m["policyType"] != "OTPCardPolicy" || m["defaultPolicy"] != true ||
		m["version"] != float64(1) || m["name"] == "" {
		t.Errorf("default policy: got %v", m)
	}
	if got := parametersOf(t, m); !maps.Equal(got, defaultParameterMap) {
		t.Errorf("default parameters: got %v, want %v", got, defaultParameterMap)
	}
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}

	// Create: Location, defaults filled in, no description member when there is none.
	r = s.do(request{method: "POST", path: corePath + "/" + f.client + "/policies", bearer: tok,
		body: map[string]any{"extId": digits, "name": "Digits", "parameters": map[string]string{
			"cellCharset": "digits", "cellLength": "6", "maxCredFailureCount": "5"}}})
	mustStatus(t, r, http.StatusCreated)
	if got, want := r.header.Get("Location"), corePath+"/"+f.client+"/policies/"+digits; got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
	m = r.json(t)
	if _, ok := m["description"]; ok {
		t.Errorf("description: got %v, want the member omitted", m["description"])
	}
	if m["extId"] != digits || m["defaultPolicy"] != false || m["version"] != float64(1) ||
		m["policyType"] != "OTPCardPolicy" || m["clientExtId"] != f.client || m["created"] != m["lastModified"] {
		t.Errorf("created policy: got %v", m)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(m["created"].(string)) {
		t.Errorf("created: got %v, want RFC 3339 UTC with seconds", m["created"])
	}
	wantParams := withParams("cellCharset", "digits", "cellLength", "6", "maxCredFailureCount", "5")
	if got := parametersOf(t, m); !maps.Equal(got, wantParams) {
		t.Errorf("parameters: got %v, want %v", got, wantParams)
	}
	if got := s.do(request{method: "GET", path: r.header.Get("Location"), bearer: tok}); !equalJSON(got.json(t), m) {
		t.Errorf("GET Location: got %s, want the create response", got.body)
	}

	// PATCH texts with the version as a string, then parameters replaced whole with it as a number.
	r = s.do(request{method: "PATCH", path: policyPath(f.client, digits), bearer: tok,
		body: map[string]any{"name": "Digits v2", "description": "six digits", "version": "1"}})
	mustStatus(t, r, http.StatusOK)
	if m = r.json(t); m["name"] != "Digits v2" || m["description"] != "six digits" || m["version"] != float64(2) {
		t.Errorf("after PATCH of texts: got %v", m)
	}
	if got := parametersOf(t, m); !maps.Equal(got, wantParams) {
		t.Errorf("parameters after a PATCH without them: got %v, want them kept %v", got, wantParams)
	}
	r = s.do(request{method: "PATCH", path: policyPath(f.client, digits), bearer: tok,
		body: map[string]any{"parameters": map[string]string{"cellLength": "8", "tmpLockingMode": "threshold"}, "version": 2}})
	mustStatus(t, r, http.StatusOK)
	m = r.json(t)
	if want := withParams("cellLength", "8", "tmpLockingMode", "threshold"); !maps.Equal(parametersOf(t, m), want) {
		t.Errorf("parameters replaced whole: got %v, want %v (names left out back at their defaults)", parametersOf(t, m), want)
	}
	if m["version"] != float64(3) || m["description"] != "six digits" {
		t.Errorf("after PATCH of parameters: got %v", m)
	}
	// An empty PATCH changes nothing and keeps the version.
	r = s.do(request{method: "PATCH", path: policyPath(f.client, digits), bearer: tok, body: map[string]any{}})
	mustStatus(t, r, http.StatusOK)
	if got := r.json(t); !equalJSON(got, m) {
		t.Errorf("empty PATCH: got %v, want %v unchanged", got, m)
	}
	// null clears the description; parameters null means every default.
	r = s.do(request{method: "PATCH", path: policyPath(f.client, digits), bearer: tok,
		body: `{"description": null, "parameters": null}`})
	mustStatus(t, r, http.StatusOK)
	if m = r.json(t); m["description"] != nil || !maps.Equal(parametersOf(t, m), defaultParameterMap) || m["version"] != float64(4) {
		t.Errorf("PATCH with nulls: got %v, want no description, default parameters, version 4", m)
	}

	// Making it the default moves the flag: the old default changes too.
	r = s.do(request{method: "PATCH", path: policyPath(f.client, digits), bearer: tok, body: map[string]any{"defaultPolicy": true}})
	mustStatus(t, r, http.StatusOK)
	if m = r.json(t); m["defaultPolicy"] != true || m["version"] != float64(5) {
		t.Errorf("new default: got %v", m)
	}
	if got := s.defaultPolicyOf(t, f.client); got != digits {
		t.Errorf("default: got %s, want %s", got, digits)
	}
	old := s.do(request{method: "GET", path: policyPath(f.client, oldDefault), bearer: tok}).json(t)
	if old["defaultPolicy"] != false || old["version"] != float64(2) {
		t.Errorf("old default: got %v, want defaultPolicy false at version 2", old)
	}

	// The default cannot be unset nor deleted: a client always has one.
	r = s.do(request{method: "PATCH", path: policyPath(f.client, digits), bearer: tok, body: map[string]any{"defaultPolicy": false}})
	p := expectProblem(t, r, http.StatusUnprocessableEntity, "errors.modifyReadonlyData")
	if d := p["detail"].(string); !strings.Contains(d, "default") || !strings.Contains(d, "always has one") {
		t.Errorf("detail: got %q, want it to explain the default policy", d)
	}
	r = s.do(request{method: "DELETE", path: policyPath(f.client, digits), bearer: tok})
	p = expectProblem(t, r, http.StatusUnprocessableEntity, "errors.undeletedDependencies")
	if d := p["detail"].(string); !strings.Contains(d, "default policy") {
		t.Errorf("detail: got %q, want it to name the default policy", d)
	}

	// A new card without policyExtId takes the new default; the old one is used by the fixture's card.
	r = s.do(request{method: "POST", path: s.cardsPath(f), bearer: tok, body: map[string]any{"extId": card2}})
	mustStatus(t, r, http.StatusCreated)
	if got := r.json(t)["policyExtId"]; got != digits {
		t.Errorf("policyExtId of a new card: got %v, want %s", got, digits)
	}
	r = s.do(request{method: "DELETE", path: policyPath(f.client, oldDefault), bearer: tok})
	p = expectProblem(t, r, http.StatusUnprocessableEntity, "errors.undeletedDependencies")
	if d := p["detail"].(string); !strings.Contains(d, "used by 1 OTP card") {
		t.Errorf("detail: got %q, want it to count the cards", d)
	}
	// Once its card is gone, the old default can go.
	mustStatus(t, s.do(request{method: "DELETE", path: s.cardPath(f), bearer: tok}), http.StatusNoContent)
	mustStatus(t, s.do(request{method: "DELETE", path: policyPath(f.client, oldDefault), bearer: tok}), http.StatusNoContent)
	expectProblem(t, s.do(request{method: "GET", path: policyPath(f.client, oldDefault), bearer: tok}), http.StatusNotFound, "errors.noRecord")
	expectProblem(t, s.do(request{method: "DELETE", path: policyPath(f.client, oldDefault), bearer: tok}), http.StatusNotFound, "errors.noRecord")

	// Creating a default policy moves the flag as well.
	m = s.createPolicy(t, f.client, map[string]any{"extId": third, "name": "Third", "description": "d",
		"policyType": "OTPCardPolicy", "defaultPolicy": true})
	if m["defaultPolicy"] != true || m["description"] != "d" {
		t.Errorf("third policy: got %v", m)
	}
	if got := s.defaultPolicyOf(t, f.client); got != third {
		t.Errorf("default: got %s, want %s", got, third)
	}

	// Every change is an event, in the same order, with the actor.
	wantEvents := map[string][]string{
		oldDefault: {"policy.created 1 tester", "policy.changed 2 tester", "policy.deleted 2 tester"},
		digits:     {"policy.created 1 tester", "policy.changed 2 tester", "policy.changed 3 tester", "policy.changed 4 tester", "policy.changed 5 tester", "policy.changed 6 tester"},
		third:      {"policy.created 1 tester"},
	}
	t.Run("in the database", func(t *testing.T) {
		for policy, want := range wantEvents {
			if got := s.policyEventsOf(t, policy); !slices.Equal(got, want) {
				t.Errorf("events of %s: got %v, want %v", policy, got, want)
			}
		}
	})
}

// TestPolicyShapesTheNextCard: a card replaced after its policy changed follows the policy as it
// is now; the smallest and the largest grids work, with both label formats.
func TestPolicyShapesTheNextCard(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "shape")
	tok := rootToken(t)
	policy := s.defaultPolicyOf(t, f.client)

	r := s.do(request{method: "PATCH", path: policyPath(f.client, policy), bearer: tok, body: map[string]any{
		"parameters": map[string]string{"rows": "3", "cols": "4", "cellLength": "6", "cellCharset": "digits",
			"coordinateCardFormat": "true"}}})
	mustStatus(t, r, http.StatusOK)
	r = s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{}})
	mustStatus(t, r, http.StatusOK)
	otp := r.json(t)["otp"].(string)
	if !regexp.MustCompile(`^3\|4\|0{12}\|[0-9]{72}$`).MatchString(otp) {
		t.Fatalf("otp after replace: got %q, want 3|4|twelve zeros|twelve six-digit cells", otp)
	}
	cells := cellsOf(t, otp)
	if len(cells) != 12 || len(cells[0]) != 6 {
		t.Fatalf("cells: got %d of length %d, want 12 of 6", len(cells), len(cells[0]))
	}
	coordinate := credential.Layout{Rows: 3, Cols: 4, CellLength: 6, Charset: credential.CharsetDigits, Coordinate: true}
	loginWith(t, s, f, tok, cells, coordinate, regexp.MustCompile(`^[A-D][1-3]$`))

	for _, tt := range []struct {
		name, user string
		params     map[string]string
		layout     credential.Layout
		label      *regexp.Regexp
	}{
		{"1x1", "shape-one", map[string]string{"rows": "1", "cols": "1", "cellLength": "6", "cellCharset": "digits"},
			credential.Layout{Rows: 1, Cols: 1, CellLength: 6, Charset: credential.CharsetDigits}, regexp.MustCompile(`^001$`)},
		{"99x26", "shape-big", map[string]string{"rows": "99", "cols": "26"},
			credential.Layout{Rows: 99, Cols: 26, CellLength: 4, Charset: credential.CharsetCrockford32}, regexp.MustCompile(`^[0-9]{4}$`)},
		{"99x26 coordinate", "shape-bigc", map[string]string{"rows": "99", "cols": "26", "coordinateCardFormat": "true"},
			credential.Layout{Rows: 99, Cols: 26, CellLength: 4, Charset: credential.CharsetCrockford32, Coordinate: true}, regexp.MustCompile(`^[A-Z][1-9][0-9]?$`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ss := s.bind(t)
			user := uid(tt.user)
			s.createPolicy(t, f.client, map[string]any{"extId": user + "-policy", "name": tt.name, "parameters": tt.params})
			mustStatus(t, ss.do(request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: tok,
				body: map[string]any{"extId": user, "loginId": user}}), http.StatusCreated)
			uf := fixture{client: f.client, user: user, card: user + "-card"}
			r := ss.do(request{method: "POST", path: ss.cardsPath(uf), bearer: tok,
				body: map[string]any{"extId": uf.card, "policyExtId": user + "-policy"}})
			mustStatus(t, r, http.StatusCreated)
			o, err := credential.ParseOTPString(r.json(t)["otp"].(string))
			if err != nil {
				t.Fatalf("otp: got %v, want it to parse", err)
			}
			n := tt.layout.Cells()
			if o.Rows != tt.layout.Rows || o.Cols != tt.layout.Cols || len(o.Cells) != n || len(o.Cells[n-1]) != tt.layout.CellLength {
				t.Fatalf("otp: got %dx%d with %d cells, want %dx%d with %d cells of %d", o.Rows, o.Cols, len(o.Cells),
					tt.layout.Rows, tt.layout.Cols, n, tt.layout.CellLength)
			}
			if got := r.json(t)["remainingChallenges"]; got != float64(n) {
				t.Errorf("remainingChallenges: got %v, want %d", got, n)
			}
			loginWith(t, ss, uf, tok, o.Cells, tt.layout, tt.label)
		})
	}
	// The labels of the largest numeric card run from 0001 to 2574.
	big := credential.Layout{Rows: 99, Cols: 26, CellLength: 4, Charset: credential.CharsetCrockford32}
	if first, last := big.Label(0), big.Label(2573); first != "0001" || last != "2574" {
		t.Errorf("labels of a 99x26 card: got %s..%s, want 0001..2574", first, last)
	}
}

// loginWith asks a challenge of the user's card, checks its label, and logs in with its cell.
func loginWith(t *testing.T, s *service, f fixture, tok string, cells []string, l credential.Layout, label *regexp.Regexp) {
	t.Helper()
	got := s.challenge(t, f, tok)
	if !label.MatchString(got) {
		t.Fatalf("challenge: got %q, want a label matching %s", got, label)
	}
	i, err := l.ParseLabel(got)
	if err != nil {
		t.Fatalf("challenge %q: %v", got, err)
	}
	if code := statusCodeOf(t, s.login(t, f, tok, got, cells[i])); code != credential.StatusLoginOK {
		t.Errorf("login with cell %s: got statusCode %d, want 5", got, code)
	}
}

// TestConcurrentDefaultMoves: ten PATCHes making ten policies the default at once all succeed,
// and exactly one default remains.
func TestConcurrentDefaultMoves(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "cdm")
	const n = 10
	for i := range n {
		s.createPolicy(t, f.client, map[string]any{"extId": uid("cdm-" + strconv.Itoa(i)), "name": "p" + strconv.Itoa(i)})
	}
	tok := rootToken(t)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := s.do(request{method: "PATCH", path: policyPath(f.client, uid("cdm-"+strconv.Itoa(i))), bearer: tok,
				body: map[string]any{"defaultPolicy": true}})
			statuses[i] = r.status
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Errorf("PATCH cdm-%d: got status %d, want 200", i, st)
		}
	}
	winner := s.defaultPolicyOf(t, f.client) // fails unless exactly one
	t.Run("in the database", func(t *testing.T) {
		var last string
		if err := s.sql(t).QueryRow(`SELECT policy_ext_id FROM events WHERE type = 'policy.changed' AND client_ext_id = $1
			ORDER BY id DESC LIMIT 1`, f.client).Scan(&last); err != nil || last != winner {
			t.Errorf("last change: got %s (%v), want the default %s", last, err, winner)
		}
	})
}
