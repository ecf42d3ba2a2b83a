package tests

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// TestClientChangeFlow changes a client member by member and checks what stays, the version
// and the events.
func TestClientChangeFlow(t *testing.T) {
	s := startService(t)
	tok := rootToken(t)
	flow, name, renamed := uid("flow"), uid("Flow"), uid("Flow 2")
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/clients", bearer: tok,
		body: map[string]any{"extId": flow, "name": name, "remarks": "r0", "displayName": map[string]string{"EN": "Flow Ltd"}}}), 201)
	path := corePath + "/clients/" + flow
	patch := func(t *testing.T, tok string, body any) map[string]any {
		t.Helper()
		r := s.bind(t).do(request{method: "PATCH", path: path, bearer: tok, body: body})
		mustStatus(t, r, http.StatusOK)
		return r.json(t)
	}
	before := s.entity(t, "/clients/"+flow)
	time.Sleep(1100 * time.Millisecond) // lastModified has seconds precision on the wire

	got := patch(t, permsToken(t, "ClientModify"), map[string]any{"name": renamed, "version": 1, "modificationComment": "renamed"})
	want := map[string]any{"extId": flow, "name": renamed, "remarks": "r0", "displayName": map[string]any{"EN": "Flow Ltd"},
		"created": before["created"], "lastModified": got["lastModified"], "version": float64(2)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after renaming: got %v, want %v", got, want)
	}
	if got["lastModified"] == before["lastModified"] {
		t.Errorf("lastModified: got %v unchanged, want a later time", got["lastModified"])
	}
	if read := s.entity(t, "/clients/"+flow); !reflect.DeepEqual(read, got) {
		t.Errorf("GET after PATCH: got %v, want the PATCH response %v", read, got)
	}

	got = patch(t, roleToken(t, "ClientRoot"), map[string]any{"displayName": map[string]string{"DE": "Flow AG"}, "version": "2"})
	if got["version"] != float64(3) || !reflect.DeepEqual(got["displayName"], map[string]any{"DE": "Flow AG"}) || got["name"] != renamed {
		t.Errorf("after replacing displayName: got %v, want version 3, displayName {DE} alone, name kept", got)
	}
	got = patch(t, token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{flow}}), `{"displayName":null,"remarks":null}`)
	if _, ok := got["displayName"]; ok || got["remarks"] != nil || got["version"] != float64(4) {
		t.Errorf("after clearing with null: got %v, want no displayName, no remarks, version 4", got)
	}
	// A PATCH that changes nothing changes nothing: no version, no event (API.md section 1).
	for _, body := range []any{map[string]any{}, map[string]any{"name": renamed, "version": 4}, `{"displayName":null}`} {
		if again := patch(t, tok, body); !reflect.DeepEqual(again, got) {
			t.Errorf("after a PATCH that changes nothing (%v): got %v, want the client unchanged %v", body, again, got)
		}
	}
	// The old name is free again.
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/clients", bearer: tok, body: map[string]any{"name": name}}), 201)

	t.Run("in the database", func(t *testing.T) {
		if n := s.eventCount(t, "client.changed", flow, ""); n != 3 {
			t.Errorf("client.changed events: got %d, want 3 (one per PATCH that changed something)", n)
		}
		var data string
		if err := s.sql(t).QueryRow(`SELECT data->>'modificationComment' FROM events WHERE type = 'client.changed' AND version = 2 AND client_ext_id = $1`, flow).Scan(&data); err != nil || data != "renamed" {
			t.Errorf("modificationComment in the event: got %q (%v), want renamed", data, err)
		}
	})
}

// TestClientDeleteFlow: a client with users is kept; once its users are gone it is deleted with
// its policies, and events record both.
func TestClientDeleteFlow(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "cd")
	tok := rootToken(t)
	path := corePath + "/clients/" + f.client
	expectProblem(t, s.do(request{method: "DELETE", path: path, bearer: tok}), 422, "errors.undeletedDependencies")
	mustStatus(t, s.do(request{method: "DELETE", path: corePath + "/" + f.client + "/users/" + f.user, bearer: tok}), 204)
	r := s.do(request{method: "DELETE", path: path, bearer: permsToken(t, "ClientDelete")})
	mustStatus(t, r, http.StatusNoContent)
	if len(r.body) != 0 {
		t.Errorf("204 body: got %q, want none", r.body)
	}
	expectProblem(t, s.do(request{method: "GET", path: path, bearer: tok}), 404, "errors.noRecord")
	expectProblem(t, s.do(request{method: "DELETE", path: path, bearer: tok}), 404, "errors.noRecord")
	// A client inside a data room can be deleted by an admin of that room.
	room := uid("room")
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/clients", bearer: tok, body: map[string]any{"extId": room, "name": room}}), 201)
	mustStatus(t, s.do(request{method: "DELETE", path: corePath + "/clients/" + room,
		bearer: token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{room}})}), 204)

	t.Run("in the database", func(t *testing.T) {
		var policies int
		if err := s.sql(t).QueryRow("SELECT count(*) FROM policies WHERE client_ext_id = $1", f.client).Scan(&policies); err != nil || policies != 0 {
			t.Errorf("policies of the deleted client: got %d (%v), want 0", policies, err)
		}
		if n := s.eventCount(t, "client.deleted", f.client, ""); n != 1 {
			t.Errorf("client.deleted events: got %d, want 1", n)
		}
		if n := s.eventCount(t, "policy.deleted", f.client, ""); n != 1 {
			t.Errorf("policy.deleted events: got %d, want 1 (the default policy)", n)
		}
	})
}

// TestUserChangeFlow: members present replace the stored ones whole, absent ones stay, null
// clears; every PATCH bumps the version by one.
func TestUserChangeFlow(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "uf")
	g := s.newFixture(t, "ufg")
	path := corePath + "/" + f.client + "/users/" + f.user
	patch := func(t *testing.T, tok string, body any) map[string]any {
		t.Helper()
		r := s.bind(t).do(request{method: "PATCH", path: path, bearer: tok, body: body})
		mustStatus(t, r, http.StatusOK)
		return r.json(t)
	}
	tok := rootToken(t)
	got := patch(t, permsToken(t, "UserModify"), map[string]any{
		"name":     map[string]string{"title": "Dr", "firstName": "Jane", "familyName": "Doe"},
		"contacts": map[string]string{"email": "jane@example.com", "mobile": "+41791234567"},
		"address":  map[string]string{"city": "Bern", "countryCode": "CH"}, "remarks": "r", "languageCode": "de",
		"isTechnicalUser": false, "gender": "female", "birthDate": "1990-02-28", "properties": map[string]string{"k": "v"},
		"validity": map[string]string{"from": "2026-01-01T00:00:00+01:00"}, "version": 1})
	if got["version"] != float64(2) || got["loginId"] != f.login || got["userState"] != "active" || got["clientExtId"] != f.client ||
		got["isTechnicalUser"] != false || !reflect.DeepEqual(got["validity"], map[string]any{"from": "2025-12-31T23:00:00Z"}) {
		t.Errorf("after the first PATCH: got %v", got)
	}
	got = patch(t, roleToken(t, "UserAdmin"), map[string]any{"name": map[string]string{"familyName": "Roe"}, "contacts": map[string]string{"telephone": "+41441234567"}, "version": "2"})
	if !reflect.DeepEqual(got["name"], map[string]any{"familyName": "Roe"}) || !reflect.DeepEqual(got["contacts"], map[string]any{"telephone": "+41441234567"}) {
		t.Errorf("nested members: got name %v contacts %v, want each replaced whole", got["name"], got["contacts"])
	}
	if got["remarks"] != "r" || got["languageCode"] != "de" || got["gender"] != "female" || got["version"] != float64(3) ||
		!reflect.DeepEqual(got["address"], map[string]any{"city": "Bern", "countryCode": "CH"}) {
		t.Errorf("absent members: got %v, want remarks, languageCode, gender, address kept and version 3", got)
	}
	got = patch(t, token(t, jwtauth.MintOptions{Roles: []string{"UserAdmin"}, Clients: []string{f.client}}),
		`{"remarks":null,"address":null,"properties":null,"validity":null,"isTechnicalUser":null,"userState":"disabled","loginId":"`+g.login+`"}`)
	for _, m := range []string{"remarks", "address", "properties", "validity", "isTechnicalUser"} {
		if _, ok := got[m]; ok {
			t.Errorf("%s after null: got %v, want it absent", m, got[m])
		}
	}
	if got["userState"] != "disabled" || got["loginId"] != g.login || got["version"] != float64(4) {
		t.Errorf("got state %v loginId %v version %v, want disabled, %s (taken only in %s), 4", got["userState"], got["loginId"], got["version"], g.login, g.client)
	}
	if read := s.entity(t, "/"+f.client+"/users/"+f.user); !reflect.DeepEqual(read, got) {
		t.Errorf("GET after PATCH: got %v, want the PATCH response %v", read, got)
	}
	// A comment alone changes nothing stored: no version, no event.
	if again := patch(t, tok, map[string]any{"modificationComment": "checked"}); !reflect.DeepEqual(again, got) {
		t.Errorf("comment-only PATCH: got %v, want the user unchanged %v", again, got)
	}
	// A disabled user's self-admin token is refused; enabled again, it reads itself, and its card
	// is untouched by user changes.
	expectProblem(t, s.do(request{method: "GET", path: path, xToken: selfToken(t, f.user, 0)}),
		http.StatusForbidden, "errors.userNotUsable")
	patch(t, tok, map[string]any{"userState": "active", "modificationComment": "checked"})
	r := s.do(request{method: "GET", path: path, xToken: selfToken(t, f.user, 0)})
	if mustStatus(t, r, http.StatusOK); r.json(t)["version"] != float64(5) {
		t.Errorf("self read: got %s, want version 5", r.body)
	}
	if card := s.cardSnapshot(t, f); card["version"] != f.version {
		t.Errorf("card version: got %v, want %v", card["version"], f.version)
	}
	t.Run("in the database", func(t *testing.T) {
		if n := s.eventCount(t, "user.changed", f.client, f.user); n != 4 {
			t.Errorf("user.changed events: got %d, want 4", n)
		}
	})
}

// TestUserDeleteFlow: deleting a user takes its OTP cards, records user.deleted and one
// otp-card.deleted per card, and frees its loginId.
func TestUserDeleteFlow(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "ud")
	tok := rootToken(t)
	mustStatus(t, s.do(request{method: "POST", path: s.cardsPath(f), bearer: tok, body: map[string]any{"extId": uid("ud-card-2")}}), 201)
	path := corePath + "/" + f.client + "/users/" + f.user
	r := s.do(request{method: "DELETE", path: path, bearer: permsToken(t, "UserDelete")})
	mustStatus(t, r, http.StatusNoContent)
	expectProblem(t, s.do(request{method: "GET", path: path, bearer: tok}), 404, "errors.noRecord")
	expectProblem(t, s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}), 404, "errors.noRecord")
	expectProblem(t, s.do(request{method: "DELETE", path: path, bearer: tok}), 404, "errors.noRecord")
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: tok,
		body: map[string]any{"loginId": f.login}}), 201)

	t.Run("in the database", func(t *testing.T) {
		var cards int
		if err := s.sql(t).QueryRow("SELECT count(*) FROM otp_cards WHERE user_ext_id = $1", f.user).Scan(&cards); err != nil || cards != 0 {
			t.Errorf("cards of the deleted user: got %d (%v), want 0", cards, err)
		}
		if n := s.eventCount(t, "otp-card.deleted", f.client, f.user); n != 2 {
			t.Errorf("otp-card.deleted events: got %d, want 2", n)
		}
		if n := s.eventCount(t, "user.deleted", f.client, f.user); n != 1 {
			t.Errorf("user.deleted events: got %d, want 1", n)
		}
	})
}

// TestUserListFlow: the loginId filter matches exactly, pages follow creation order, and the
// data room applies.
func TestUserListFlow(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "ul")
	g := s.newFixture(t, "ulx")
	tok := rootToken(t)
	want := []string{f.user}
	for i := range 6 {
		id := uid(fmt.Sprintf("ul-u%d", i))
		want = append(want, id)
		mustStatus(t, s.do(request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: tok,
			body: map[string]any{"extId": id, "loginId": fmt.Sprintf("Login %d", i)}}), 201)
	}
	base := corePath + "/clients/" + f.client + "/users"
	walk := func(t *testing.T, tok, query string, limit int) ([]string, []int) {
		t.Helper()
		var all []string
		var sizes []int
		next := ""
		for range 50 {
			q := url.Values{"limit": {fmt.Sprint(limit)}}
			if query != "" {
				q.Set("loginId", query)
			}
			if next != "" {
				q.Set("continuationToken", next)
			}
			r := s.bind(t).do(request{method: "GET", path: base + "?" + q.Encode(), bearer: tok})
			ids, tokNext := listIDs(t, r)
			if got := r.json(t)["_pagination"].(map[string]any)["limit"]; got != float64(limit) {
				t.Errorf("_pagination.limit: got %v, want %d", got, limit)
			}
			all, sizes = append(all, ids...), append(sizes, len(ids))
			if next = tokNext; next == "" {
				return all, sizes
			}
		}
		t.Fatal("pagination: got more than 50 pages, want an end")
		return nil, nil
	}
	got, sizes := walk(t, roleToken(t, "Helpdesk"), "", 3)
	if !slices.Equal(got, want) || !slices.Equal(sizes, []int{3, 3, 1}) {
		t.Errorf("pages: got %v in pages %v, want %v in pages [3 3 1]", got, sizes, want)
	}
	for _, tt := range []struct {
		loginID string
		want    []string
	}{
		{"Login 3", []string{uid("ul-u3")}},
		{"login 3", nil},
		{"Login", nil},
		{"Login%", nil},
		{f.login, []string{f.user}},
		{g.login, nil}, // the user of another client
	} {
		got, _ := walk(t, tok, tt.loginID, 100)
		if !slices.Equal(got, tt.want) {
			t.Errorf("loginId %q: got %v, want %v", tt.loginID, got, tt.want)
		}
	}
	r := s.do(request{method: "GET", path: base + "?loginId=nobody", bearer: tok})
	if mustStatus(t, r, http.StatusOK); string(r.body) != `{"items":[],"_pagination":{"limit":100}}` {
		t.Errorf("no match: got %s, want an empty list with the default limit", r.body)
	}
	room := token(t, jwtauth.MintOptions{Roles: []string{"Auditor"}, Clients: []string{f.client}})
	if got, _ := walk(t, room, "", 100); !slices.Equal(got, want) {
		t.Errorf("inside the data room: got %v, want %v", got, want)
	}
	expectProblem(t, s.do(request{method: "GET", path: corePath + "/clients/" + g.client + "/users", bearer: room}), 403, "errors.dataroomPermissionDenied")
	ids, _ := listIDs(t, s.do(request{method: "GET", path: corePath + "/clients", bearer: room}))
	if !slices.Equal(ids, []string{f.client}) {
		t.Errorf("GET /clients in the data room: got %v, want [%s]", ids, f.client)
	}
}
