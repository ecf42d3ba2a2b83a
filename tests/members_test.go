package tests

import (
	"net/http"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

// TestMemberNamesAreExact: encoding/json would match {"NAME": ...} to "name"; API.md makes
// every member it does not know a 400, whatever the case.
func TestMemberNamesAreExact(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f := s.newFixture(t, "case")
	bad := "errors.invalidData"
	runMatrix(t, s, "", &f, []row{
		{name: "client NAME", send: raw("POST", at(client.ClientsPath), `{"NAME": "Upper"}`), status: 400, code: bad},
		{name: "replace Version", send: raw("POST", fixture.ReplacePath, `{"Version": 1}`), status: 400, code: bad},
		{name: "user nested FirstName", send: raw("POST", usersOf, `{"loginId": "case-x", "name": {"FirstName": "A"}}`), status: 400, code: bad},
		{name: "user PATCH nested Email", send: raw("PATCH", userOf, `{"contacts": {"Email": "a@example.com"}}`), status: 400, code: bad},
		{name: "the same members spelled right", send: raw("POST", fixture.ReplacePath, `{"version": 1, "modificationComment": "exact"}`), status: http.StatusOK},
	})
}
