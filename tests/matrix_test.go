package tests

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// The one way the tests write a matrix: rows of who calls, what they send, and what must come
// back. A row's caller and request are functions of the row's fixture, so that a row can name the
// fixture's client, user and card, or another fixture it creates.

// row is one line of a matrix.
type row struct {
	name string
	// given prepares the row before anything is sent and returns the target of the request: the
	// fixture itself, brought to a starting state, or a fixture whose path names something else.
	// nil: the fixture as it is.
	given  func(t *testing.T, s *service, f fixture) fixture
	as     caller                                                              // the caller; nil: Root
	send   func(t *testing.T, api *client.API, target fixture) client.Response // the request
	status int                                                                 // the status wanted
	code   string                                                              // the errors[0].code wanted; "" for a success
	check  func(t *testing.T, r client.Response, f fixture)                    // more checks, or nil
}

// caller is who sends a row's request: the service's API with the caller's credentials.
type caller func(t *testing.T, s *service, f fixture) *client.API

// anonymous sends no credentials.
func anonymous(_ *testing.T, s *service, _ fixture) *client.API { return s.api }

// bearer sends a token made for the row as an admin (Authorization: Bearer).
func bearer(tok func(t *testing.T, f fixture) string) caller {
	return func(t *testing.T, s *service, f fixture) *client.API { return s.api.As(tok(t, f)) }
}

// xToken sends a token made for the row as a self-admin (X-Token).
func xToken(tok func(t *testing.T, f fixture) string) caller {
	return func(t *testing.T, s *service, f fixture) *client.API { return s.api.Self(tok(t, f)) }
}

// fixed is a token that does not depend on the row's fixture.
func fixed(tok func(t *testing.T) string) func(*testing.T, fixture) string {
	return func(t *testing.T, _ fixture) string { return tok(t) }
}

// withRights is an admin holding exactly the rights.
func withRights(rights ...string) caller {
	return bearer(func(t *testing.T, _ fixture) string { return token(t, jwtauth.MintOptions{Permissions: rights}) })
}

// withUnprefixedRights is an admin whose permissions claim holds the rights without the
// "AccessControl." prefix that withRights gives them: rights the service must ignore.
func withUnprefixedRights(rights ...string) caller {
	return bearer(fixed(func(t *testing.T) string {
		c := claimsFor("tester")
		c["permissions"] = rights
		return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
	}))
}

// withRoles is an admin with the roles.
func withRoles(roles ...string) caller {
	return bearer(func(t *testing.T, _ fixture) string { return token(t, jwtauth.MintOptions{Roles: roles}) })
}

// inRoom is Root confined to a data room of the clients (none: an empty room).
func inRoom(clients ...string) caller {
	return bearer(func(t *testing.T, _ fixture) string {
		return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: clients, HasClients: true})
	})
}

// inOwnRoom is Root confined to the fixture's client (and others).
func inOwnRoom(others ...string) caller {
	return bearer(func(t *testing.T, f fixture) string {
		return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: append(others, f.Client), HasClients: true})
	})
}

// owner is the fixture's user as a self-admin, authenticated age ago.
func owner(age time.Duration) caller {
	return xToken(func(t *testing.T, f fixture) string { return selfToken(t, f.User, age) })
}

// selfOf is another user as a self-admin.
func selfOf(user string) caller {
	return xToken(func(t *testing.T, _ fixture) string { return selfToken(t, user, 0) })
}

// raw sends a request as written: path from the fixture, body as is (nil: none), with the
// headers given as name, value pairs.
func raw(method string, path func(f fixture) string, body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
	return func(t *testing.T, api *client.API, f fixture) client.Response {
		r := client.Request{Method: method, Path: path(f), Header: http.Header{}}
		if body != "" {
			r.Body = []byte(body)
		}
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return api.Do(t, r)
	}
}

// at is a path without the fixture in it.
func at(path string) func(fixture) string { return func(fixture) string { return path } }

// runMatrix runs each row as a subtest. With shared nil every row gets a fresh fixture named
// prefix+index (so rate limits and earlier rows never interfere); otherwise they share it. An
// error row must answer its problem, show no token nor cell, and leave the fixture's card as it
// was.
func runMatrix(t *testing.T, s *service, prefix string, shared *fixture, rows []row) {
	t.Helper()
	for i, c := range rows {
		t.Run(c.name, func(t *testing.T) {
			var f fixture
			if shared != nil {
				f = *shared
			} else {
				f = s.newFixture(t, fmt.Sprintf("%s%02d", prefix, i))
			}
			target := f
			if c.given != nil {
				target = c.given(t, s, f)
			}
			as := c.as
			if as == nil {
				as = func(t *testing.T, s *service, _ fixture) *client.API { return s.root(t) }
			}
			api := as(t, s, f)
			var before client.Credential
			if c.code != "" {
				before = s.cardSnapshot(t, f)
			}
			r := c.send(t, api, target)
			if c.code != "" {
				r.WantProblem(t, c.status, c.code)
				r.WantNoSecrets(t, secretsOf(r, f)...)
				if after := s.cardSnapshot(t, f); !sameCard(before, after) {
					t.Errorf("stored card: got %+v, want it unchanged %+v", after, before)
				}
			} else {
				r.WantStatus(t, c.status)
			}
			if c.check != nil {
				c.check(t, r, f)
			}
		})
	}
}

// cardSnapshot reads the fixture's card with a Root token.
func (s *service) cardSnapshot(t *testing.T, f fixture) client.Credential {
	t.Helper()
	return s.root(t).GetCard(t, f.CardKey).Want(t, http.StatusOK)
}

// sameCard compares what a refused write must not change.
func sameCard(a, b client.Credential) bool {
	return a.Version == b.Version && a.OTP == b.OTP && a.LastModified == b.LastModified &&
		a.ModificationComment == b.ModificationComment && a.StateName == b.StateName &&
		a.RemainingChallenges == b.RemainingChallenges && a.FailedLoginCount == b.FailedLoginCount
}

// secretsOf lists what an error answer about f must never show: the tokens sent and the fixture's
// cells (those with a letter: all-digit cells could match a number in a message).
func secretsOf(r client.Response, f fixture) []string {
	out := []string{strings.Join(f.cells, "")}
	if r.Request != nil {
		auth := r.Request.Header.Get("Authorization")
		out = append(out, strings.TrimPrefix(auth, "Bearer "), r.Request.Header.Get("X-Token"))
		if len(auth) > 12 {
			out = append(out, auth)
		}
	}
	for _, c := range f.cells {
		if strings.IndexFunc(c, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
			out = append(out, c)
		}
	}
	return out
}

// remember keeps a value per row name, for checks across the rows of a matrix.
type remember struct {
	mu   sync.Mutex
	vals map[string]string
}

// detail keeps the problem's detail under the row's name.
func (m *remember) detail(name string) func(*testing.T, client.Response, fixture) {
	return func(_ *testing.T, r client.Response, _ fixture) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.vals == nil {
			m.vals = map[string]string{}
		}
		m.vals[name] = r.Problem().Detail
	}
}

// same fails unless every value kept is the same.
func (m *remember) same(t *testing.T, what string) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	want, first := "", ""
	for name, v := range m.vals {
		if first == "" {
			want, first = v, name
		} else if v != want {
			t.Errorf("%s of %q: got %q, want %q as for %q", what, name, v, want, first)
		}
	}
}
