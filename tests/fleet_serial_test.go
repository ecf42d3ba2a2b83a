package tests

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
)

// printedSerial is a serial number as every answer shows it (API.md section 10.1).
var printedSerial = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

// asTyped is a serial number as a user might type it: lower case, without hyphens, 0 as o and 1
// as l.
func asTyped(serial string) string {
	return strings.NewReplacer("-", "", "0", "o", "1", "l").Replace(strings.ToLower(serial))
}

// foundExtIDs lists the extIds of a list answer.
func foundExtIDs(l client.List[client.Credential]) []string {
	var ids []string
	for _, c := range l.Items {
		ids = append(ids, c.ExtID)
	}
	return ids
}

// TestSerialNumbers: every card carries a serial number in every read, challenge and login; a
// replace gives a new one; the help desk finds a card by the serial as the user reads it out,
// within the client and within the user, and nowhere else (API.md sections 4, 6 and 10.1).
func TestSerialNumbers(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "serials")
	card := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	serial := card.SerialNumber
	if !printedSerial.MatchString(serial) {
		t.Fatalf("serialNumber: got %q, want 12 crockford32 characters in groups of four", serial)
	}
	if listed := api.ListCards(t, f.UserKey(), client.Page{}).Want(t, http.StatusOK); listed.Items[0].SerialNumber != serial {
		t.Errorf("list: got serial %q, want %q", listed.Items[0].SerialNumber, serial)
	}
	if ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK); ch.SerialNumber != serial {
		t.Errorf("challenge: got serial %q, want %q", ch.SerialNumber, serial)
	}
	label := challenge(t, api, f.UserKey())
	if res := api.Login(t, f.UserKey(), client.LoginRequest{Challenge: label, Password: answer(t, f.cells, label)}).
		Want(t, http.StatusOK); res.SerialNumber != serial || res.StatusCode != credential.StatusLoginOK {
		t.Errorf("login: got serial %q and statusCode %d, want %q and 5", res.SerialNumber, res.StatusCode, serial)
	}

	// The help desk's look-up, as users type it, within the client and within the user.
	for _, typed := range []string{serial, asTyped(serial), strings.ReplaceAll(serial, "-", " ")} {
		if got := foundExtIDs(api.FindCard(t, f.Client, typed).Want(t, http.StatusOK)); !slices.Equal(got, []string{f.Card}) {
			t.Errorf("find %q in the client: got %v, want [%s]", typed, got, f.Card)
		}
		if got := foundExtIDs(api.ListCardsBySerial(t, f.UserKey(), typed).Want(t, http.StatusOK)); !slices.Equal(got, []string{f.Card}) {
			t.Errorf("find %q among the user's cards: got %v, want [%s]", typed, got, f.Card)
		}
	}
	other := s.addUser(t, f, uid("serial-other"))
	elsewhere := s.newFixture(t, "serial-elsewhere")
	for name, got := range map[string]client.List[client.Credential]{
		"another user's cards":  api.ListCardsBySerial(t, other.UserKey(), serial).Want(t, http.StatusOK),
		"another client":        api.FindCard(t, elsewhere.Client, serial).Want(t, http.StatusOK),
		"a serial of no card":   api.FindCard(t, f.Client, "0000-0000-0000").Want(t, http.StatusOK),
		"the other user's card": api.ListCardsBySerial(t, f.UserKey(), api.GetCard(t, other.CardKey).Want(t, http.StatusOK).SerialNumber).Want(t, http.StatusOK),
	} {
		if len(got.Items) != 0 {
			t.Errorf("%s: got %v, want an empty list", name, foundExtIDs(got))
		}
	}

	// A replace gives the card a new serial: the lost card is told apart from its replacement.
	replaced := api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
	if replaced.SerialNumber == serial || !printedSerial.MatchString(replaced.SerialNumber) {
		t.Errorf("replace: got serial %q, want a new one in place of %q", replaced.SerialNumber, serial)
	}
	if got := api.FindCard(t, f.Client, serial).Want(t, http.StatusOK); len(got.Items) != 0 {
		t.Errorf("the lost card's serial: got %v, want no card", foundExtIDs(got))
	}
	if got := foundExtIDs(api.FindCard(t, f.Client, replaced.SerialNumber).Want(t, http.StatusOK)); !slices.Equal(got, []string{f.Card}) {
		t.Errorf("the new serial: got %v, want [%s]", got, f.Card)
	}

	// Serials are unique: every card of a run of creates has its own.
	seen := map[string]bool{replaced.SerialNumber: true}
	for i := range 20 {
		g := s.addUser(t, f, uid("serial-many")+string(rune('a'+i)))
		sn := api.GetCard(t, g.CardKey).Want(t, http.StatusOK).SerialNumber
		if seen[sn] {
			t.Fatalf("serial %s given twice", sn)
		}
		seen[sn] = true
	}
}

// TestPrintedCardShowsItsSerial: the PDF of a new card prints its serial number, the one the
// card's reads show.
func TestPrintedCardShowsItsSerial(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "serial-pdf")
	card := f.UserKey().Card(uid("printed"))
	created := api.CreateCardPDF(t, f.UserKey(), client.CredentialCreate{ExtID: card.Card}).Want(t, http.StatusCreated)
	shows := func(pdf client.PDF, serial string) bool {
		return slices.ContainsFunc(pdfTexts(pdf), func(s string) bool { return strings.Contains(s, serial) })
	}
	if serial := api.GetCard(t, card).Want(t, http.StatusOK).SerialNumber; !shows(created, serial) {
		t.Errorf("the printed new card does not show its serial %s", serial)
	}
	replaced := api.ReplaceCardPDF(t, card, client.CredentialReplace{}).Want(t, http.StatusOK)
	if serial := api.GetCard(t, card).Want(t, http.StatusOK).SerialNumber; !shows(replaced, serial) {
		t.Errorf("the printed replacement does not show its new serial %s", serial)
	}
}

// TestChallengeBodyPicksTheCard: a user with two cards is asked the newest usable one, unless the
// challenge body names the card by extId or serial; the login then answers the challenge asked
// last (API.md section 6).
func TestChallengeBodyPicksTheCard(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "pick")
	user := f.UserKey()
	older := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	newer := api.CreateCard(t, user, client.CredentialCreate{ExtID: uid("pick-newer")}).Want(t, http.StatusCreated)
	newerCells := cellsOf(t, newer.OTP)

	if ch := api.Challenge(t, user).Want(t, http.StatusOK); ch.CredentialExtID != newer.ExtID || ch.SerialNumber != newer.SerialNumber {
		t.Fatalf("no body: got card %s (%s), want the newest, %s", ch.CredentialExtID, ch.SerialNumber, newer.ExtID)
	}
	// Empty bodies, with any content type, ask as no body does: the same outstanding challenge.
	for _, body := range []client.Request{
		{Method: http.MethodPost, Path: user.ChallengePath(), Body: []byte("{}"), Header: http.Header{"Content-Type": {"application/json"}}},
		{Method: http.MethodPost, Path: user.ChallengePath(), Body: []byte("  \n"), Header: http.Header{"Content-Type": {"text/plain"}}},
		{Method: http.MethodPost, Path: user.ChallengePath(), Body: []byte{}, Header: http.Header{"Content-Type": {"application/octet-stream"}}},
	} {
		api.Do(t, body).WantStatus(t, http.StatusOK)
	}

	// The user has the older card at hand: by serial as typed, then by extId (the same challenge).
	byOlder := api.ChallengeCard(t, user, client.ChallengeRequest{SerialNumber: asTyped(older.SerialNumber)}).Want(t, http.StatusOK)
	if byOlder.CredentialExtID != f.Card || byOlder.Challenge == nil {
		t.Fatalf("by serial: got card %s, challenge %v; want %s and a label", byOlder.CredentialExtID, byOlder.Challenge, f.Card)
	}
	again := api.ChallengeCard(t, user, client.ChallengeRequest{CredentialExtID: f.Card}).Want(t, http.StatusOK)
	if again.Challenge == nil || *again.Challenge != *byOlder.Challenge {
		t.Fatalf("by extId while one is outstanding: got %v, want the same %s", again.Challenge, *byOlder.Challenge)
	}
	res := api.Login(t, user, client.LoginRequest{Challenge: *byOlder.Challenge, Password: answer(t, f.cells, *byOlder.Challenge)}).Want(t, http.StatusOK)
	if res.StatusCode != credential.StatusLoginOK || res.CredentialExtID != f.Card {
		t.Fatalf("login to the challenge asked last: got statusCode %d on %s, want 5 on %s", res.StatusCode, res.CredentialExtID, f.Card)
	}
	// The newer card's challenge is still outstanding, and now the one asked last.
	label := challenge(t, api, user)
	if got := logIn(t, api, user, label, answer(t, newerCells, label)); got != credential.StatusLoginOK {
		t.Errorf("login to the newer card: got statusCode %d, want 5", got)
	}

	// A card the user does not have: 404, nothing changed.
	other := api.CreateUser(t, f.Client, client.UserCreate{ExtID: uid("pick-other"), LoginID: uid("pick-other")}).Want(t, http.StatusCreated)
	othersCard := api.CreateCard(t, client.UserKey{Client: f.Client, User: other.ExtID}, client.CredentialCreate{}).Want(t, http.StatusCreated)
	before := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	for name, body := range map[string]client.ChallengeRequest{
		"unknown serial":          {SerialNumber: "0000-0000-0000"},
		"another user's serial":   {SerialNumber: othersCard.SerialNumber},
		"unknown extId":           {CredentialExtID: "no-such-card"},
		"another user's card":     {CredentialExtID: othersCard.ExtID},
		"the replaced old serial": {SerialNumber: older.SerialNumber},
	} {
		if name == "the replaced old serial" {
			api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
			before = api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
		}
		api.ChallengeCard(t, user, body).WantProblem(t, http.StatusNotFound, "errors.noRecord")
		if after := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); !sameCard(before, after) {
			t.Errorf("%s: the card changed: %+v", name, after)
		}
	}
}

// TestExpiredCards: once validity.to has passed, reads say expired and keep the state, challenge
// and login are refused with 403, and a replace restarts the validity (API.md sections 4.1 and
// 10.2).
func TestExpiredCards(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "expiry")
	policy := client.PolicyKey{Client: f.Client, Policy: uid("short")}
	api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: policy.Policy, Name: "short", PolicyType: "OTPCardPolicy",
		Parameters: map[string]string{"credentialLifetime": "1"}}).Want(t, http.StatusCreated)
	card := f.UserKey().Card(uid("expiring"))
	created := api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: card.Card, PolicyExtID: policy.Policy}).Want(t, http.StatusCreated)
	cells := cellsOf(t, created.OTP)
	time.Sleep(5 * time.Millisecond) // a lifetime of one millisecond: long past once the create has answered
	api.DeleteCard(t, f.CardKey).Want(t, http.StatusNoContent)

	got := api.GetCard(t, card).Want(t, http.StatusOK)
	if !got.Expired || got.StateName != "initial" {
		t.Fatalf("read of an expired card: got expired %v, state %s; want true, initial kept", got.Expired, got.StateName)
	}
	if listed := api.ListCards(t, f.UserKey(), client.Page{}).Want(t, http.StatusOK); len(listed.Items) != 1 || !listed.Items[0].Expired {
		t.Errorf("list: got %+v, want the one card, expired", listed.Items)
	}
	api.Challenge(t, f.UserKey()).WantProblem(t, http.StatusForbidden, "errors.credentialNotUsable")
	api.ChallengeCard(t, f.UserKey(), client.ChallengeRequest{CredentialExtID: card.Card}).WantProblem(t, http.StatusForbidden, "errors.credentialNotUsable")
	api.Login(t, f.UserKey(), client.LoginRequest{Challenge: "001", Password: cells[0]}).WantProblem(t, http.StatusForbidden, "errors.credentialNotUsable")
	if after := api.GetCard(t, card).Want(t, http.StatusOK); after.Version != got.Version {
		t.Errorf("refused challenge and login changed the card: version %d, want %d", after.Version, got.Version)
	}

	// Under a policy with a real lifetime, the replace restarts the validity: no longer expired.
	api.PatchPolicy(t, policy, client.PolicyPatch{Parameters: map[string]string{"credentialLifetime": "86400000"}}).Want(t, http.StatusOK)
	replaced := api.ReplaceCard(t, card, client.CredentialReplace{}).Want(t, http.StatusOK)
	if replaced.Expired {
		t.Errorf("replace of an expired card: still expired, validity %+v", replaced.Validity)
	}
	ch := api.Challenge(t, f.UserKey()).Want(t, http.StatusOK)
	if ch.CredentialExtID != card.Card || ch.Challenge == nil {
		t.Errorf("challenge after the replace: got %+v, want a label of %s", ch, card.Card)
	}
}

// TestSerialMatrix is the negative matrix of the serial look-ups and the challenge body (API.md
// sections 2, 6, 10.1 and 14).
func TestSerialMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	deny, room, none, bad := "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.noRecord", "errors.invalidData"
	find := func(query string) func(*testing.T, *client.API, fixture) client.Response {
		return raw(http.MethodGet, func(f fixture) string { return client.CardListPath(f.Client) + query }, "")
	}
	list := func(query string) func(*testing.T, *client.API, fixture) client.Response {
		return raw(http.MethodGet, func(f fixture) string { return f.UserKey().CardsPath() + query }, "")
	}
	ask := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		if len(header) == 0 {
			header = []string{"Content-Type", "application/json"}
		}
		return raw(http.MethodPost, func(f fixture) string { return f.UserKey().ChallengePath() }, body, header...)
	}
	serialOf := func(t *testing.T, s *service, f fixture) string {
		return s.root(t).GetCard(t, f.CardKey).Want(t, http.StatusOK).SerialNumber
	}
	findOwn := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.FindCard(t, f.Client, serialOf(t, s, f)).Response
	}
	outside := bearer(fixed(func(t *testing.T) string {
		return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"other"}, HasClients: true})
	}))
	runMatrix(t, s, "fsm", nil, []row{
		{name: "find: no token", as: anonymous, send: findOwn, status: 401, code: "errors.notAuthenticated"},
		{name: "find: expired token", as: bearer(fixed(func(t *testing.T) string {
			c := claimsFor("tester", "Root")
			c["iat"], c["nbf"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
			return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
		})), send: findOwn, status: 401, code: "errors.notAuthenticated"},
		{name: "find: bad signature", as: bearer(fixed(func(t *testing.T) string {
			return craftToken(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), nil, claimsFor("tester", "Root"))
		})), send: findOwn, status: 401, code: "errors.notAuthenticated"},
		{name: "find: UserView is not CredentialView", as: withRights("UserView"), send: findOwn, status: 403, code: deny},
		{name: "find: the card's owner as self-admin", as: owner(0), send: findOwn, status: 403, code: deny},
		{name: "find: outside the data room", as: outside, send: findOwn, status: 403, code: room},
		{name: "find: CredentialView finds it", as: withRights("CredentialView"), send: findOwn, status: 200},
		{name: "find: unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }), send: find("?serialNumber=0000-0000-0000"), status: 404, code: none},
		{name: "find: without serialNumber", send: find(""), status: 400, code: bad},
		{name: "find: empty serialNumber", send: find("?serialNumber="), status: 400, code: bad},
		{name: "find: malformed serialNumber", send: find("?serialNumber=7QX2-B9KM-03TU"), status: 400, code: bad},
		{name: "find: serialNumber too short", send: find("?serialNumber=7QX2-B9KM"), status: 400, code: bad},
		{name: "find: serialNumber twice", send: find("?serialNumber=0000-0000-0000&serialNumber=1111-1111-1111"), status: 400, code: bad},
		{name: "find: bad limit", send: find("?serialNumber=0000-0000-0000&limit=0"), status: 400, code: bad},
		{name: "list: malformed serialNumber", send: list("?serialNumber=not-a-serial"), status: 400, code: bad},
		{name: "list: serialNumber twice", send: list("?serialNumber=0000-0000-0000&serialNumber=0000-0000-0000"), status: 400, code: bad},
		{name: "list: unknown user", given: edit(func(f *fixture) { f.User = "nobody-user" }), send: list("?serialNumber=0000-0000-0000"), status: 404, code: none},
		{name: "challenge: both members", send: ask(`{"credentialExtId": "x", "serialNumber": "0000-0000-0000"}`), status: 400, code: bad},
		{name: "challenge: null serialNumber", send: ask(`{"serialNumber": null}`), status: 400, code: bad},
		{name: "challenge: null credentialExtId", send: ask(`{"credentialExtId": null}`), status: 400, code: bad},
		{name: "challenge: malformed serialNumber", send: ask(`{"serialNumber": "0000-0000-000U"}`), status: 400, code: bad},
		{name: "challenge: malformed credentialExtId", send: ask(`{"credentialExtId": "a b"}`), status: 400, code: bad},
		{name: "challenge: empty credentialExtId", send: ask(`{"credentialExtId": ""}`), status: 400, code: bad},
		{name: "challenge: serialNumber a number", send: ask(`{"serialNumber": 12}`), status: 400, code: bad},
		{name: "challenge: unknown member", send: ask(`{"card": "x"}`), status: 400, code: bad},
		{name: "challenge: not an object", send: ask(`["x"]`), status: 400, code: bad},
		{name: "challenge: malformed JSON", send: ask(`{"serialNumber": `), status: 400, code: bad},
		{name: "challenge: a body that is not JSON", send: ask(`{"serialNumber": "0000-0000-0000"}`, "Content-Type", "text/plain"), status: 415, code: "errors.unsupportedMediaType"},
		{name: "challenge: oversized body", send: ask(`{"serialNumber": "` + strings.Repeat("0", 70<<10) + `"}`), status: 413, code: "errors.payloadTooLarge"},
		{name: "challenge: unknown serial", send: ask(`{"serialNumber": "0000-0000-0000"}`), status: 404, code: none},
		{name: "challenge: without CredentialView", as: withRights("CredentialChangeState"), send: ask(`{"serialNumber": "0000-0000-0000"}`), status: 403, code: deny},
	})
}

// TestChallengeSizeIsBounded: a policy cannot ask no cell or more than four per challenge, nor more
// than its card has (API.md sections 5.2 and 14).
func TestChallengeSizeIsBounded(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "size")
	for _, params := range []map[string]string{
		{"challengeSize": "0"}, {"challengeSize": "5"}, {"challengeSize": "-1"}, {"challengeSize": "two"},
		{"rows": "1", "cols": "3", "cellLength": "6", "cellCharset": "digits", "challengeSize": "4"},
	} {
		api.CreatePolicy(t, f.Client, client.PolicyCreate{Name: uid("size"), PolicyType: "OTPCardPolicy", Parameters: params}).
			WantProblem(t, http.StatusUnprocessableEntity, "errors.policyViolation")
	}
	p := api.CreatePolicy(t, f.Client, client.PolicyCreate{Name: uid("size"), PolicyType: "OTPCardPolicy",
		Parameters: map[string]string{"challengeSize": "4", "sortChallenge": "true"}}).Want(t, http.StatusCreated)
	if p.Parameters["challengeSize"] != "4" || p.Parameters["sortChallenge"] != "true" || p.Parameters["fallbackTransitionPeriod"] != "14" {
		t.Errorf("parameters: got %v, want challengeSize 4, sortChallenge true and the defaults", p.Parameters)
	}
}
