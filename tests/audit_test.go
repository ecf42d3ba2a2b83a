package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// auditEvents waits until the audit trail answers q with at least n events, and returns them all,
// page after page.
func (s *service) auditEvents(t *testing.T, q client.AuditQuery, n int) []client.AuditEvent {
	t.Helper()
	api := s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Auditor"}}))
	deadline := time.Now().Add(15 * time.Second)
	for {
		var items []client.AuditEvent
		page := q
		for {
			l := api.AuditEvents(t, page).Want(t, http.StatusOK)
			items = append(items, l.Items...)
			if l.Pagination.ContinuationToken == "" {
				break
			}
			page.ContinuationToken = l.Pagination.ContinuationToken
		}
		if len(items) >= n || time.Now().After(deadline) {
			return items
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestAuditTrailRecordsEveryChange drives the life of a card and checks that every event type
// it causes reaches the audit trail with the listed fields, in order, and without secrets.
func TestAuditTrailRecordsEveryChange(t *testing.T) {
	t.Parallel()
	s := startService(t)
	tok := rootToken(t)
	api := s.api.As(tok)
	f := s.newFixture(t, "aud")
	user := f.UserKey()
	newCells := cellsOf(t, api.ReplaceCard(t, f.CardKey, client.CredentialReplace{},
		client.Header("X-Request-Id", "req-replace-1")).Want(t, http.StatusOK).OTP)
	label := challenge(t, api, user)
	logIn(t, api, user, label, answer(t, newCells, label))
	logIn(t, api, user, challenge(t, api, user), "0000")
	logIn(t, api, user, challenge(t, api, user), "0000") // tmp-locks with the default policy
	api.PatchCard(t, f.CardKey, client.CredentialPatch{StateName: client.Ptr("active")}).Want(t, http.StatusOK)
	api.DeleteCard(t, f.CardKey).Want(t, http.StatusNoContent)

	want := []string{"client.created", "policy.created", "user.created", "otp-card.created", "otp-card.replaced",
		"otp-card.challenge-issued", "otp-card.login-succeeded", "otp-card.challenge-issued", "otp-card.login-failed",
		"otp-card.challenge-issued", "otp-card.login-failed", "otp-card.locked", "otp-card.state-changed", "otp-card.deleted"}
	items := s.auditEvents(t, client.AuditQuery{ClientExtID: f.Client}, len(want))
	if len(items) != len(want) {
		t.Fatalf("got %d audit events, want %d: %+v", len(items), len(want), items)
	}
	var lastID int64
	for i, it := range items {
		if it.Type != want[i] {
			t.Errorf("event %d: got %v, want %s", i, it.Type, want[i])
		}
		if it.Actor.Subject != "tester" || it.Actor.Mode != "admin" {
			t.Errorf("event %d actor: got %+v, want tester/admin", i, it.Actor)
		}
		if it.ClientExtID != f.Client || it.Version == 0 || it.Time == "" {
			t.Errorf("event %d: got %+v, want client, version and time", i, it)
		}
		if strings.HasPrefix(want[i], "otp-card.") && (it.CredentialExtID != f.Card || it.UserExtID != f.User) {
			t.Errorf("event %d: got %+v, want the card and its user", i, it)
		}
		if it.ID <= lastID {
			t.Errorf("event %d: id %v not after %v", i, it.ID, lastID)
		} else {
			lastID = it.ID
		}
	}
	if items[4].RequestID != "req-replace-1" {
		t.Errorf("replaced event request id: got %v, want req-replace-1", items[4].RequestID)
	}

	// Filters.
	if got := s.auditEvents(t, client.AuditQuery{CredentialExtID: f.Card, Type: "otp-card.login-failed"}, 2); len(got) != 2 {
		t.Errorf("type and credential filter: got %d events, want 2", len(got))
	}
	if got := s.auditEvents(t, client.AuditQuery{UserExtID: f.User}, 12); len(got) != 12 {
		t.Errorf("user filter: got %d events, want 12", len(got))
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if got := s.auditEvents(t, client.AuditQuery{Since: future}, 0); len(got) != 0 {
		t.Errorf("since in the future: got %d events, want 0", len(got))
	}
	// Pagination: limit 3 walks the same events.
	if got := s.auditEvents(t, client.AuditQuery{ClientExtID: f.Client, Page: client.Page{Limit: 3}}, len(want)); len(got) != len(want) {
		t.Errorf("paged walk: got %d events, want %d", len(got), len(want))
	}

	// No secret in the event log or the audit trail: no cell of either card, no token.
	t.Run("in the database", func(t *testing.T) {
		db := s.sql(t)
		var dump string
		if err := db.QueryRow(`SELECT coalesce(string_agg(to_jsonb(e)::text, ' '), '') FROM events e`).Scan(&dump); err != nil {
			t.Fatal(err)
		}
		var trail string
		if err := db.QueryRow(`SELECT coalesce(string_agg(to_jsonb(a)::text, ' '), '') FROM audit_events a`).Scan(&trail); err != nil {
			t.Fatal(err)
		}
		for _, text := range []string{dump, trail} {
			if strings.Contains(text, tok) || strings.Contains(text, strings.Join(newCells, "")) {
				t.Error("a token or a card appears in the events")
			}
			for _, c := range append(f.cells, newCells...) {
				if strings.ContainsAny(c, "ABCDEFGHJKMNPQRSTVWXYZ") && strings.Contains(text, `"`+c+`"`) {
					t.Errorf("cell %s appears in the events", c)
				}
			}
		}
		if _, err := db.Exec(`DELETE FROM audit_events`); err == nil {
			t.Error("audit_events accepted a DELETE; want it append-only")
		}
	})
}

// TestAuditMatrix covers the audit endpoint's refusals and its data room.
func TestAuditMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	a := s.newFixture(t, "ra")
	b := s.newFixture(t, "rb")
	s.auditEvents(t, client.AuditQuery{ClientExtID: b.Client}, 4)
	auditor := withRoles("Auditor")
	roomA := bearer(fixed(func(t *testing.T) string {
		return token(t, jwtauth.MintOptions{Permissions: []string{"AccessControl.AuditView"}, Clients: []string{a.Client}, HasClients: true})
	}))
	query := func(q string) func(*testing.T, *client.API, fixture) client.Response {
		return raw("GET", at(client.AuditPath+q), "")
	}
	runMatrix(t, s, "", &a, []row{
		{name: "no token", as: anonymous, send: query(""), status: 401, code: "errors.notAuthenticated"},
		{name: "without AuditView", as: withRoles("Helpdesk"), send: query(""), status: 403, code: "errors.permissionDenied"},
		{name: "self-admin", as: owner(0), send: query(""), status: 403, code: "errors.permissionDenied"},
		{name: "client outside the data room", as: roomA, send: query("?clientExtId=" + b.Client), status: 403,
			code: "errors.dataroomPermissionDenied"},
		{name: "bad since", as: auditor, send: query("?since=yesterday"), status: 400, code: "errors.invalidData"},
		{name: "unknown type", as: auditor, send: query("?type=otp-card.stolen"), status: 400, code: "errors.invalidData"},
		{name: "bad client id", as: auditor, send: query("?clientExtId=a%20b"), status: 400, code: "errors.invalidData"},
		{name: "limit 0", as: auditor, send: query("?limit=0"), status: 400, code: "errors.invalidData"},
		{name: "bad token", as: auditor, send: query("?continuationToken=xyz"), status: 400, code: "errors.invalidData"},
		{name: "data room filters the list", as: roomA, send: query(""), status: 200, check: func(t *testing.T, r client.Response, _ fixture) {
			for _, it := range client.Decode[client.List[client.AuditEvent]](t, r).Items {
				if it.ClientExtID != a.Client {
					t.Errorf("got an event of client %v, want only %s", it.ClientExtID, a.Client)
				}
			}
		}},
	})
}

// TestAuditCoversEveryEventType adds the directory and policy changes and a card running low on
// challenges, so that together with TestAuditTrailRecordsEveryChange every type of API.md
// section 7 is seen in the trail.
func TestAuditCoversEveryEventType(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "all")
	policy := api.ListPolicies(t, f.Client, client.Page{}).Want(t, http.StatusOK).Items[0].ExtID
	api.PatchPolicy(t, client.PolicyKey{Client: f.Client, Policy: policy},
		client.PolicyPatch{Parameters: map[string]string{"lowOnChallengesThreshold": "167"}}).Want(t, http.StatusOK)
	label := challenge(t, api, f.UserKey())
	if got := logIn(t, api, f.UserKey(), label, answer(t, f.cells, label)); got != 5 {
		t.Fatalf("login: got %d, want 5", got)
	}
	extra := client.PolicyKey{Client: f.Client, Policy: uid("all-extra")}
	api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: extra.Policy, Name: "Extra"}).Want(t, http.StatusCreated)
	api.DeletePolicy(t, extra).Want(t, http.StatusNoContent)
	api.PatchUser(t, f.UserKey(), client.UserPatch{Remarks: client.Ptr("moved")}).Want(t, http.StatusOK)
	api.DeleteUser(t, f.UserKey()).Want(t, http.StatusNoContent)
	api.PatchClient(t, f.Client, client.ClientPatch{Remarks: client.Ptr("closing")}).Want(t, http.StatusOK)
	api.DeleteClient(t, f.Client).Want(t, http.StatusNoContent)

	items := s.auditEvents(t, client.AuditQuery{ClientExtID: f.Client}, 16)
	seen := map[string]int{}
	for _, it := range items {
		seen[it.Type]++
	}
	for _, typ := range []string{"client.created", "client.changed", "client.deleted", "user.created", "user.changed",
		"user.deleted", "policy.created", "policy.changed", "policy.deleted", "otp-card.created",
		"otp-card.challenge-issued", "otp-card.login-succeeded", "otp-card.low-on-challenges", "otp-card.deleted"} {
		if seen[typ] == 0 {
			t.Errorf("no %s event in the trail; got %v", typ, seen)
		}
	}
	for _, it := range items {
		if it.Type == "otp-card.low-on-challenges" && it.Data["remainingChallenges"] != "167" {
			t.Errorf("low-on-challenges data: got %v, want remainingChallenges 167", it.Data)
		}
	}
}
