package tests

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/tests/client"
)

// TestReplaceEndToEnd walks client -> user -> card -> replace -> GET over HTTP and checks every
// member of the seed's response schema.
func TestReplaceEndToEnd(t *testing.T) {
	t.Parallel()
	s := startService(t)
	api := s.root(t)
	bank := uid("bank")
	alice := client.UserKey{Client: bank, User: uid("alice")}
	card := alice.Card(uid("card-1"))

	r := api.CreateClient(t, client.ClientCreate{ExtID: bank, Name: uid("Bank"), DisplayName: map[string]string{"EN": "Bank"}})
	r.WantStatus(t, http.StatusCreated)
	if got, want := r.Header.Get("Location"), client.ClientPath(bank); got != want {
		t.Errorf("client Location: got %q, want %q", got, want)
	}
	user := api.CreateUser(t, bank, client.UserCreate{ExtID: alice.User, LoginID: alice.User, UserDetails: client.UserDetails{
		Name: &client.UserName{FirstName: "Alice"}, Contacts: &client.UserContacts{Email: "alice@example.com", Mobile: "+41791234567"}}}).Want(t, http.StatusCreated)
	if user.ClientExtID != bank {
		t.Errorf("user clientExtId: got %v, want %s", user.ClientExtID, bank)
	}

	cr := api.CreateCard(t, alice, client.CredentialCreate{ExtID: card.Card})
	created := cr.Want(t, http.StatusCreated)
	if got, want := cr.Header.Get("Location"), card.Path(); got != want {
		t.Errorf("card Location: got %q, want %q", got, want)
	}
	if got := cr.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("create Cache-Control: got %q, want no-store", got)
	}
	if !defaultOTP.MatchString(created.OTP) {
		t.Fatalf("created otp does not match the default grammar: %q", created.OTP)
	}

	time.Sleep(1100 * time.Millisecond) // lastModified has second precision on the wire
	rr := api.ReplaceCard(t, card, client.CredentialReplace{Version: 1, ModificationComment: "card lost on the train"})
	replaced := rr.Want(t, http.StatusOK)
	if got := rr.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("replace Cache-Control: got %q, want no-store", got)
	}
	if got := rr.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("replace Content-Type: got %q, want application/json", got)
	}

	wire, createdWire := rr.JSON(t), cr.JSON(t)
	wantMembers := []string{"created", "lastModified", "version", "extId", "userExtId", "policyExtId",
		"stateName", "stateChangeReason", "successfulLoginCount", "failedLoginCount",
		"modificationComment", "type", "validity", "otp", "remainingChallenges"}
	for _, m := range wantMembers {
		if _, ok := wire[m]; !ok {
			t.Errorf("replace response lacks %q", m)
		}
	}
	for m, v := range wire {
		if v == nil {
			t.Errorf("member %q is null; absent values must be omitted", m)
		}
	}
	checks := []struct {
		member    string
		got, want any
	}{
		{"version", replaced.Version, created.Version + 1},
		{"extId", replaced.ExtID, card.Card},
		{"userExtId", replaced.UserExtID, alice.User},
		{"policyExtId", replaced.PolicyExtID, created.PolicyExtID},
		{"stateName", replaced.StateName, created.StateName},
		{"stateName", replaced.StateName, "initial"},
		{"stateChangeReason", replaced.StateChangeReason, created.StateChangeReason},
		{"created", replaced.Created, created.Created},
		{"successfulLoginCount", replaced.SuccessfulLoginCount, created.SuccessfulLoginCount},
		{"failedLoginCount", replaced.FailedLoginCount, created.FailedLoginCount},
		{"type", replaced.Type, "OTP Card"},
		{"modificationComment", replaced.ModificationComment, "card lost on the train"},
		{"remainingChallenges", replaced.RemainingChallenges, 168},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.member, c.got, c.want)
		}
	}
	for _, m := range []string{"lastSuccessfulLoginDate", "lastFailedLoginDate", "stateChangeDetail", "lockedUntil"} {
		if v, ok := wire[m]; ok != (createdWire[m] != nil) {
			t.Errorf("%s: got %v, want it kept as %v", m, v, createdWire[m])
		}
	}
	if replaced.Validity != created.Validity {
		t.Errorf("validity: got %+v, want %+v kept", replaced.Validity, created.Validity)
	}
	if replaced.LastModified == created.LastModified {
		t.Errorf("lastModified: got %v unchanged, want it moved", replaced.LastModified)
	}
	for m, v := range map[string]string{"created": replaced.Created, "lastModified": replaced.LastModified} {
		if _, err := time.Parse(time.RFC3339, v); err != nil || !strings.HasSuffix(v, "Z") {
			t.Errorf("%s: got %v, want RFC 3339 UTC", m, v)
		}
	}
	if !defaultOTP.MatchString(replaced.OTP) {
		t.Fatalf("replaced otp does not match the default grammar: %q", replaced.OTP)
	}
	oldCells, newCells := cellsOf(t, created.OTP), cellsOf(t, replaced.OTP)
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

	gr := api.GetCard(t, card)
	got := gr.Want(t, http.StatusOK)
	if cc := gr.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET Cache-Control: got %q, want no-store", cc)
	}
	if !maskedOTP.MatchString(got.OTP) {
		t.Errorf("GET otp: got %q, want it masked", got.OTP)
	}
	if got.Version != replaced.Version || got.LastModified != replaced.LastModified || got.ModificationComment != replaced.ModificationComment ||
		got.Validity != replaced.Validity || got.StateName != replaced.StateName {
		t.Errorf("GET: got %+v, want the version, lastModified, modificationComment, validity and stateName of %+v", got, replaced)
	}

	// A replace without a comment removes the old one.
	again := api.ReplaceCard(t, card, client.CredentialReplace{})
	again.WantStatus(t, http.StatusOK)
	if v, ok := again.JSON(t)["modificationComment"]; ok {
		t.Errorf("modificationComment: got %v, want it removed", v)
	}

	if items := api.ListCards(t, alice, client.Page{}).Want(t, http.StatusOK).Items; len(items) != 1 || !maskedOTP.MatchString(items[0].OTP) {
		t.Errorf("list: got %+v, want one masked card", items)
	}

	api.DeleteCard(t, card).Want(t, http.StatusNoContent)
	api.GetCard(t, card).WantStatus(t, http.StatusNotFound)
}

// equalJSON compares decoded JSON: objects member by member, everything else as values.
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
