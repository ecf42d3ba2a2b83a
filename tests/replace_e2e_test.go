package tests

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReplaceEndToEnd walks client -> user -> card -> replace -> GET over HTTP and checks every
// member of the seed's response schema.
func TestReplaceEndToEnd(t *testing.T) {
	s := startService(t)
	tok := rootToken(t)
	bank, alice, card := uid("bank"), uid("alice"), uid("card-1")

	r := s.do(request{method: "POST", path: corePath + "/clients", bearer: tok,
		body: map[string]any{"extId": bank, "name": uid("Bank"), "displayName": map[string]string{"EN": "Bank"}}})
	mustStatus(t, r, http.StatusCreated)
	if got, want := r.header.Get("Location"), corePath+"/clients/"+bank; got != want {
		t.Errorf("client Location: got %q, want %q", got, want)
	}
	r = s.do(request{method: "POST", path: corePath + "/" + bank + "/users", bearer: tok,
		body: map[string]any{"extId": alice, "loginId": alice, "name": map[string]string{"firstName": "Alice"},
			"contacts": map[string]string{"email": "alice@example.com", "mobile": "+41791234567"}}})
	mustStatus(t, r, http.StatusCreated)
	if got := r.json(t)["clientExtId"]; got != bank {
		t.Errorf("user clientExtId: got %v, want %s", got, bank)
	}

	cards := corePath + "/" + bank + "/users/" + alice + "/otp-credentials"
	r = s.do(request{method: "POST", path: cards, bearer: tok, body: map[string]any{"extId": card}})
	mustStatus(t, r, http.StatusCreated)
	if got, want := r.header.Get("Location"), cards+"/"+card; got != want {
		t.Errorf("card Location: got %q, want %q", got, want)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("create Cache-Control: got %q, want no-store", got)
	}
	created := r.json(t)
	if !defaultOTP.MatchString(created["otp"].(string)) {
		t.Fatalf("created otp does not match the default grammar: %q", created["otp"])
	}

	time.Sleep(1100 * time.Millisecond) // lastModified has second precision on the wire
	r = s.do(request{method: "POST", path: cards + "/" + card + "/replace", bearer: tok,
		body: map[string]any{"version": 1, "modificationComment": "card lost on the train"}})
	mustStatus(t, r, http.StatusOK)
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("replace Cache-Control: got %q, want no-store", got)
	}
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("replace Content-Type: got %q, want application/json", got)
	}
	replaced := r.json(t)

	wantMembers := []string{"created", "lastModified", "version", "extId", "userExtId", "policyExtId",
		"stateName", "stateChangeReason", "successfulLoginCount", "failedLoginCount",
		"modificationComment", "type", "validity", "otp", "remainingChallenges"}
	for _, m := range wantMembers {
		if _, ok := replaced[m]; !ok {
			t.Errorf("replace response lacks %q", m)
		}
	}
	for m, v := range replaced {
		if v == nil {
			t.Errorf("member %q is null; absent values must be omitted", m)
		}
	}
	checks := []struct {
		member string
		want   any
	}{
		{"version", created["version"].(float64) + 1},
		{"extId", card},
		{"userExtId", alice},
		{"policyExtId", created["policyExtId"]},
		{"stateName", created["stateName"]},
		{"stateName", "initial"},
		{"stateChangeReason", created["stateChangeReason"]},
		{"created", created["created"]},
		{"successfulLoginCount", created["successfulLoginCount"]},
		{"failedLoginCount", created["failedLoginCount"]},
		{"type", "OTP Card"},
		{"modificationComment", "card lost on the train"},
		{"remainingChallenges", float64(168)},
	}
	for _, c := range checks {
		if got := replaced[c.member]; got != c.want {
			t.Errorf("%s: got %v, want %v", c.member, got, c.want)
		}
	}
	for _, m := range []string{"lastSuccessfulLoginDate", "lastFailedLoginDate", "stateChangeDetail", "lockedUntil"} {
		if v, ok := replaced[m]; ok != (created[m] != nil) {
			t.Errorf("%s: got %v, want it kept as %v", m, v, created[m])
		}
	}
	cv, rv := created["validity"].(map[string]any), replaced["validity"].(map[string]any)
	if cv["from"] != rv["from"] || cv["to"] != rv["to"] {
		t.Errorf("validity: got %v, want %v kept", rv, cv)
	}
	if replaced["lastModified"] == created["lastModified"] {
		t.Errorf("lastModified: got %v unchanged, want it moved", replaced["lastModified"])
	}
	for _, m := range []string{"created", "lastModified"} {
		if _, err := time.Parse(time.RFC3339, replaced[m].(string)); err != nil || !strings.HasSuffix(replaced[m].(string), "Z") {
			t.Errorf("%s: got %v, want RFC 3339 UTC", m, replaced[m])
		}
	}
	otp := replaced["otp"].(string)
	if !defaultOTP.MatchString(otp) {
		t.Fatalf("replaced otp does not match the default grammar: %q", otp)
	}
	oldCells, newCells := cellsOf(t, created["otp"].(string)), cellsOf(t, otp)
	if slices.Equal(oldCells, newCells) {
		t.Fatal("replace returned the old card")
	}
	same := 0
	for i := range oldCells {
		if oldCells[i] == newCells[i] {
			same++
		}
	}
	if same > 5 { // 168 cells of 20 bits: a handful of equal cells by chance is already unlikely
		t.Errorf("got %d cells equal to the old card, want a fresh card", same)
	}

	r = s.do(request{method: "GET", path: cards + "/" + card, bearer: tok})
	mustStatus(t, r, http.StatusOK)
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("GET Cache-Control: got %q, want no-store", got)
	}
	got := r.json(t)
	if !maskedOTP.MatchString(got["otp"].(string)) {
		t.Errorf("GET otp: got %q, want it masked", got["otp"])
	}
	for _, m := range []string{"version", "lastModified", "modificationComment", "validity", "stateName"} {
		if !equalJSON(got[m], replaced[m]) {
			t.Errorf("GET %s: got %v, want %v", m, got[m], replaced[m])
		}
	}

	// A replace without a comment removes the old one.
	r = s.do(request{method: "POST", path: cards + "/" + card + "/replace", bearer: tok, body: map[string]any{}})
	mustStatus(t, r, http.StatusOK)
	if v, ok := r.json(t)["modificationComment"]; ok {
		t.Errorf("modificationComment: got %v, want it removed", v)
	}

	r = s.do(request{method: "GET", path: cards, bearer: tok})
	mustStatus(t, r, http.StatusOK)
	items := r.json(t)["items"].([]any)
	if len(items) != 1 || !maskedOTP.MatchString(items[0].(map[string]any)["otp"].(string)) {
		t.Errorf("list: got %v, want one masked card", items)
	}

	mustStatus(t, s.do(request{method: "DELETE", path: cards + "/" + card, bearer: tok}), http.StatusNoContent)
	mustStatus(t, s.do(request{method: "GET", path: cards + "/" + card, bearer: tok}), http.StatusNotFound)
}

func equalJSON(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k := range am {
			if !equalJSON(am[k], bm[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}
