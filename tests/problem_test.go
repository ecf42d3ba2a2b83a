package tests

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

var generatedRequestID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// TestProblemAndOperations covers the operational endpoints and the problem format of routes the
// API does not have.
func TestProblemAndOperations(t *testing.T) {
	t.Parallel()
	s := startService(t)

	t.Run("unknown routes are 404 problems", func(t *testing.T) {
		for _, p := range []string{"/nope", client.CorePath + "/nothing/at/all/here", "/nevisidm/api/core/v2/clients"} {
			s.root(t).Do(t, client.Request{Method: "GET", Path: p}).WantProblem(t, http.StatusNotFound, "errors.noRecord")
		}
	})
	t.Run("wrong method is 405 with Allow", func(t *testing.T) {
		r := s.api.Do(t, client.Request{Method: "POST", Path: "/healthz", Body: []byte(`{}`)})
		r.WantProblem(t, http.StatusMethodNotAllowed, "errors.methodNotAllowed")
		if got := r.Header.Get("Allow"); !strings.Contains(got, "GET") {
			t.Errorf("Allow: got %q, want it to list GET", got)
		}
	})
	for name, probe := range map[string]func(client.T, ...client.Option) client.Reply[client.HealthStatus]{
		"/healthz": s.api.Healthz, "/readyz": s.api.Readyz,
	} {
		t.Run(name, func(t *testing.T) {
			if got := probe(t).Want(t, http.StatusOK).Status; got != "ok" {
				t.Errorf("status member: got %v, want ok", got)
			}
		})
	}
	t.Run("/metrics", func(t *testing.T) {
		// Listing an unknown user's cards runs a prepared statement (the user check), which the
		// query timing histogram counts as it counts bun's queries.
		s.root(t).ListCards(t, client.UserKey{Client: uid("no-client"), User: "x"}, client.Page{}).
			WantStatus(t, http.StatusNotFound)
		r := s.api.Metrics(t)
		body := r.Want(t, http.StatusOK)
		if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
			t.Errorf("Content-Type: got %q, want text/plain", got)
		}
		if !bytes.Contains(body, []byte("go_goroutines")) {
			t.Errorf("metrics: got %d bytes without go_goroutines, want it", len(body))
		}
		for _, want := range []string{`go_sql_query_timing`, `otel_scope_name="github.com/uptrace/bun"`,
			`otel_scope_name="github.com/otpcard/otpcard/adapters/postgres"`} {
			if !bytes.Contains(body, []byte(want)) {
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
				var opts []client.Option
				if c.sent != "" {
					opts = append(opts, client.Header("X-Request-Id", c.sent))
				}
				for _, r := range []client.Response{s.api.Healthz(t, opts...).Response, // a 200 and a 401
					s.api.ListClients(t, client.Page{}, opts...).Response} {
					got := r.Header.Get("X-Request-Id")
					switch {
					case c.echoed && got != c.sent:
						t.Errorf("%s: X-Request-Id: got %q, want %q echoed", r.Request.URL.Path, got, c.sent)
					case !c.echoed && !generatedRequestID.MatchString(got):
						t.Errorf("%s: X-Request-Id: got %q, want a generated id", r.Request.URL.Path, got)
					}
				}
			})
		}
	})
	t.Run("generated request ids differ", func(t *testing.T) {
		a := s.api.Healthz(t).Header.Get("X-Request-Id")
		b := s.api.Healthz(t).Header.Get("X-Request-Id")
		if a == b {
			t.Errorf("request ids: got %q twice, want distinct ids", a)
		}
	})
}
