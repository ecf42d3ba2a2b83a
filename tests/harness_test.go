package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
)

// TestMain checks an external target (OTPCARD_TEST_BASE_URL) before any test runs against it.
func TestMain(m *testing.M) {
	if targetURL != "" {
		if err := awaitTarget(targetURL, 60*time.Second); err != nil {
			fmt.Fprintf(os.Stderr, "tests: %s: %v\n", envBaseURL, err)
			os.Exit(2)
		}
	}
	pgtest.Main(m)
}

const corePath = "/nevisidm/api/core/v1"

// service is the otpcard under test: started in-process through the real fx graph on a fresh
// database, or the external target, which has no database handle.
type service struct {
	t        *testing.T
	baseURL  string
	db       *sql.DB // nil for an external target: use sql(t)
	client   *http.Client
	stop     func(t *testing.T) // stops the instance now instead of at cleanup
	external bool               // shared with other tests and runs, maybe rate limited
}

// startService returns the external target or starts the real service graph on a fresh database
// and stops it at cleanup.
func startService(t *testing.T) *service {
	t.Helper()
	if targetURL != "" {
		return &service{t: t, baseURL: targetURL, client: &http.Client{Timeout: 30 * time.Second},
			stop: func(*testing.T) {}, external: true}
	}
	return startServiceWith(t, io.Discard, nil)
}

// sql is the service's database, for the checks no API can make. An external target has none:
// the test (or subtest) asking for it is skipped there, saying so.
func (s *service) sql(t *testing.T) *sql.DB {
	t.Helper()
	if s.external {
		t.Skipf("reads the database directly; skipped against %s", envBaseURL)
	}
	if s.db == nil {
		t.Fatal("this service was started without a database handle")
	}
	return s.db
}

// startServiceWith starts the service with its logs going to logs and extra environment. Tests
// that need it are skipped against an external target.
func startServiceWith(t *testing.T, logs io.Writer, extraEnv map[string]string) *service {
	t.Helper()
	if targetURL != "" {
		var need []string
		for _, k := range slices.Sorted(mapKeys(extraEnv)) {
			if strings.Contains(k, "URL") || strings.Contains(k, "SECRET") || strings.Contains(k, "PEPPER") ||
				strings.Contains(k, "FILE") {
				need = append(need, k) // a database of its own, a webhook receiver, a key file: no value to show
				continue
			}
			need = append(need, k+"="+extraEnv[k])
		}
		if logs != io.Discard {
			need = append(need, "its logs captured")
		}
		if len(need) == 0 {
			need = append(need, "a configuration of its own")
		}
		needOwnInstance(t, strings.Join(need, ", "))
	}
	url := extraEnv["OTPCARD_DATABASE_URL"] // a second instance on another's database
	if url == "" {
		url = pgtest.URL(t)
	}
	pepper := make([]byte, 32)
	if _, err := rand.Read(pepper); err != nil {
		t.Fatal(err)
	}
	cfg, err := bootstrap.LoadConfig(func(name string) (string, bool) {
		if v, ok := extraEnv[name]; ok {
			return v, true
		}
		v, ok := map[string]string{
			"OTPCARD_HTTP_ADDR":        "127.0.0.1:0",
			"OTPCARD_DATABASE_URL":     url,
			"OTPCARD_JWT_HS256_SECRET": testSecret,
			"OTPCARD_CELL_PEPPER":      b64(pepper),
			"OTPCARD_DATA_DIR":         t.TempDir(),
			"OTPCARD_LOG_LEVEL":        "warn",
			// Tests create many cards quickly; ratelimit_test.go switches the limits on.
			"OTPCARD_RATE_LIMIT": "off",
		}[name]
		return v, ok
	})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := bootstrap.Start(ctx, cfg, logs)
	if err != nil {
		t.Fatalf("start service: %v", err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func(t *testing.T) {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := r.Stop(ctx); err != nil {
				t.Errorf("stop service: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		db.Close()
		stop(t)
	})
	return &service{t: t, baseURL: r.BaseURL(), db: db, client: &http.Client{Timeout: 30 * time.Second}, stop: stop}
}

// token mints an HS256 token with the service's secret.
func token(t *testing.T, o jwtauth.MintOptions) string {
	t.Helper()
	if o.Issuer == "" {
		o.Issuer = issuer
	}
	if o.Audience == "" {
		o.Audience = audience
	}
	if o.TTL == 0 {
		o.TTL = time.Hour
	}
	if o.Subject == "" {
		o.Subject = "tester"
	}
	tok, err := jwtauth.MintHS256([]byte(testSecret), o)
	if err != nil {
		t.Fatalf("mint token: %v", err)
	}
	return tok
}

func rootToken(t *testing.T) string {
	t.Helper()
	return token(t, jwtauth.MintOptions{Roles: []string{"Root"}})
}

// request is one HTTP call; zero values mean: no body, admin token given in Bearer.
type request struct {
	method, path string
	bearer       string // Authorization: Bearer
	xToken       string // X-Token
	body         any    // marshalled to JSON unless a string or []byte
	contentType  string // default application/json when a body is given
	headers      map[string]string
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// do sends the request and validates the answer against openapi.json. A shared external target
// may be rate limited: its 429 answers (which change nothing) are retried after Retry-After, for
// up to two minutes, so that the suite passes against a production-like configuration too.
func (s *service) do(req request) response {
	s.t.Helper()
	var data []byte
	switch b := req.body.(type) {
	case nil:
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			s.t.Fatal(err)
		}
	}
	var waited time.Duration
	for {
		var body io.Reader
		if req.body != nil {
			body = bytes.NewReader(data)
		}
		hr, err := http.NewRequest(req.method, s.baseURL+req.path, body)
		if err != nil {
			s.t.Fatal(err)
		}
		if req.body != nil {
			ct := req.contentType
			if ct == "" {
				ct = "application/json"
			}
			hr.Header.Set("Content-Type", ct)
		}
		if req.bearer != "" {
			hr.Header.Set("Authorization", "Bearer "+req.bearer)
		}
		if req.xToken != "" {
			hr.Header.Set("X-Token", req.xToken)
		}
		for k, v := range req.headers {
			hr.Header.Set(k, v)
		}
		resp, err := s.client.Do(hr)
		if err != nil {
			s.t.Fatalf("%s %s: %v", req.method, req.path, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			s.t.Fatal(err)
		}
		validateResponse(s.t, hr, resp.StatusCode, resp.Header, got)
		if resp.StatusCode == http.StatusTooManyRequests && s.external && waited < 2*time.Minute {
			wait := time.Second
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
				wait = time.Duration(secs) * time.Second
			}
			s.t.Logf("%s %s: 429 from the target, retrying in %v", req.method, req.path, wait)
			time.Sleep(wait)
			waited += wait
			continue
		}
		return response{status: resp.StatusCode, header: resp.Header, body: got}
	}
}

// mustStatus fails the test unless the response has the status.
func mustStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("got status %d, want %d; body %s", r.status, want, r.body)
	}
}

// fixture is a client with a user holding one card.
type fixture struct {
	client, user, card string
	clientName, login  string // the client's name and the user's loginId
	cells              []string
	version            float64
}

// newFixture creates a client, a user and a card through the API, named after prefix and unique
// to the run (see uid).
func (s *service) newFixture(t *testing.T, prefix string) fixture {
	t.Helper()
	tok := rootToken(t)
	prefix = uid(prefix)
	f := fixture{client: prefix + "-client", user: prefix + "-user", card: prefix + "-card",
		clientName: prefix + " client", login: prefix + "-login"}
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/clients", bearer: tok,
		body: map[string]any{"extId": f.client, "name": f.clientName}}), 201)
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: tok,
		body: map[string]any{"extId": f.user, "loginId": f.login}}), 201)
	r := s.do(request{method: "POST", path: s.cardsPath(f), bearer: tok, body: map[string]any{"extId": f.card}})
	mustStatus(t, r, 201)
	m := r.json(t)
	f.cells = cellsOf(t, m["otp"].(string))
	f.version = m["version"].(float64)
	return f
}

func (s *service) cardsPath(f fixture) string {
	return corePath + "/" + f.client + "/users/" + f.user + "/otp-credentials"
}

func (s *service) cardPath(f fixture) string { return s.cardsPath(f) + "/" + f.card }

func (s *service) replacePath(f fixture) string { return s.cardPath(f) + "/replace" }
