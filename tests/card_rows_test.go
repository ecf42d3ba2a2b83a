package tests

import (
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

// The rows that the matrices of the writes to one card (PATCH of its state, replace) share: the
// paths that name no card, and the versions that are not the card's.

// unknownCardRows are the 404 rows of send to a path that names no card: an unknown client, user
// or card, and the user of another fixture (named prefix and the row's client) under its client.
func unknownCardRows(send func(*testing.T, *client.API, fixture) client.Response, prefix string) []row {
	none := "errors.noRecord"
	return []row{
		{name: "unknown client", given: edit(func(f *fixture) { f.Client = "unknown-client" }), send: send, status: 404, code: none},
		{name: "unknown user", given: edit(func(f *fixture) { f.User = "unknown-user" }), send: send, status: 404, code: none},
		{name: "unknown credential", given: edit(func(f *fixture) { f.Card = "unknown-card" }), send: send, status: 404, code: none},
		{name: "user under the wrong client", given: func(t *testing.T, s *service, f fixture) fixture {
			g := s.newFixture(t, prefix+f.Client)
			f.Client, f.Card = g.Client, g.Card
			return f
		}, send: send, status: 404, code: none},
	}
}

// staleVersionRows are the rows of a write to a fresh card (version 1) sending a version that is
// not the card's: 409 for a number or a decimal string, 400 for a signed string. changedFirst
// writes the card once before the row's request, so that version 1 is old; after names that write.
func staleVersionRows(withVersion func(v any) func(*testing.T, *client.API, fixture) client.Response,
	changedFirst func(*testing.T, *service, fixture) fixture, after string) []row {
	lock, bad := "errors.optimisticLockingFailure", "errors.invalidData"
	return []row{
		{name: "number 0", send: withVersion(0), status: 409, code: lock},
		{name: "string 0", send: withVersion("0"), status: 409, code: lock},
		{name: "future version 2", send: withVersion(2), status: 409, code: lock},
		{name: "negative", send: withVersion(-1), status: 409, code: lock},
		{name: "negative as a string", send: withVersion("-1"), status: 400, code: bad},
		{name: "signed string", send: withVersion("+1"), status: 400, code: bad},
		{name: "old version after " + after + " (number)", given: changedFirst, send: withVersion(1), status: 409, code: lock},
		{name: "old version after " + after + " (string)", given: changedFirst, send: withVersion("1"), status: 409, code: lock},
	}
}
