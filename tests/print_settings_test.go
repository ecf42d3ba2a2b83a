package tests

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// recipient is a fresh age X25519 recipient.
func recipient(t *testing.T) string {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

// TestPrintSettings: a client's print settings (API.md 11.2) start empty, are replaced whole
// (recipients once each, language keys in capitals), move the client's version and record
// client.changed; the same settings again change nothing.
func TestPrintSettings(t *testing.T) {
	t.Parallel()
	s, f, api := startWithFixture(t, "print")
	if got := api.GetPrintSettings(t, f.Client).Want(t, http.StatusOK); len(got.Recipients) != 0 || got.Recipients == nil ||
		got.HelpdeskContact != nil || got.InPersonHandover {
		t.Errorf("before any PUT: %+v, want no recipients ([]), no contact, no handover", got)
	}
	version := api.GetClient(t, f.Client).Want(t, http.StatusOK).Version
	r1, r2 := recipient(t), recipient(t)
	put := client.PrintSettingsPut{Recipients: []string{r1, r2, r1}, HelpdeskContact: map[string]string{"en": "+41 44 000 00 00", "De": "Hilfe: 044 000 00 00"},
		InPersonHandover: true}
	got := api.SetPrintSettings(t, f.Client, put).Want(t, http.StatusOK)
	want := client.PrintSettings{Recipients: []string{r1, r2}, HelpdeskContact: map[string]string{"EN": "+41 44 000 00 00", "DE": "Hilfe: 044 000 00 00"},
		InPersonHandover: true}
	same := func(a, b client.PrintSettings) bool {
		return slices.Equal(a.Recipients, b.Recipients) && a.InPersonHandover == b.InPersonHandover &&
			len(a.HelpdeskContact) == len(b.HelpdeskContact) && a.HelpdeskContact["EN"] == b.HelpdeskContact["EN"] && a.HelpdeskContact["DE"] == b.HelpdeskContact["DE"]
	}
	if !same(got, want) {
		t.Errorf("PUT answered %+v, want %+v", got, want)
	}
	if read := api.GetPrintSettings(t, f.Client).Want(t, http.StatusOK); !same(read, want) {
		t.Errorf("GET after the PUT: %+v, want %+v", read, want)
	}
	if v := api.GetClient(t, f.Client).Want(t, http.StatusOK).Version; v != version+1 {
		t.Errorf("client version after the PUT: %d, want %d", v, version+1)
	}
	api.SetPrintSettings(t, f.Client, put).Want(t, http.StatusOK)
	if v := api.GetClient(t, f.Client).Want(t, http.StatusOK).Version; v != version+1 {
		t.Errorf("client version after the same PUT again: %d, want %d (no change)", v, version+1)
	}
	events := s.auditEvents(t, client.AuditQuery{ClientExtID: f.Client, Type: "client.changed"}, 1)
	if len(events) != 1 || events[0].Data["printSettings"] != "changed" || events[0].Version != version+1 {
		t.Errorf("client.changed events: %+v, want one for the print settings at version %d", events, version+1)
	}
	cleared := api.SetPrintSettings(t, f.Client, client.PrintSettingsPut{Recipients: []string{}, Version: version + 1}).Want(t, http.StatusOK)
	if len(cleared.Recipients) != 0 || cleared.HelpdeskContact != nil || cleared.InPersonHandover {
		t.Errorf("cleared: %+v, want nothing set", cleared)
	}
}

// TestPrintSettingsMatrix is the negative matrix of the print settings (API.md sections 2 and 14).
func TestPrintSettingsMatrix(t *testing.T) {
	t.Parallel()
	s, f, _ := startWithFixture(t, "psm")
	good := recipient(t)
	put := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		if len(header) == 0 {
			header = []string{"Content-Type", "application/json"}
		}
		return raw(http.MethodPut, func(f fixture) string { return client.PrintSettingsPath(f.Client) }, body, header...)
	}
	read := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.GetPrintSettings(t, f.Client).Response
	}
	valid := `{"recipients": ["` + good + `"]}`
	secret, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	secretKey := secret.String()
	expired := bearer(fixed(func(t *testing.T) string {
		c := claimsFor("tester", "Root")
		c["iat"], c["nbf"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
	}))
	forged := bearer(fixed(func(t *testing.T) string {
		return craftToken(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), nil, claimsFor("tester", "Root"))
	}))
	outside := bearer(fixed(func(t *testing.T) string {
		return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"other"}, HasClients: true})
	}))
	const bad, deny, room, unauth = "errors.invalidData", "errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.notAuthenticated"
	unchanged := func(t *testing.T, _ client.Response, f fixture) {
		if got := s.root(t).GetPrintSettings(t, f.Client).Want(t, http.StatusOK); len(got.Recipients) != 0 {
			t.Errorf("a refused PUT stored %+v", got)
		}
	}
	rows := []row{
		{name: "PUT: no token", as: anonymous, send: put(valid), status: 401, code: unauth, check: unchanged},
		{name: "GET: no token", as: anonymous, send: read, status: 401, code: unauth},
		{name: "PUT: expired token", as: expired, send: put(valid), status: 401, code: unauth, check: unchanged},
		{name: "PUT: forged token", as: forged, send: put(valid), status: 401, code: unauth, check: unchanged},
		{name: "PUT: ClientView is not ClientModify", as: withRights("ClientView"), send: put(valid), status: 403, code: deny, check: unchanged},
		{name: "GET: ClientModify alone is not ClientView", as: withRights("ClientModify"), send: read, status: 403, code: deny},
		{name: "GET: ClientView reads", as: withRights("ClientView"), send: read, status: 200},
		{name: "PUT: a user as self-admin", as: owner(0), send: put(valid), status: 403, code: deny, check: unchanged},
		{name: "PUT: outside the data room", as: outside, send: put(valid), status: 403, code: room, check: unchanged},
		{name: "GET: outside the data room", as: outside, send: read, status: 403, code: room},
		{name: "PUT: unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }), send: put(valid), status: 404, code: "errors.noRecord"},
		{name: "GET: unknown client", given: edit(func(f *fixture) { f.Client = "nobody-client" }), send: read, status: 404, code: "errors.noRecord"},
		{name: "PUT: not an age recipient", send: put(`{"recipients": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk"]}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: an age identity, not its recipient", send: put(`{"recipients": ["AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"]}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: a recipient with a bad checksum", send: put(`{"recipients": ["` + flipLast(good) + `"]}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: a secret key, never repeated", send: put(`{"recipients": ["` + secretKey + `"]}`), status: 400, code: bad,
			check: func(t *testing.T, r client.Response, f fixture) {
				if strings.Contains(string(r.Body), secretKey[15:40]) {
					t.Errorf("the answer repeats the secret key: %s", r.Body)
				}
				unchanged(t, r, f)
			}},
		{name: "PUT: a language twice", send: put(`{"recipients": [], "helpdeskContact": {"en": "a", "EN": "b"}}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: a contact with a control character", send: put(`{"recipients": [], "helpdeskContact": {"EN": "call\u0007 us"}}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: a stale version", send: put(`{"recipients": [], "version": 0}`), status: 409, code: "errors.optimisticLockingFailure", check: unchanged},
		{name: "PUT: a version that is not a number", send: put(`{"recipients": [], "version": "one"}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: an unknown language", send: put(`{"recipients": [], "helpdeskContact": {"ES": "ayuda"}}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: recipients missing", send: put(`{"inPersonHandover": true}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: recipients null", send: put(`{"recipients": null}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: recipients a string", send: put(`{"recipients": "` + good + `"}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: an unknown member", send: put(`{"recipients": [], "printer": "lp0"}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: malformed JSON", send: put(`{"recipients": [`), status: 400, code: bad, check: unchanged},
		{name: "PUT: no body", send: put(""), status: 400, code: bad, check: unchanged},
		{name: "PUT: 21 recipients", send: put(`{"recipients": ["` + strings.Join(recipients(t, 21), `", "`) + `"]}`), status: 400, code: bad, check: unchanged},
		{name: "PUT: text/plain", send: put(valid, "Content-Type", "text/plain"), status: 415, code: "errors.unsupportedMediaType", check: unchanged},
		{name: "PUT: 70 KiB", send: put(`{"recipients": [], "helpdeskContact": {"EN": "` + strings.Repeat("x", 70*1024) + `"}}`), status: 413,
			code: "errors.payloadTooLarge", check: unchanged},
	}
	runMatrix(t, s, "psm", &f, rows)
}

func recipients(t *testing.T, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = recipient(t)
	}
	return out
}

// flipLast changes the last character of a bech32 string to another one of its alphabet: the
// checksum no longer holds.
func flipLast(s string) string {
	if s[len(s)-1] == 'q' {
		return s[:len(s)-1] + "p"
	}
	return s[:len(s)-1] + "q"
}
