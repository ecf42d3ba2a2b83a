package tests

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

const auditPath = "/otpcard/api/v1/audit-events"

// auditEvents waits until the audit trail answers query with at least n events, and returns them.
func (s *service) auditEvents(t *testing.T, query url.Values, n int) []map[string]any {
	t.Helper()
	tok := token(t, jwtauth.MintOptions{Roles: []string{"Auditor"}})
	deadline := time.Now().Add(15 * time.Second)
	for {
		var items []map[string]any
		q := query
		for {
			r := s.do(request{method: "GET", path: auditPath + "?" + q.Encode(), bearer: tok})
			mustStatus(t, r, http.StatusOK)
			m := r.json(t)
			for _, it := range m["items"].([]any) {
				items = append(items, it.(map[string]any))
			}
			next, _ := m["_pagination"].(map[string]any)["continuationToken"].(string)
			if next == "" {
				break
			}
			q = url.Values{}
			for k, v := range query {
				q[k] = v
			}
			q.Set("continuationToken", next)
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
	s := startService(t)
	tok := rootToken(t)
	f := s.newFixture(t, "aud")
	r := s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{}, headers: map[string]string{"X-Request-Id": "req-replace-1"}})
	mustStatus(t, r, http.StatusOK)
	newCells := cellsOf(t, r.json(t)["otp"].(string))
	label := s.challenge(t, f, tok)
	statusCodeOf(t, s.login(t, f, tok, label, answer(t, newCells, label)))
	statusCodeOf(t, s.login(t, f, tok, s.challenge(t, f, tok), "0000"))
	statusCodeOf(t, s.login(t, f, tok, s.challenge(t, f, tok), "0000")) // tmp-locks with the default policy
	mustStatus(t, s.do(request{method: "PATCH", path: s.cardPath(f), bearer: tok, body: map[string]any{"stateName": "active"}}), http.StatusOK)
	mustStatus(t, s.do(request{method: "DELETE", path: s.cardPath(f), bearer: tok}), http.StatusNoContent)

	want := []string{"client.created", "policy.created", "user.created", "otp-card.created", "otp-card.replaced",
		"otp-card.challenge-issued", "otp-card.login-succeeded", "otp-card.challenge-issued", "otp-card.login-failed",
		"otp-card.challenge-issued", "otp-card.login-failed", "otp-card.locked", "otp-card.state-changed", "otp-card.deleted"}
	items := s.auditEvents(t, url.Values{"clientExtId": {f.client}}, len(want))
	if len(items) != len(want) {
		t.Fatalf("got %d audit events, want %d: %v", len(items), len(want), items)
	}
	lastID := 0.0
	for i, it := range items {
		if it["type"] != want[i] {
			t.Errorf("event %d: got %v, want %s", i, it["type"], want[i])
		}
		actor := it["actor"].(map[string]any)
		if actor["subject"] != "tester" || actor["mode"] != "admin" {
			t.Errorf("event %d actor: got %v, want tester/admin", i, actor)
		}
		if it["clientExtId"] != f.client || it["version"] == nil || it["time"] == nil {
			t.Errorf("event %d: got %v, want client, version and time", i, it)
		}
		if strings.HasPrefix(want[i], "otp-card.") && (it["credentialExtId"] != f.card || it["userExtId"] != f.user) {
			t.Errorf("event %d: got %v, want the card and its user", i, it)
		}
		if id := it["id"].(float64); id <= lastID {
			t.Errorf("event %d: id %v not after %v", i, id, lastID)
		} else {
			lastID = id
		}
	}
	if items[4]["requestId"] != "req-replace-1" {
		t.Errorf("replaced event request id: got %v, want req-replace-1", items[4]["requestId"])
	}

	// Filters.
	if got := s.auditEvents(t, url.Values{"credentialExtId": {f.card}, "type": {"otp-card.login-failed"}}, 2); len(got) != 2 {
		t.Errorf("type and credential filter: got %d events, want 2", len(got))
	}
	if got := s.auditEvents(t, url.Values{"userExtId": {f.user}}, 12); len(got) != 12 {
		t.Errorf("user filter: got %d events, want 12", len(got))
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if got := s.auditEvents(t, url.Values{"since": {future}}, 0); len(got) != 0 {
		t.Errorf("since in the future: got %d events, want 0", len(got))
	}
	// Pagination: limit 3 walks the same events.
	if got := s.auditEvents(t, url.Values{"clientExtId": {f.client}, "limit": {"3"}}, len(want)); len(got) != len(want) {
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
	s := startService(t)
	a := s.newFixture(t, "ra")
	b := s.newFixture(t, "rb")
	s.auditEvents(t, url.Values{"clientExtId": {b.client}}, 4)
	get := func(query string, tok string) response {
		return s.do(request{method: "GET", path: auditPath + query, bearer: tok})
	}
	auditor := token(t, jwtauth.MintOptions{Roles: []string{"Auditor"}})
	roomA := token(t, jwtauth.MintOptions{Permissions: []string{"AccessControl.AuditView"}, Clients: []string{a.client}, HasClients: true})
	cases := []struct {
		name   string
		r      response
		status int
		code   string
	}{
		{"no token", get("", ""), 401, "errors.notAuthenticated"},
		{"without AuditView", get("", token(t, jwtauth.MintOptions{Roles: []string{"Helpdesk"}})), 403, "errors.permissionDenied"},
		{"self-admin", s.do(request{method: "GET", path: auditPath, xToken: selfToken(t, a.user, 0)}), 403, "errors.permissionDenied"},
		{"client outside the data room", get("?clientExtId="+b.client, roomA), 403, "errors.dataroomPermissionDenied"},
		{"bad since", get("?since=yesterday", auditor), 400, "errors.invalidData"},
		{"unknown type", get("?type=otp-card.stolen", auditor), 400, "errors.invalidData"},
		{"bad client id", get("?clientExtId=a%20b", auditor), 400, "errors.invalidData"},
		{"limit 0", get("?limit=0", auditor), 400, "errors.invalidData"},
		{"bad token", get("?continuationToken=xyz", auditor), 400, "errors.invalidData"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expectProblem(t, c.r, c.status, c.code) })
	}
	t.Run("data room filters the list", func(t *testing.T) {
		r := get("", roomA)
		mustStatus(t, r, http.StatusOK)
		for _, it := range r.json(t)["items"].([]any) {
			if c := it.(map[string]any)["clientExtId"]; c != a.client {
				t.Errorf("got an event of client %v, want only %s", c, a.client)
			}
		}
	})
}

// TestAuditCoversEveryEventType adds the directory and policy changes and a card running low on
// challenges, so that together with TestAuditTrailRecordsEveryChange every type of API.md
// section 7 is seen in the trail.
func TestAuditCoversEveryEventType(t *testing.T) {
	s := startService(t)
	tok := rootToken(t)
	f := s.newFixture(t, "all")
	r := s.do(request{method: "GET", path: corePath + "/clients/" + f.client + "/policies", bearer: tok})
	mustStatus(t, r, http.StatusOK)
	policy := r.json(t)["items"].([]any)[0].(map[string]any)["extId"].(string)
	mustStatus(t, s.do(request{method: "PATCH", path: corePath + "/" + f.client + "/policies/" + policy, bearer: tok,
		body: map[string]any{"parameters": map[string]string{"lowOnChallengesThreshold": "167"}}}), http.StatusOK)
	label := s.challenge(t, f, tok)
	if got := statusCodeOf(t, s.login(t, f, tok, label, answer(t, f.cells, label))); got != 5 {
		t.Fatalf("login: got %d, want 5", got)
	}
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/" + f.client + "/policies", bearer: tok,
		body: map[string]any{"extId": uid("all-extra"), "name": "Extra"}}), http.StatusCreated)
	mustStatus(t, s.do(request{method: "DELETE", path: corePath + "/" + f.client + "/policies/" + uid("all-extra"), bearer: tok}), http.StatusNoContent)
	mustStatus(t, s.do(request{method: "PATCH", path: corePath + "/" + f.client + "/users/" + f.user, bearer: tok,
		body: map[string]any{"remarks": "moved"}}), http.StatusOK)
	mustStatus(t, s.do(request{method: "DELETE", path: corePath + "/" + f.client + "/users/" + f.user, bearer: tok}), http.StatusNoContent)
	mustStatus(t, s.do(request{method: "PATCH", path: corePath + "/clients/" + f.client, bearer: tok,
		body: map[string]any{"remarks": "closing"}}), http.StatusOK)
	mustStatus(t, s.do(request{method: "DELETE", path: corePath + "/clients/" + f.client, bearer: tok}), http.StatusNoContent)

	items := s.auditEvents(t, url.Values{"clientExtId": {f.client}}, 16)
	seen := map[string]int{}
	for _, it := range items {
		seen[it["type"].(string)]++
	}
	for _, typ := range []string{"client.created", "client.changed", "client.deleted", "user.created", "user.changed",
		"user.deleted", "policy.created", "policy.changed", "policy.deleted", "otp-card.created",
		"otp-card.challenge-issued", "otp-card.login-succeeded", "otp-card.low-on-challenges", "otp-card.deleted"} {
		if seen[typ] == 0 {
			t.Errorf("no %s event in the trail; got %v", typ, seen)
		}
	}
	for _, it := range items {
		if it["type"] == "otp-card.low-on-challenges" {
			if d, _ := it["data"].(map[string]any); d["remainingChallenges"] != "167" {
				t.Errorf("low-on-challenges data: got %v, want remainingChallenges 167", d)
			}
		}
	}
}
