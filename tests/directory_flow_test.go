package tests

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// TestClientChangeFlow changes a client member by member and checks what stays, the version
// and the events.
func TestClientChangeFlow(t *testing.T) {
	t.Parallel()
	s := startService(t)
	api := s.root(t)
	flow, name, renamed := uid("flow"), uid("Flow"), uid("Flow 2")
	api.CreateClient(t, client.ClientCreate{ExtID: flow, Name: name, Remarks: "r0", DisplayName: map[string]string{"EN": "Flow Ltd"}}).
		Want(t, http.StatusCreated)
	// patch sends a PATCH and returns the client as it answers, on the wire.
	patch := func(t *testing.T, api *client.API, body any) map[string]any {
		t.Helper()
		r := client.Request{Method: "PATCH", Path: client.ClientPath(flow)}
		if raw, ok := body.(string); ok {
			r.Body = []byte(raw)
			resp := api.Do(t, r)
			resp.WantStatus(t, http.StatusOK)
			return resp.JSON(t)
		}
		resp := api.PatchClient(t, flow, body.(client.ClientPatch))
		resp.WantStatus(t, http.StatusOK)
		return resp.JSON(t)
	}
	before := api.GetClient(t, flow).Want(t, http.StatusOK)
	time.Sleep(1100 * time.Millisecond) // lastModified has seconds precision on the wire

	got := patch(t, s.api.As(token(t, jwtauth.MintOptions{Permissions: []string{"ClientModify"}})),
		client.ClientPatch{Name: &renamed, Version: 1, ModificationComment: client.Ptr("renamed")})
	want := map[string]any{"extId": flow, "name": renamed, "remarks": "r0", "displayName": map[string]any{"EN": "Flow Ltd"},
		"created": before.Created, "lastModified": got["lastModified"], "version": float64(2)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after renaming: got %v, want %v", got, want)
	}
	if got["lastModified"] == before.LastModified {
		t.Errorf("lastModified: got %v unchanged, want a later time", got["lastModified"])
	}
	if read := api.GetClient(t, flow).JSON(t); !reflect.DeepEqual(read, got) {
		t.Errorf("GET after PATCH: got %v, want the PATCH response %v", read, got)
	}

	got = patch(t, s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"ClientRoot"}})),
		client.ClientPatch{DisplayName: map[string]string{"DE": "Flow AG"}, Version: "2"})
	if got["version"] != float64(3) || !reflect.DeepEqual(got["displayName"], map[string]any{"DE": "Flow AG"}) || got["name"] != renamed {
		t.Errorf("after replacing displayName: got %v, want version 3, displayName {DE} alone, name kept", got)
	}
	got = patch(t, s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{flow}})), `{"displayName":null,"remarks":null}`)
	if _, ok := got["displayName"]; ok || got["remarks"] != nil || got["version"] != float64(4) {
		t.Errorf("after clearing with null: got %v, want no displayName, no remarks, version 4", got)
	}
	// A PATCH that changes nothing changes nothing: no version, no event (API.md section 1).
	for _, body := range []any{client.ClientPatch{}, client.ClientPatch{Name: &renamed, Version: 4}, `{"displayName":null}`} {
		if again := patch(t, api, body); !reflect.DeepEqual(again, got) {
			t.Errorf("after a PATCH that changes nothing (%v): got %v, want the client unchanged %v", body, again, got)
		}
	}
	// The old name is free again.
	api.CreateClient(t, client.ClientCreate{Name: name}).Want(t, http.StatusCreated)

	t.Run("in the database", func(t *testing.T) {
		s.wantEvents(t, eventsOf{typ: "client.changed", client: flow}, 3) // one per PATCH that changed something
		var data string
		if err := s.sql(t).QueryRow(`SELECT data->>'modificationComment' FROM events WHERE type = 'client.changed' AND version = 2 AND client_ext_id = $1`, flow).Scan(&data); err != nil || data != "renamed" {
			t.Errorf("modificationComment in the event: got %q (%v), want renamed", data, err)
		}
	})
}

// TestClientDeleteFlow: a client with users is kept; once its users are gone it is deleted with
// its policies, and events record both.
func TestClientDeleteFlow(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "cd")
	api.DeleteClient(t, f.Client).WantProblem(t, 422, "errors.undeletedDependencies")
	api.DeleteUser(t, f.UserKey()).Want(t, http.StatusNoContent)
	r := s.api.As(token(t, jwtauth.MintOptions{Permissions: []string{"ClientDelete"}})).DeleteClient(t, f.Client)
	r.WantStatus(t, http.StatusNoContent)
	if len(r.Body) != 0 {
		t.Errorf("204 body: got %q, want none", r.Body)
	}
	api.GetClient(t, f.Client).WantProblem(t, 404, "errors.noRecord")
	api.DeleteClient(t, f.Client).WantProblem(t, 404, "errors.noRecord")
	// A client inside a data room can be deleted by an admin of that room.
	room := uid("room")
	api.CreateClient(t, client.ClientCreate{ExtID: room, Name: room}).Want(t, http.StatusCreated)
	s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{room}})).DeleteClient(t, room).
		Want(t, http.StatusNoContent)

	t.Run("in the database", func(t *testing.T) {
		s.wantNoRows(t, "policies", "client_ext_id", f.Client)
		s.wantEvents(t, eventsOf{typ: "client.deleted", client: f.Client}, 1)
		s.wantEvents(t, eventsOf{typ: "policy.deleted", client: f.Client}, 1) // the default policy
	})
}

// TestUserChangeFlow: members present replace the stored ones whole, absent ones stay, null
// clears; every PATCH bumps the version by one.
func TestUserChangeFlow(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "uf")
	g := s.newFixture(t, "ufg")
	api := s.root(t)
	// patch sends a PATCH and returns the user as it answers, on the wire.
	patch := func(t *testing.T, api *client.API, body any) map[string]any {
		t.Helper()
		var resp client.Response
		if raw, ok := body.(string); ok {
			resp = api.Do(t, client.Request{Method: "PATCH", Path: f.UserKey().Path(), Body: []byte(raw)})
		} else {
			resp = api.PatchUser(t, f.UserKey(), body.(client.UserPatch)).Response
		}
		resp.WantStatus(t, http.StatusOK)
		return resp.JSON(t)
	}
	got := patch(t, s.api.As(token(t, jwtauth.MintOptions{Permissions: []string{"UserModify"}})), client.UserPatch{
		Name:     &client.UserName{Title: "Dr", FirstName: "Jane", FamilyName: "Doe"},
		Contacts: &client.UserContacts{Email: "jane@example.com", Mobile: "+41791234567"},
		Address:  &client.UserAddress{City: "Bern", CountryCode: "CH"}, Remarks: client.Ptr("r"), LanguageCode: client.Ptr("de"),
		IsTechnicalUser: client.Ptr(false), Gender: client.Ptr("female"), BirthDate: client.Ptr("1990-02-28"),
		Properties: map[string]string{"k": "v"}, Validity: &client.UserValidity{From: "2026-01-01T00:00:00+01:00"}, Version: 1})
	if got["version"] != float64(2) || got["loginId"] != f.login || got["userState"] != "active" || got["clientExtId"] != f.Client ||
		got["isTechnicalUser"] != false || !reflect.DeepEqual(got["validity"], map[string]any{"from": "2025-12-31T23:00:00Z"}) {
		t.Errorf("after the first PATCH: got %v", got)
	}
	got = patch(t, s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"UserAdmin"}})), client.UserPatch{
		Name: &client.UserName{FamilyName: "Roe"}, Contacts: &client.UserContacts{Telephone: "+41441234567"}, Version: "2"})
	if !reflect.DeepEqual(got["name"], map[string]any{"familyName": "Roe"}) || !reflect.DeepEqual(got["contacts"], map[string]any{"telephone": "+41441234567"}) {
		t.Errorf("nested members: got name %v contacts %v, want each replaced whole", got["name"], got["contacts"])
	}
	if got["remarks"] != "r" || got["languageCode"] != "de" || got["gender"] != "female" || got["version"] != float64(3) ||
		!reflect.DeepEqual(got["address"], map[string]any{"city": "Bern", "countryCode": "CH"}) {
		t.Errorf("absent members: got %v, want remarks, languageCode, gender, address kept and version 3", got)
	}
	got = patch(t, s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"UserAdmin"}, Clients: []string{f.Client}})),
		`{"remarks":null,"address":null,"properties":null,"validity":null,"isTechnicalUser":null,"userState":"disabled","loginId":"`+g.login+`"}`)
	for _, m := range []string{"remarks", "address", "properties", "validity", "isTechnicalUser"} {
		if _, ok := got[m]; ok {
			t.Errorf("%s after null: got %v, want it absent", m, got[m])
		}
	}
	if got["userState"] != "disabled" || got["loginId"] != g.login || got["version"] != float64(4) {
		t.Errorf("got state %v loginId %v version %v, want disabled, %s (taken only in %s), 4", got["userState"], got["loginId"], got["version"], g.login, g.Client)
	}
	if read := api.GetUser(t, f.UserKey()).JSON(t); !reflect.DeepEqual(read, got) {
		t.Errorf("GET after PATCH: got %v, want the PATCH response %v", read, got)
	}
	// A comment alone changes nothing stored: no version, no event.
	if again := patch(t, api, client.UserPatch{ModificationComment: client.Ptr("checked")}); !reflect.DeepEqual(again, got) {
		t.Errorf("comment-only PATCH: got %v, want the user unchanged %v", again, got)
	}
	// A disabled user's self-admin token is refused; enabled again, it reads itself, and its card
	// is untouched by user changes.
	s.api.Self(selfToken(t, f.User, 0)).GetUser(t, f.UserKey()).WantProblem(t, http.StatusForbidden, "errors.userNotUsable")
	patch(t, api, client.UserPatch{UserState: client.Ptr("active"), ModificationComment: client.Ptr("checked")})
	if self := s.api.Self(selfToken(t, f.User, 0)).GetUser(t, f.UserKey()).Want(t, http.StatusOK); self.Version != 5 {
		t.Errorf("self read: got %+v, want version 5", self)
	}
	if card := s.cardSnapshot(t, f); card.Version != f.version {
		t.Errorf("card version: got %v, want %v", card.Version, f.version)
	}
	t.Run("in the database", func(t *testing.T) {
		s.wantEvents(t, eventsOf{typ: "user.changed", client: f.Client, user: f.User}, 4)
	})
}

// TestUserDeleteFlow: deleting a user takes its OTP cards, records user.deleted and one
// otp-card.deleted per card, and frees its loginId.
func TestUserDeleteFlow(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "ud")
	api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: uid("ud-card-2")}).Want(t, http.StatusCreated)
	s.api.As(token(t, jwtauth.MintOptions{Permissions: []string{"UserDelete"}})).DeleteUser(t, f.UserKey()).Want(t, http.StatusNoContent)
	api.GetUser(t, f.UserKey()).WantProblem(t, 404, "errors.noRecord")
	api.GetCard(t, f.CardKey).WantProblem(t, 404, "errors.noRecord")
	api.DeleteUser(t, f.UserKey()).WantProblem(t, 404, "errors.noRecord")
	api.CreateUser(t, f.Client, client.UserCreate{LoginID: f.login}).Want(t, http.StatusCreated)

	t.Run("in the database", func(t *testing.T) {
		s.wantNoRows(t, "otp_cards", "user_ext_id", f.User)
		s.wantEvents(t, eventsOf{typ: "otp-card.deleted", client: f.Client, user: f.User}, 2)
		s.wantEvents(t, eventsOf{typ: "user.deleted", client: f.Client, user: f.User}, 1)
	})
}

// TestUserListFlow: the loginId filter matches exactly, pages follow creation order, and the
// data room applies.
func TestUserListFlow(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "ul")
	g := s.newFixture(t, "ulx")
	api := s.root(t)
	want := []string{f.User}
	for i := range 6 {
		id := uid(fmt.Sprintf("ul-u%d", i))
		want = append(want, id)
		api.CreateUser(t, f.Client, client.UserCreate{ExtID: id, LoginID: fmt.Sprintf("Login %d", i)}).Want(t, http.StatusCreated)
	}
	userID := func(u client.User) string { return u.ExtID }
	walk := func(t *testing.T, api *client.API, loginID string, limit int) ([]string, []int) {
		t.Helper()
		var all []string
		var sizes []int
		q := client.UserQuery{Page: client.Page{Limit: limit}, LoginID: loginID}
		for range 50 {
			l := api.ListUsers(t, f.Client, q).Want(t, http.StatusOK)
			ids, next := listIDs(l, userID)
			if l.Pagination.Limit != limit {
				t.Errorf("_pagination.limit: got %v, want %d", l.Pagination.Limit, limit)
			}
			all, sizes = append(all, ids...), append(sizes, len(ids))
			if q.ContinuationToken = next; next == "" {
				return all, sizes
			}
		}
		t.Fatal("pagination: got more than 50 pages, want an end")
		return nil, nil
	}
	got, sizes := walk(t, s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Helpdesk"}})), "", 3)
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
		{f.login, []string{f.User}},
		{g.login, nil}, // the user of another client
	} {
		got, _ := walk(t, api, tt.loginID, 100)
		if !slices.Equal(got, tt.want) {
			t.Errorf("loginId %q: got %v, want %v", tt.loginID, got, tt.want)
		}
	}
	r := api.ListUsers(t, f.Client, client.UserQuery{LoginID: "nobody"})
	if r.WantStatus(t, http.StatusOK); string(r.Body) != `{"items":[],"_pagination":{"limit":100}}` {
		t.Errorf("no match: got %s, want an empty list with the default limit", r.Body)
	}
	room := s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Auditor"}, Clients: []string{f.Client}}))
	if got, _ := walk(t, room, "", 100); !slices.Equal(got, want) {
		t.Errorf("inside the data room: got %v, want %v", got, want)
	}
	room.ListUsers(t, g.Client, client.UserQuery{}).WantProblem(t, 403, "errors.dataroomPermissionDenied")
	if ids, _ := listIDs(room.ListClients(t, client.Page{}).Want(t, http.StatusOK), clientID); !slices.Equal(ids, []string{f.Client}) {
		t.Errorf("GET /clients in the data room: got %v, want [%s]", ids, f.Client)
	}
}
