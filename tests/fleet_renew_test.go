package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
)

// TestRenewal: a renewal issues the successor in clear, links the two cards, and keeps the
// renewed card usable: a challenge without a body asks the predecessor while the successor was
// never used; the successor's first successful login retires the predecessor (API.md sections 6
// and 10.3).
func TestRenewal(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "renew")
	before := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	r := api.RenewCard(t, f.CardKey, client.CredentialRenew{ExtID: f.Card + "-next", ModificationComment: "runs low",
		Version: before.Version})
	next := r.Want(t, http.StatusCreated)
	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/otp-credentials/"+f.Card+"-next") {
		t.Errorf("Location: got %q, want the successor's path", loc)
	}
	if next.PredecessorExtID != f.Card || next.StateName != "initial" || next.ModificationComment != "runs low" ||
		next.SerialNumber == before.SerialNumber || next.PolicyExtID != before.PolicyExtID || r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("successor: got %+v, want the predecessor linked, initial, the comment, a serial and the policy", next)
	}
	nextCells := cellsOf(t, next.OTP)
	if strings.Contains(next.OTP, "****") || len(nextCells) != 168 {
		t.Fatalf("successor's otp: want the new card in clear")
	}
	renewed := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	if renewed.SuccessorExtID != next.ExtID || renewed.Version != before.Version+1 || renewed.StateName != before.StateName {
		t.Errorf("renewed card: got successor %q at version %d in %s, want %s at %d in %s",
			renewed.SuccessorExtID, renewed.Version, renewed.StateName, next.ExtID, before.Version+1, before.StateName)
	}
	if n := len(s.auditEvents(t, client.AuditQuery{CredentialExtID: next.ExtID, Type: "otp-card.renewed"}, 1)); n != 1 {
		t.Errorf("otp-card.renewed events of the successor: got %d, want 1", n)
	}

	// The user may not have the new card in hand yet: without a body, the old card is asked.
	ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK)
	if ch.CredentialExtID != f.Card {
		t.Fatalf("challenge without a body: got %s, want the predecessor %s while the successor was never used", ch.CredentialExtID, f.Card)
	}
	if got := logIn(t, api, f.UserKey(), *ch.Challenge, answer(t, f.cells, *ch.Challenge)); got != credential.StatusLoginOK {
		t.Fatalf("login with the old card: got %d, want 5", got)
	}
	if got := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); got.StateName == "archived" {
		t.Fatal("a login with the old card retired it")
	}
	// "I have my new card": its serial picks it, and its first login retires the old one.
	ch = api.ChallengeCard(t, f.UserKey(), client.ChallengeRequest{SerialNumber: next.SerialNumber}).Want(t, http.StatusOK)
	if ch.CredentialExtID != next.ExtID {
		t.Fatalf("challenge by the new serial: got %s, want %s", ch.CredentialExtID, next.ExtID)
	}
	if got := logIn(t, api, f.UserKey(), *ch.Challenge, answer(t, nextCells, *ch.Challenge)); got != credential.StatusLoginOK {
		t.Fatalf("login with the new card: got %d, want 5", got)
	}
	retired := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	if retired.StateName != "archived" || retired.StateChangeReason != "renewal" || retired.SuccessorExtID != next.ExtID {
		t.Errorf("predecessor after the successor's first login: got %s (%s), want archived (renewal), still linked", retired.StateName, retired.StateChangeReason)
	}
	if n := len(s.auditEvents(t, client.AuditQuery{CredentialExtID: f.Card, Type: "otp-card.state-changed"}, 1)); n != 1 {
		t.Errorf("state-changed events of the retired card: got %d, want 1", n)
	}
	if ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK); ch.CredentialExtID != next.ExtID {
		t.Errorf("challenge after the retirement: got %s, want the successor", ch.CredentialExtID)
	}
	// The retired card can no longer be renewed, nor the successor twice.
	api.RenewCard(t, f.CardKey, client.CredentialRenew{}).WantProblem(t, http.StatusUnprocessableEntity, "errors.modifyReadonlyData")
	again := api.RenewCard(t, f.UserKey().Card(next.ExtID), client.CredentialRenew{}).Want(t, http.StatusCreated)
	api.RenewCard(t, f.UserKey().Card(next.ExtID), client.CredentialRenew{}).WantProblem(t, http.StatusUnprocessableEntity, "errors.modifyReadonlyData")
	if again.PredecessorExtID != next.ExtID {
		t.Errorf("second renewal: got predecessor %q, want %s", again.PredecessorExtID, next.ExtID)
	}
}

// TestRenewalWithoutFallback: under fallbackAllowed=false the renewed card retires at once, in the
// same version step as the link; the successor is answered as a PDF when asked for.
func TestRenewalWithoutFallback(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "renew-nofb")
	p := api.CreatePolicy(t, f.Client, client.PolicyCreate{Name: uid("no-fallback"), PolicyType: "OTPCardPolicy",
		Parameters: map[string]string{"fallbackAllowed": "false"}}).Want(t, http.StatusCreated)
	card := f.UserKey().Card(f.User + "-nofb")
	created := api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: card.Card, PolicyExtID: p.ExtID}).Want(t, http.StatusCreated)
	api.DeleteCard(t, f.CardKey).Want(t, http.StatusNoContent)
	pdf := api.RenewCardPDF(t, card, client.CredentialRenew{}).Want(t, http.StatusCreated)
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("renew with Accept: application/pdf: got %d bytes, want a PDF", len(pdf))
	}
	old := api.GetCard(t, card).Want(t, http.StatusOK)
	if old.StateName != "archived" || old.StateChangeReason != "renewal" || old.Version != created.Version+1 || old.SuccessorExtID == "" {
		t.Errorf("renewed card: got %s (%s) at version %d, successor %q; want archived (renewal) at %d, linked",
			old.StateName, old.StateChangeReason, old.Version, old.SuccessorExtID, created.Version+1)
	}
	if ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK); ch.CredentialExtID != old.SuccessorExtID {
		t.Errorf("challenge: got %s, want the successor %s", ch.CredentialExtID, old.SuccessorExtID)
	}
}

// TestConcurrentRenewalsGiveOneSuccessor: many renewals of one card at once give exactly one
// successor; the others are refused, never a 500 and never a second card.
func TestConcurrentRenewalsGiveOneSuccessor(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "renew-race")
	const racers = 12
	statuses := atOnce(racers, func(i int) int {
		return api.Unchecked().RenewCard(t, f.CardKey, client.CredentialRenew{}).Status
	})
	created := 0
	for i, st := range statuses {
		switch st {
		case http.StatusCreated:
			created++
		case http.StatusUnprocessableEntity, http.StatusConflict:
		default:
			t.Errorf("racer %d: got status %d, want 201, 409 or 422", i, st)
		}
	}
	cards := api.ListCards(t, f.UserKey(), client.Page{}).Want(t, http.StatusOK).Items
	if created != 1 || len(cards) != 2 {
		t.Fatalf("got %d renewals and %d cards, want exactly one successor", created, len(cards))
	}
	if got := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); got.SuccessorExtID != cards[1].ExtID || got.Version != f.version+1 {
		t.Errorf("renewed card: successor %q at version %d, want %s at %d", got.SuccessorExtID, got.Version, cards[1].ExtID, f.version+1)
	}
}

// TestRenewMatrix is the negative matrix of POST .../renew (API.md sections 2, 10.3 and 14):
// nothing is written by a refused renewal.
func TestRenewMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	renew := func(body string) func(*testing.T, *client.API, fixture) client.Response {
		return raw(http.MethodPost, func(f fixture) string { return f.RenewPath() }, body, "Content-Type", "application/json")
	}
	state := func(to string) func(*testing.T, *service, fixture) fixture {
		return func(t *testing.T, s *service, f fixture) fixture {
			s.root(t).PatchCard(t, f.CardKey, client.CredentialPatch{StateName: client.Ptr(to)}).Want(t, http.StatusOK)
			return f
		}
	}
	secondCard := func(t *testing.T, s *service, f fixture) fixture {
		s.root(t).CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: f.User + "-second"}).Want(t, http.StatusCreated)
		return f
	}
	renewed := func(t *testing.T, s *service, f fixture) fixture {
		s.root(t).RenewCard(t, f.CardKey, client.CredentialRenew{}).Want(t, http.StatusCreated)
		return f
	}
	archivedUser := func(t *testing.T, s *service, f fixture) fixture {
		s.root(t).PatchUser(t, f.UserKey(), client.UserPatch{UserState: client.Ptr("archived")}).Want(t, http.StatusOK)
		return f
	}
	locked := func(t *testing.T, s *service, f fixture) fixture {
		s.failUntil(t, f, 2, credential.StatusTmpLocked)
		return f
	}
	deny, none, bad, readonly := "errors.permissionDenied", "errors.noRecord", "errors.invalidData", "errors.modifyReadonlyData"
	runMatrix(t, s, "frm", nil, []row{
		{name: "no token", as: anonymous, send: renew(`{}`), status: 401, code: "errors.notAuthenticated"},
		{name: "CredentialModify without CredentialView", as: withRights("CredentialModify"), send: renew(`{}`), status: 403, code: deny},
		{name: "outside the data room", as: inRoom("other"), send: renew(`{}`), status: 403, code: "errors.dataroomPermissionDenied"},
		{name: "another user as self-admin", as: selfOf("someone-else"), send: renew(`{}`), status: 403, code: deny},
		{name: "stale self-admin owner", as: owner(20 * time.Minute), send: renew(`{}`), status: 401, code: "errors.reauthenticationRequired"},
		{name: "fresh self-admin owner", as: owner(0), send: renew(`{}`), status: 201},
		{name: "unknown card", given: edit(func(f *fixture) { f.Card = "no-such-card" }), send: renew(`{}`), status: 404, code: none},
		{name: "unknown user", given: edit(func(f *fixture) { f.User = "nobody-user" }), send: renew(`{}`), status: 404, code: none},
		{name: "unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }), send: renew(`{}`), status: 404, code: none},
		{name: "stale version", send: renew(`{"version": 99}`), status: 409, code: "errors.optimisticLockingFailure"},
		{name: "no body", send: raw(http.MethodPost, func(f fixture) string { return f.RenewPath() }, ""), status: 400, code: bad},
		{name: "comment over 1024 characters", send: renew(`{"modificationComment": "` + strings.Repeat("x", 1025) + `"}`), status: 400, code: bad},
		{name: "empty extId", send: renew(`{"extId": ""}`), status: 400, code: bad},
		{name: "malformed extId", send: renew(`{"extId": "a b"}`), status: 400, code: bad},
		{name: "unknown member", send: renew(`{"stateName": "active"}`), status: 400, code: bad},
		{name: "wrong content type", send: raw(http.MethodPost, func(f fixture) string { return f.RenewPath() }, `{}`, "Content-Type", "text/plain"), status: 415, code: "errors.unsupportedMediaType"},
		{name: "oversized body", send: renew(`{"modificationComment": "` + strings.Repeat("x", 70<<10) + `"}`), status: 413, code: "errors.payloadTooLarge"},
		{name: "successor named as the card itself", send: func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.RenewCard(t, f.CardKey, client.CredentialRenew{ExtID: f.Card}).Response
		}, status: 409, code: "errors.duplicateValue"},
		{name: "disabled card", given: state("disabled"), send: renew(`{}`), status: 422, code: readonly},
		{name: "archived card", given: state("archived"), send: renew(`{}`), status: 422, code: readonly},
		{name: "tmp-locked card", given: locked, send: renew(`{}`), status: 422, code: readonly},
		{name: "card renewed already", given: renewed, send: renew(`{}`), status: 422, code: readonly},
		{name: "user holds two cards", given: secondCard, send: renew(`{}`), status: 422, code: "errors.tooManyOTPCards"},
		{name: "archived user", given: archivedUser, send: renew(`{}`), status: 403, code: "errors.userNotUsable"},
	})
}

// TestRenewalLinkDropped: a successor that is deleted or archived no longer holds its
// predecessor back: the predecessor can be renewed again. A disabled successor drops the link too,
// but still counts toward the two-card limit (API.md sections 4 and 10.3).
func TestRenewalLinkDropped(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "renew-drop")
	next := api.RenewCard(t, f.CardKey, client.CredentialRenew{}).Want(t, http.StatusCreated)
	api.DeleteCard(t, f.UserKey().Card(next.ExtID)).Want(t, http.StatusNoContent)
	if got := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); got.SuccessorExtID != "" {
		t.Errorf("after the successor's delete: successorExtId %q, want none", got.SuccessorExtID)
	}
	next = api.RenewCard(t, f.CardKey, client.CredentialRenew{}).Want(t, http.StatusCreated)
	api.PatchCard(t, f.UserKey().Card(next.ExtID), client.CredentialPatch{StateName: client.Ptr("archived")}).Want(t, http.StatusOK)
	again := api.RenewCard(t, f.CardKey, client.CredentialRenew{}).Want(t, http.StatusCreated)
	if got := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); got.SuccessorExtID != again.ExtID {
		t.Errorf("archived successor: the card renewed again names %q, want %s", got.SuccessorExtID, again.ExtID)
	}
	api.PatchCard(t, f.UserKey().Card(again.ExtID), client.CredentialPatch{StateName: client.Ptr("disabled")}).Want(t, http.StatusOK)
	api.RenewCard(t, f.CardKey, client.CredentialRenew{}).WantProblem(t, http.StatusUnprocessableEntity, "errors.tooManyOTPCards")
}

// TestCreatesAndRenewalsKeepTheLimit: creates and renewals of one user's cards at once never
// leave the user more than two cards that are not archived (the holder's row lock).
func TestCreatesAndRenewalsKeepTheLimit(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "renew-limit")
	statuses := atOnce(12, func(i int) int {
		if i%2 == 0 {
			return api.Unchecked().CreateCard(t, f.UserKey(), client.CredentialCreate{}).Status
		}
		return api.Unchecked().RenewCard(t, f.CardKey, client.CredentialRenew{}).Status
	})
	for i, st := range statuses {
		if st != http.StatusCreated && st != http.StatusUnprocessableEntity && st != http.StatusConflict {
			t.Errorf("call %d: got status %d, want 201, 409 or 422", i, st)
		}
	}
	held := 0
	for _, c := range api.ListCards(t, f.UserKey(), client.Page{}).Want(t, http.StatusOK).Items {
		if c.StateName != "archived" {
			held++
		}
	}
	if held != 2 {
		t.Errorf("cards not archived: got %d, want exactly the limit of 2", held)
	}
}
