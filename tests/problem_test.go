package tests

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// This file holds the helpers of the negative matrices (replace_matrix_test.go,
// cards_matrix_test.go, directory_matrix_test.go) and the tests of the operational endpoints and of
// the problem format itself.

// bind returns the service reporting its failures to t (a subtest) instead of the top-level test.
func (s *service) bind(t *testing.T) *service {
	c := *s
	c.t = t
	return &c
}

// leakMarkers must never appear in an error body (API.md section 1.1): SQL, driver errors, panics.
var leakMarkers = []string{"SELECT", "INSERT", "UPDATE ", "pq:", "panic", "goroutine", "sql", "runtime."}

// expectProblem checks an RFC 9457 problem of the status with the nevisIDM error code and returns it.
func expectProblem(t *testing.T, r response, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d, want %d; body %s", r.status, status, r.body)
	}
	if got := r.header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type: got %q, want application/problem+json", got)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body: got %q, want a JSON object: %v", r.body, err)
	}
	for _, m := range []string{"type", "title", "detail"} {
		if v, ok := p[m].(string); !ok || v == "" {
			t.Errorf("problem member %s: got %v, want a non-empty string", m, p[m])
		}
	}
	if got, ok := p["status"].(float64); !ok || int(got) != status {
		t.Errorf("problem status member: got %v, want %d", p["status"], status)
	}
	errs, _ := p["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("problem errors: got %v, want at least one item", p["errors"])
	}
	first, _ := errs[0].(map[string]any)
	if got := first["code"]; got != code {
		t.Errorf("errors[0].code: got %v, want %s", got, code)
	}
	if _, ok := first["message"].(string); !ok {
		t.Errorf("errors[0].message: got %v, want a string", first["message"])
	}
	body := string(r.body)
	for _, m := range leakMarkers {
		if strings.Contains(body, m) || (m == "sql" || m == "panic" || m == "goroutine") && strings.Contains(strings.ToLower(body), m) {
			t.Errorf("problem body: got %s, want no %q in it", body, m)
		}
	}
	return p
}

// noSecrets fails when the body carries one of the secrets (a token, a cell, a whole card).
func noSecrets(t *testing.T, r response, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && bytes.Contains(r.body, []byte(sec)) {
			t.Errorf("body: got a secret %.10q... in %s, want none", sec, r.body)
		}
	}
}

// secretsOf lists what an error answer to req about f must never show: the tokens sent and the
// fixture's cells (those with a letter: all-digit cells could match a number in a message).
func secretsOf(req request, f fixture) []string {
	out := []string{req.bearer, req.xToken, strings.Join(f.cells, "")}
	for _, h := range []string{"Authorization", "X-Token"} {
		if v := req.headers[h]; len(v) > 12 {
			out = append(out, v)
		}
	}
	for _, c := range f.cells {
		if strings.IndexFunc(c, func(r rune) bool { return r >= 'A' && r <= 'Z' }) >= 0 {
			out = append(out, c)
		}
	}
	return out
}

// mcase is one row of a matrix: a request built against a fixture, the expected status and, for
// errors, the expected code.
type mcase struct {
	name   string
	req    func(t *testing.T, f fixture) request
	status int
	code   string // empty: a success row
	check  func(t *testing.T, r response, f fixture)
}

// runMatrix runs each case as a subtest. With shared nil every case gets a fresh fixture named
// prefix+index (so rate limits and earlier rows never interfere); otherwise they share it. For an
// error row the fixture's card must be unchanged afterwards.
func runMatrix(t *testing.T, s *service, prefix string, shared *fixture, cases []mcase) {
	t.Helper()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ss := s.bind(t)
			var f fixture
			if shared != nil {
				f = *shared
			} else {
				f = ss.newFixture(t, fmt.Sprintf("%s%02d", prefix, i))
			}
			req := c.req(t, f)
			var before map[string]any
			if c.code != "" {
				before = ss.cardSnapshot(t, f)
			}
			r := ss.do(req)
			if c.code != "" {
				expectProblem(t, r, c.status, c.code)
				noSecrets(t, r, secretsOf(req, f)...)
				if after := ss.cardSnapshot(t, f); !sameCard(before, after) {
					t.Errorf("stored card: got %v, want it unchanged %v", after, before)
				}
			} else if r.status != c.status {
				t.Fatalf("status: got %d, want %d; body %s", r.status, c.status, r.body)
			}
			if c.check != nil {
				c.check(t, r, f)
			}
		})
	}
}

// cardSnapshot reads the fixture's card with a Root token.
func (s *service) cardSnapshot(t *testing.T, f fixture) map[string]any {
	t.Helper()
	r := s.do(request{method: "GET", path: s.cardPath(f), bearer: rootToken(t)})
	mustStatus(t, r, http.StatusOK)
	return r.json(t)
}

func sameCard(a, b map[string]any) bool {
	for _, m := range []string{"version", "otp", "lastModified", "modificationComment", "stateName",
		"remainingChallenges", "failedLoginCount"} {
		if a[m] != b[m] {
			return false
		}
	}
	return true
}

// rawDo sends a request whose body may be unsized (chunked) and returns transport errors instead of
// failing, for the cases where the server may close the connection after answering.
func rawDo(s *service, method, path string, hdr map[string]string, body io.Reader) (response, error) {
	hr, err := http.NewRequest(method, s.baseURL+path, body)
	if err != nil {
		return response{}, err
	}
	for k, v := range hdr {
		hr.Header.Set(k, v)
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil {
		validateResponse(s.t, hr, resp.StatusCode, resp.Header, data)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}, err
}

// otherSecret signs tokens the service must not accept.
const otherSecret = "another-secret-that-is-not-the-service-one-0123"

// claimsFor are valid claims of a subject; roles may be empty.
func claimsFor(sub string, roles ...string) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"iss": issuer, "aud": audience, "sub": sub, "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix()}
	if len(roles) > 0 {
		c["roles"] = roles
	}
	return c
}

// craftToken signs claims with the method and key, adding the extra header parameters.
func craftToken(t *testing.T, m jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("craft token: %v", err)
	}
	return s
}

// algNoneToken is an unsigned token (alg none) carrying the claims.
func algNoneToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

// wrongSecretToken is a Root token signed with a secret the service does not know.
func wrongSecretToken(t *testing.T) string {
	t.Helper()
	tok, err := jwtauth.MintHS256([]byte(otherSecret), jwtauth.MintOptions{Subject: "tester",
		Roles: []string{"Root"}, TTL: time.Hour, Issuer: issuer, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// permsToken is an admin token holding exactly the rights.
func permsToken(t *testing.T, rights ...string) string {
	t.Helper()
	return token(t, jwtauth.MintOptions{Permissions: rights})
}

// roleToken is an admin token with the roles.
func roleToken(t *testing.T, roles ...string) string {
	t.Helper()
	return token(t, jwtauth.MintOptions{Roles: roles})
}

// selfToken is a self-admin (X-Token) token of the user, authenticated age ago.
func selfToken(t *testing.T, user string, age time.Duration) string {
	t.Helper()
	return token(t, jwtauth.MintOptions{Subject: user, AuthTime: time.Now().Add(-age)})
}

var generatedRequestID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestProblemAndOperations(t *testing.T) {
	s := startService(t)

	t.Run("unknown routes are 404 problems", func(t *testing.T) {
		for _, p := range []string{"/nope", corePath + "/nothing/at/all/here", "/nevisidm/api/core/v2/clients"} {
			ss := s.bind(t)
			r := ss.do(request{method: "GET", path: p, bearer: rootToken(t)})
			expectProblem(t, r, http.StatusNotFound, "errors.noRecord")
		}
	})
	t.Run("wrong method is 405 with Allow", func(t *testing.T) {
		r := s.bind(t).do(request{method: "POST", path: "/healthz", body: map[string]any{}})
		expectProblem(t, r, http.StatusMethodNotAllowed, "errors.methodNotAllowed")
		if got := r.header.Get("Allow"); !strings.Contains(got, "GET") {
			t.Errorf("Allow: got %q, want it to list GET", got)
		}
	})
	for _, p := range []string{"/healthz", "/readyz"} {
		t.Run(p, func(t *testing.T) {
			r := s.bind(t).do(request{method: "GET", path: p})
			mustStatus(t, r, http.StatusOK)
			if got := r.json(t)["status"]; got != "ok" {
				t.Errorf("status member: got %v, want ok", got)
			}
		})
	}
	t.Run("/metrics", func(t *testing.T) {
		// Listing an unknown user's cards runs a prepared statement (the user check), which the
		// query timing histogram counts as it counts bun's queries.
		mustStatus(t, s.bind(t).do(request{method: "GET", path: corePath + "/" + uid("no-client") + "/users/x/otp-credentials",
			bearer: rootToken(t)}),
			http.StatusNotFound)
		r := s.bind(t).do(request{method: "GET", path: "/metrics"})
		mustStatus(t, r, http.StatusOK)
		if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
			t.Errorf("Content-Type: got %q, want text/plain", got)
		}
		if !bytes.Contains(r.body, []byte("go_goroutines")) {
			t.Errorf("metrics: got %d bytes without go_goroutines, want it", len(r.body))
		}
		for _, want := range []string{`go_sql_query_timing`, `otel_scope_name="github.com/uptrace/bun"`,
			`otel_scope_name="github.com/otpcard/otpcard/adapters/postgres"`} {
			if !bytes.Contains(r.body, []byte(want)) {
				t.Errorf("metrics: no %s", want)
			}
		}
	})
	t.Run("X-Request-Id", func(t *testing.T) {
		cases := []struct {
			name, sent string
			echoed     bool
		}{
			{"well-formed", "req-1234_abc.DEF:9", true},
			{"absent", "", false},
			{"with a space", "bad id", false},
			{"with a quote", `bad"id`, false},
			{"too long", strings.Repeat("a", 129), false},
			{"longest accepted", strings.Repeat("b", 128), true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ss := s.bind(t)
				for _, path := range []string{"/healthz", corePath + "/clients"} { // a 200 and a 401
					var hdr map[string]string
					if c.sent != "" {
						hdr = map[string]string{"X-Request-Id": c.sent}
					}
					r := ss.do(request{method: "GET", path: path, headers: hdr})
					got := r.header.Get("X-Request-Id")
					switch {
					case c.echoed && got != c.sent:
						t.Errorf("%s: X-Request-Id: got %q, want %q echoed", path, got, c.sent)
					case !c.echoed && !generatedRequestID.MatchString(got):
						t.Errorf("%s: X-Request-Id: got %q, want a generated id", path, got)
					}
				}
			})
		}
	})
	t.Run("generated request ids differ", func(t *testing.T) {
		ss := s.bind(t)
		a := ss.do(request{method: "GET", path: "/healthz"}).header.Get("X-Request-Id")
		b := ss.do(request{method: "GET", path: "/healthz"}).header.Get("X-Request-Id")
		if a == b {
			t.Errorf("request ids: got %q twice, want distinct ids", a)
		}
	})
}
