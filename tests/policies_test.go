package tests

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
)

// defaultParameterMap is the parameters member of a policy with every default (API.md 5.2).
var defaultParameterMap = map[string]string{"rows": "12", "cols": "14", "cellLength": "4",
	"cellCharset": "crockford32", "coordinateCardFormat": "false", "credentialLifetime": "315360000000",
	"maxCredFailureCount": "3", "tmpLockingThreshold": "2", "tmpLockingDuration": "60000",
	"tmpLockingMode": "strict", "lowOnChallengesThreshold": "20", "cellReuse": "false",
	"challengeSize": "1", "sortChallenge": "false", "fallbackAllowed": "true", "fallbackTransitionPeriod": "14",
	"renewWhenLowOnChallenges": "true", "closeToExpirationThreshold": "10", "renewWhenCloseToExpiration": "false"}

// withParams is the default parameter map with some replaced.
func withParams(kv ...string) map[string]string {
	m := maps.Clone(defaultParameterMap)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// defaultPolicyOf returns the key of the client's default policy, read from the list.
func (s *service) defaultPolicyOf(t *testing.T, clientID string) client.PolicyKey {
	t.Helper()
	var found []string
	for _, p := range s.root(t).ListPolicies(t, clientID, client.Page{}).Want(t, http.StatusOK).Items {
		if p.DefaultPolicy {
			found = append(found, p.ExtID)
		}
	}
	if len(found) != 1 {
		t.Fatalf("default policies of %s: got %v, want exactly one", clientID, found)
	}
	return client.PolicyKey{Client: clientID, Policy: found[0]}
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
	t.Parallel()
	s, f, api := startWithFixture(t, "pl")
	oldDefault := s.defaultPolicyOf(t, f.Client)
	digits, third := client.PolicyKey{Client: f.Client, Policy: uid("pl-digits")}, client.PolicyKey{Client: f.Client, Policy: uid("pl-third")}

	// The default policy created with the client.
	r := api.GetPolicy(t, oldDefault)
	m := r.Want(t, http.StatusOK)
	if m.ClientExtID != f.Client || m.PolicyType != "OTPCardPolicy" || !m.DefaultPolicy || m.Version != 1 || m.Name == "" {
		t.Errorf("default policy: got %+v", m)
	}
	if !maps.Equal(m.Parameters, defaultParameterMap) {
		t.Errorf("default parameters: got %v, want %v", m.Parameters, defaultParameterMap)
	}
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}

	// Create: Location, defaults filled in, no description member when there is none.
	r = api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: digits.Policy, Name: "Digits", Parameters: map[string]string{
		"cellCharset": "digits", "cellLength": "6", "maxCredFailureCount": "5"}})
	m = r.Want(t, http.StatusCreated)
	if got, want := r.Header.Get("Location"), digits.Path(); got != want {
		t.Errorf("Location: got %q, want %q", got, want)
	}
	if d, ok := r.JSON(t)["description"]; ok {
		t.Errorf("description: got %v, want the member omitted", d)
	}
	if m.ExtID != digits.Policy || m.DefaultPolicy || m.Version != 1 || m.PolicyType != "OTPCardPolicy" || m.ClientExtID != f.Client ||
		m.Created != m.LastModified {
		t.Errorf("created policy: got %+v", m)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(m.Created) {
		t.Errorf("created: got %v, want RFC 3339 UTC with seconds", m.Created)
	}
	wantParams := withParams("cellCharset", "digits", "cellLength", "6", "maxCredFailureCount", "5")
	if !maps.Equal(m.Parameters, wantParams) {
		t.Errorf("parameters: got %v, want %v", m.Parameters, wantParams)
	}
	if got := api.Do(t, client.Request{Method: "GET", Path: r.Header.Get("Location")}); !equalJSON(got.JSON(t), r.JSON(t)) {
		t.Errorf("GET Location: got %s, want the create response", got.Body)
	}

	// PATCH texts with the version as a string, then parameters replaced whole with it as a number.
	m = api.PatchPolicy(t, digits, client.PolicyPatch{Name: client.Ptr("Digits v2"), Description: client.Ptr("six digits"), Version: "1"}).
		Want(t, http.StatusOK)
	if m.Name != "Digits v2" || m.Description != "six digits" || m.Version != 2 {
		t.Errorf("after PATCH of texts: got %+v", m)
	}
	if !maps.Equal(m.Parameters, wantParams) {
		t.Errorf("parameters after a PATCH without them: got %v, want them kept %v", m.Parameters, wantParams)
	}
	r = api.PatchPolicy(t, digits, client.PolicyPatch{Parameters: map[string]string{"cellLength": "8", "tmpLockingMode": "threshold"}, Version: 2})
	m = r.Want(t, http.StatusOK)
	if want := withParams("cellLength", "8", "tmpLockingMode", "threshold"); !maps.Equal(m.Parameters, want) {
		t.Errorf("parameters replaced whole: got %v, want %v (names left out back at their defaults)", m.Parameters, want)
	}
	if m.Version != 3 || m.Description != "six digits" {
		t.Errorf("after PATCH of parameters: got %+v", m)
	}
	// An empty PATCH changes nothing and keeps the version.
	empty := api.PatchPolicy(t, digits, client.PolicyPatch{})
	if empty.WantStatus(t, http.StatusOK); !equalJSON(empty.JSON(t), r.JSON(t)) {
		t.Errorf("empty PATCH: got %s, want %s unchanged", empty.Body, r.Body)
	}
	// null clears the description; parameters null means every default.
	nulls := api.Do(t, client.Request{Method: "PATCH", Path: digits.Path(), Body: []byte(`{"description": null, "parameters": null}`)})
	nulls.WantStatus(t, http.StatusOK)
	m = client.Decode[client.Policy](t, nulls)
	if _, ok := nulls.JSON(t)["description"]; ok || !maps.Equal(m.Parameters, defaultParameterMap) || m.Version != 4 {
		t.Errorf("PATCH with nulls: got %s, want no description, default parameters, version 4", nulls.Body)
	}

	// Making it the default moves the flag: the old default changes too.
	m = api.PatchPolicy(t, digits, client.PolicyPatch{DefaultPolicy: client.Ptr(true)}).Want(t, http.StatusOK)
	if !m.DefaultPolicy || m.Version != 5 {
		t.Errorf("new default: got %+v", m)
	}
	if got := s.defaultPolicyOf(t, f.Client); got != digits {
		t.Errorf("default: got %s, want %s", got.Policy, digits.Policy)
	}
	if old := api.GetPolicy(t, oldDefault).Want(t, http.StatusOK); old.DefaultPolicy || old.Version != 2 {
		t.Errorf("old default: got %+v, want defaultPolicy false at version 2", old)
	}

	// The default cannot be unset nor deleted: a client always has one.
	p := api.PatchPolicy(t, digits, client.PolicyPatch{DefaultPolicy: client.Ptr(false)}).
		WantProblem(t, http.StatusUnprocessableEntity, "errors.modifyReadonlyData")
	if d := p.Detail; !strings.Contains(d, "default") || !strings.Contains(d, "always has one") {
		t.Errorf("detail: got %q, want it to explain the default policy", d)
	}
	p = api.DeletePolicy(t, digits).WantProblem(t, http.StatusUnprocessableEntity, "errors.undeletedDependencies")
	if d := p.Detail; !strings.Contains(d, "default policy") {
		t.Errorf("detail: got %q, want it to name the default policy", d)
	}

	// A new card without policyExtId takes the new default; the old one is used by the fixture's card.
	if got := api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: uid("pl-card2")}).Want(t, http.StatusCreated).PolicyExtID; got != digits.Policy {
		t.Errorf("policyExtId of a new card: got %v, want %s", got, digits.Policy)
	}
	p = api.DeletePolicy(t, oldDefault).WantProblem(t, http.StatusUnprocessableEntity, "errors.undeletedDependencies")
	if d := p.Detail; !strings.Contains(d, "used by 1 OTP card") {
		t.Errorf("detail: got %q, want it to count the cards", d)
	}
	// Once its card is gone, the old default can go.
	api.DeleteCard(t, f.CardKey).Want(t, http.StatusNoContent)
	api.DeletePolicy(t, oldDefault).Want(t, http.StatusNoContent)
	api.GetPolicy(t, oldDefault).WantProblem(t, http.StatusNotFound, "errors.noRecord")
	api.DeletePolicy(t, oldDefault).WantProblem(t, http.StatusNotFound, "errors.noRecord")

	// Creating a default policy moves the flag as well.
	m = api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: third.Policy, Name: "Third", Description: "d",
		PolicyType: "OTPCardPolicy", DefaultPolicy: true}).Want(t, http.StatusCreated)
	if !m.DefaultPolicy || m.Description != "d" {
		t.Errorf("third policy: got %+v", m)
	}
	if got := s.defaultPolicyOf(t, f.Client); got != third {
		t.Errorf("default: got %s, want %s", got.Policy, third.Policy)
	}

	// Every change is an event, in the same order, with the actor.
	wantEvents := map[string][]string{
		oldDefault.Policy: {"policy.created 1 tester", "policy.changed 2 tester", "policy.deleted 2 tester"},
		digits.Policy:     {"policy.created 1 tester", "policy.changed 2 tester", "policy.changed 3 tester", "policy.changed 4 tester", "policy.changed 5 tester", "policy.changed 6 tester"},
		third.Policy:      {"policy.created 1 tester"},
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
	t.Parallel()
	s, f, api := startWithFixture(t, "shape")

	api.PatchPolicy(t, s.defaultPolicyOf(t, f.Client), client.PolicyPatch{Parameters: map[string]string{
		"rows": "3", "cols": "4", "cellLength": "6", "cellCharset": "digits", "coordinateCardFormat": "true"}}).Want(t, http.StatusOK)
	otp := api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK).OTP
	if !regexp.MustCompile(`^3\|4\|0{12}\|[0-9]{72}$`).MatchString(otp) {
		t.Fatalf("otp after replace: got %q, want 3|4|twelve zeros|twelve six-digit cells", otp)
	}
	cells := cellsOf(t, otp)
	if len(cells) != 12 || len(cells[0]) != 6 {
		t.Fatalf("cells: got %d of length %d, want 12 of 6", len(cells), len(cells[0]))
	}
	coordinate := credential.Layout{Rows: 3, Cols: 4, CellLength: 6, Charset: credential.CharsetDigits, Coordinate: true}
	loginWith(t, api, f.UserKey(), cells, coordinate, regexp.MustCompile(`^[A-D][1-3]$`))

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
			t.Parallel()
			user := client.UserKey{Client: f.Client, User: uid(tt.user)}
			api := s.root(t)
			api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: user.User + "-policy", Name: tt.name, Parameters: tt.params}).
				Want(t, http.StatusCreated)
			api.CreateUser(t, f.Client, client.UserCreate{ExtID: user.User, LoginID: user.User}).Want(t, http.StatusCreated)
			r := api.CreateCard(t, user, client.CredentialCreate{ExtID: user.User + "-card", PolicyExtID: user.User + "-policy"})
			card := r.Want(t, http.StatusCreated)
			o, err := credential.ParseOTPString(card.OTP)
			if err != nil {
				t.Fatalf("otp: got %v, want it to parse", err)
			}
			n := tt.layout.Cells()
			if o.Rows != tt.layout.Rows || o.Cols != tt.layout.Cols || len(o.Cells) != n || len(o.Cells[n-1]) != tt.layout.CellLength {
				t.Fatalf("otp: got %dx%d with %d cells, want %dx%d with %d cells of %d", o.Rows, o.Cols, len(o.Cells),
					tt.layout.Rows, tt.layout.Cols, n, tt.layout.CellLength)
			}
			if card.RemainingChallenges != n {
				t.Errorf("remainingChallenges: got %v, want %d", card.RemainingChallenges, n)
			}
			loginWith(t, api, user, o.Cells, tt.layout, tt.label)
		})
	}
	// The labels of the largest numeric card run from 0001 to 2574.
	big := credential.Layout{Rows: 99, Cols: 26, CellLength: 4, Charset: credential.CharsetCrockford32}
	if first, last := big.Label(0), big.Label(2573); first != "0001" || last != "2574" {
		t.Errorf("labels of a 99x26 card: got %s..%s, want 0001..2574", first, last)
	}
}

// loginWith asks a challenge of the user's card, checks its label, and logs in with its cell.
func loginWith(t *testing.T, api *client.API, user client.UserKey, cells []string, l credential.Layout, label *regexp.Regexp) {
	t.Helper()
	got := challenge(t, api, user)
	if !label.MatchString(got) {
		t.Fatalf("challenge: got %q, want a label matching %s", got, label)
	}
	i, err := l.ParseLabel(got)
	if err != nil {
		t.Fatalf("challenge %q: %v", got, err)
	}
	if code := logIn(t, api, user, got, cells[i]); code != credential.StatusLoginOK {
		t.Errorf("login with cell %s: got statusCode %d, want 5", got, code)
	}
}

// TestConcurrentDefaultMoves: ten PATCHes making ten policies the default at once all succeed,
// and exactly one default remains.
func TestConcurrentDefaultMoves(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "cdm")
	const n = 10
	policy := func(i int) client.PolicyKey {
		return client.PolicyKey{Client: f.Client, Policy: uid("cdm-" + strconv.Itoa(i))}
	}
	for i := range n {
		api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: policy(i).Policy, Name: "p" + strconv.Itoa(i)}).Want(t, http.StatusCreated)
	}
	statuses := atOnce(n, func(i int) int {
		return api.PatchPolicy(t, policy(i), client.PolicyPatch{DefaultPolicy: client.Ptr(true)}).Status
	})
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Errorf("PATCH cdm-%d: got status %d, want 200", i, st)
		}
	}
	winner := s.defaultPolicyOf(t, f.Client) // fails unless exactly one
	t.Run("in the database", func(t *testing.T) {
		var last string
		if err := s.sql(t).QueryRow(`SELECT policy_ext_id FROM events WHERE type = 'policy.changed' AND client_ext_id = $1
			ORDER BY id DESC LIMIT 1`, f.Client).Scan(&last); err != nil || last != winner.Policy {
			t.Errorf("last change: got %s (%v), want the default %s", last, err, winner.Policy)
		}
	})
}
