package tests

import (
	"net/http"
	"testing"
)

// TestMemberNamesAreExact: encoding/json would match {"NAME": ...} to "name"; API.md makes
// every member it does not know a 400, whatever the case.
func TestMemberNamesAreExact(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "case")
	tok := rootToken(t)
	cases := []struct {
		name, path, body string
	}{
		{"client NAME", corePath + "/clients", `{"NAME": "Upper"}`},
		{"replace Version", s.replacePath(f), `{"Version": 1}`},
		{"user nested FirstName", corePath + "/" + f.client + "/users", `{"loginId": "case-x", "name": {"FirstName": "A"}}`},
		{"user PATCH nested Email", corePath + "/" + f.client + "/users/" + f.user, `{"contacts": {"Email": "a@example.com"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := "POST"
			if c.name == "user PATCH nested Email" {
				method = "PATCH"
			}
			r := s.bind(t).do(request{method: method, path: c.path, bearer: tok, body: c.body})
			expectProblem(t, r, http.StatusBadRequest, "errors.invalidData")
		})
	}
	r := s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: `{"version": 1, "modificationComment": "exact"}`})
	mustStatus(t, r, http.StatusOK)
}
