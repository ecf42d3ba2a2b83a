package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	testSecret = "tests-hs256-secret-0123456789abcdef-0123"
	issuer     = "otpcard"
	audience   = "otpcard"
	corePath   = "/nevisidm/api/core/v1"
)

// service is otpcard started in-process through the real fx graph on a fresh database.
type service struct {
	t       *testing.T
	baseURL string
	db      *sql.DB
	client  *http.Client
	stop    func(t *testing.T) // stops the instance now instead of at cleanup
}

// startService starts the real service graph on a fresh database and stops it at cleanup.
func startService(t *testing.T) *service {
	t.Helper()
	return startServiceWith(t, io.Discard, nil)
}

// startServiceWith starts the service with its logs going to logs and extra environment.
func startServiceWith(t *testing.T, logs io.Writer, extraEnv map[string]string) *service {
	t.Helper()
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

func (s *service) do(req request) response {
	s.t.Helper()
	var body io.Reader
	switch b := req.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
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
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	validateResponse(s.t, hr, resp.StatusCode, resp.Header, data)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
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
	cells              []string
	version            float64
}

// newFixture creates a client, a user and a card through the API.
func (s *service) newFixture(t *testing.T, prefix string) fixture {
	t.Helper()
	tok := rootToken(t)
	f := fixture{client: prefix + "-client", user: prefix + "-user", card: prefix + "-card"}
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/clients", bearer: tok,
		body: map[string]any{"extId": f.client, "name": prefix + " client"}}), 201)
	mustStatus(t, s.do(request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: tok,
		body: map[string]any{"extId": f.user, "loginId": prefix + "-login"}}), 201)
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
