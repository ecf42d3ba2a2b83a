package tests

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/tests/client"
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

// service is the otpcard under test: started in-process through the real fx graph on a fresh
// database, or the external target, which has no database handle.
type service struct {
	api      *client.API // without credentials; every answer is held to openapi.json
	db       *sql.DB     // nil for an external target: use sql(t)
	stop     func(t *testing.T)
	external bool // shared with other tests and runs, maybe rate limited
}

// newAPI is the tests' client of the service at base. A shared external target may be rate
// limited: its 429 answers (which change nothing) are retried after Retry-After for up to two
// minutes, so that the suite passes against a production-like configuration too.
func newAPI(base string, external bool) *client.API {
	o := client.Options{HTTP: &http.Client{Timeout: 30 * time.Second}, Check: validateResponse}
	if external {
		o.RetryTooMany = 2 * time.Minute
	}
	return client.New(base, o)
}

// startService returns the external target or starts the real service graph on a fresh database
// and stops it at cleanup.
func startService(t *testing.T) *service {
	t.Helper()
	if targetURL != "" {
		return &service{api: newAPI(targetURL, true), stop: func(*testing.T) {}, external: true}
	}
	return startServiceWith(t, io.Discard, nil)
}

// root is the API as a Root admin.
func (s *service) root(t *testing.T) *client.API { return s.api.As(rootToken(t)) }

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
	return &service{api: newAPI(r.BaseURL(), false), db: db, stop: stop}
}

// token mints an HS256 token with the service's secret, issuer and audience, for sub "tester" and
// an hour unless o says otherwise.
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

// selfToken is a self-admin (X-Token) token of the user, authenticated age ago.
func selfToken(t *testing.T, user string, age time.Duration) string {
	t.Helper()
	return token(t, jwtauth.MintOptions{Subject: user, AuthTime: time.Now().Add(-age)})
}

// fixture is a client with a user holding one card, created through the API.
type fixture struct {
	client.CardKey
	clientName, login string // the client's name and the user's loginId
	cells             []string
	version           int32
	challenge         string // the outstanding challenge, once a matrix row has asked one
}

// newFixture creates a client, a user and a card through the API, named after prefix and unique
// to the run (see uid).
func (s *service) newFixture(t *testing.T, prefix string) fixture {
	t.Helper()
	api := s.root(t)
	prefix = uid(prefix)
	f := fixture{CardKey: client.CardKey{Client: prefix + "-client", User: prefix + "-user", Card: prefix + "-card"},
		clientName: prefix + " client", login: prefix + "-login"}
	api.CreateClient(t, client.ClientCreate{ExtID: f.Client, Name: f.clientName}).Want(t, http.StatusCreated)
	api.CreateUser(t, f.Client, client.UserCreate{ExtID: f.User, LoginID: f.login}).Want(t, http.StatusCreated)
	card := api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: f.Card}).Want(t, http.StatusCreated)
	f.cells = cellsOf(t, card.OTP)
	f.version = card.Version
	return f
}

// startWithFixture starts the service with one fixture named after prefix (see newFixture) and
// returns them with the API as Root: where most tests begin.
func startWithFixture(t *testing.T, prefix string) (*service, fixture, *client.API) {
	t.Helper()
	s := startService(t)
	return s, s.newFixture(t, prefix), s.root(t)
}

// addUser creates another user of f's client with a card named after it.
func (s *service) addUser(t *testing.T, f fixture, name string) fixture {
	t.Helper()
	api := s.root(t)
	g := fixture{CardKey: client.CardKey{Client: f.Client, User: name, Card: name + "-card"}, login: name + "-login"}
	api.CreateUser(t, f.Client, client.UserCreate{ExtID: g.User, LoginID: g.login}).Want(t, http.StatusCreated)
	card := api.CreateCard(t, g.UserKey(), client.CredentialCreate{ExtID: g.Card}).Want(t, http.StatusCreated)
	g.cells, g.version = cellsOf(t, card.OTP), card.Version
	return g
}

// atOnce makes n calls concurrently, released together, and returns their results by index.
func atOnce[R any](n int, call func(i int) R) []R {
	results := make([]R, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = call(i)
		})
	}
	close(start)
	wg.Wait()
	return results
}

// cellsOf parses an otp string and returns its cells.
func cellsOf(t *testing.T, otp string) []string {
	t.Helper()
	o, err := credential.ParseOTPString(otp)
	if err != nil {
		t.Fatalf("parse otp %q: %v", otp, err)
	}
	return o.Cells
}
