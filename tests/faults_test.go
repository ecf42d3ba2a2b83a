package tests

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres/cluster"
	"github.com/otpcard/otpcard/tests/client"
)

// This file holds the database outage tests (issue 5, "Faults"): a database that is gone
// (stopped: connections refused) and one that is silent (accepts, never answers). Both must give
// 503 errors.serviceUnavailable with Retry-After within outageBound, and the service must work
// again, without a restart, once the database is back.

// outageBound is the longest a request may take to answer while the database is unreachable: the
// per-request deadline (10 s) plus slack for a slow, race-instrumented CI machine.
const outageBound = 12 * time.Second

// reachableTempDir returns a new directory the postgres OS user can traverse (when the tests run
// as root, t.TempDir's 0700 parent keeps it out); it is removed when the test ends.
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "otpcard-faults-*")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// dedicatedCluster starts a throwaway PostgreSQL cluster of the test's own, which the test may
// halt and resume without disturbing the shared pgtest cluster of the other tests. It holds an
// empty database "otpcard".
func dedicatedCluster(t *testing.T) *cluster.Cluster {
	t.Helper()
	needOwnInstance(t, "a PostgreSQL cluster of its own to halt and resume")
	dir := reachableTempDir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Config{
		DataDir: filepath.Join(dir, "postgres"), BinDir: os.Getenv("OTPCARD_PG_BIN"), Ephemeral: true})
	if err != nil {
		t.Fatalf("start a dedicated cluster: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop the dedicated cluster: %v", err)
		}
	})
	if err := c.CreateDatabase(ctx, "otpcard"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return c
}

// dumpLogsOnFailure prints the service's logs when the test fails.
func dumpLogsOnFailure(t *testing.T, logs *syncBuffer) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service logs:\n%s", logs)
		}
	})
}

// outageRequest is one request path checked while the database is unreachable and after it is
// back; wantAfter is its status once the database works again (0: not retried afterwards).
type outageRequest struct {
	name      string
	req       client.Request
	wantAfter int
}

// outageRequests are one request of every kind of database work: the readiness ping, reads and
// lists, a transaction with hashing (replace), row-locking updates (challenge, login, PATCH),
// inserts, deletes and the audit trail. They are sent as Root.
func outageRequests(f fixture) []outageRequest {
	req := func(method, path, body string) client.Request {
		r := client.Request{Method: method, Path: path}
		if body != "" {
			r.Body = []byte(body)
		}
		return r
	}
	unique := strconv.FormatInt(time.Now().UnixNano(), 36)
	return []outageRequest{
		{"readyz", req("GET", "/readyz", ""), 0},
		{"get card", req("GET", f.Path(), ""), http.StatusOK},
		{"list cards", req("GET", f.UserKey().CardsPath(), ""), http.StatusOK},
		{"replace", req("POST", f.ReplacePath(), `{"modificationComment": "during the outage"}`), http.StatusOK},
		{"challenge", req("POST", f.UserKey().ChallengePath(), ""), http.StatusOK},
		{"login", req("POST", f.UserKey().LoginPath(), `{"challenge": "001", "password": "0000"}`), http.StatusOK},
		{"patch card", req("PATCH", f.Path(), `{"modificationComment": "patched"}`), http.StatusOK},
		{"create card", req("POST", f.UserKey().CardsPath(), `{}`), http.StatusCreated},
		{"get user", req("GET", f.UserKey().Path(), ""), http.StatusOK},
		{"patch user", req("PATCH", f.UserKey().Path(), `{"remarks": "outage"}`), http.StatusOK},
		{"create user", req("POST", client.UsersPath(f.Client), `{"loginId": "outage-`+unique+`"}`), http.StatusCreated},
		{"list clients", req("GET", client.ClientsPath, ""), http.StatusOK},
		{"create client", req("POST", client.ClientsPath, `{"name": "outage `+unique+`"}`), http.StatusCreated},
		{"list policies", req("GET", client.PolicyListPath(f.Client), ""), http.StatusOK},
		{"delete policy", req("DELETE", client.PolicyKey{Client: f.Client, Policy: "no-such-policy"}.Path(), ""), http.StatusNotFound},
		{"audit events", req("GET", client.AuditPath+"?credentialExtId="+f.Card, ""), http.StatusOK},
	}
}

// expectUnavailable checks a 503 answer given within outageBound. It only reports (Errorf), so
// that it may run in a goroutine other than the test's.
func expectUnavailable(t *testing.T, name string, r client.Response, took time.Duration) {
	t.Helper()
	t.Logf("database unreachable: %s answered %d in %v", name, r.Status, took.Round(time.Millisecond))
	if took > outageBound {
		t.Errorf("database unreachable: %s took %v, want at most %v", name, took, outageBound)
	}
	if p := r.Problem(); r.Status != http.StatusServiceUnavailable || p.Code() != "errors.serviceUnavailable" || p.Status != r.Status {
		t.Errorf("database unreachable: %s got %d %s, want 503 errors.serviceUnavailable; body %s", name, r.Status, p.Code(), r.Body)
	}
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Errorf("database unreachable: %s Retry-After: got %q, want a positive number of seconds", name, r.Header.Get("Retry-After"))
	}
}

// awaitReady polls /readyz until it answers 200 and returns how long that took.
func awaitReady(t *testing.T, s *service, within time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	for {
		if r := s.api.Readyz(t); r.Status == http.StatusOK {
			return time.Since(began)
		}
		if time.Since(began) > within {
			t.Fatalf("/readyz after the database came back: not 200 for %v", within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expectRecovered sends the requests again and checks they succeed, and that the events of the
// changes made now reach the audit trail.
func expectRecovered(t *testing.T, s *service, f fixture) {
	t.Helper()
	api := s.root(t)
	var replaced int32
	for _, rq := range outageRequests(f) {
		if rq.wantAfter == 0 {
			continue
		}
		began := time.Now()
		r := api.Do(t, rq.req)
		t.Logf("database back: %s answered %d in %v", rq.name, r.Status, time.Since(began).Round(time.Millisecond))
		if r.Status != rq.wantAfter {
			t.Errorf("database back: %s got %d, want %d; body %s", rq.name, r.Status, rq.wantAfter, r.Body)
		}
		if rq.name == "replace" && r.Status == http.StatusOK {
			replaced = client.Decode[client.Credential](t, r).Version
		}
	}
	if replaced == 0 {
		t.Fatal("no replace succeeded after the database came back")
	}
	// The dispatcher backed off during the outage (at most 30 s); auditEvents waits 15 s more.
	deadline := time.Now().Add(45 * time.Second)
	for {
		events := s.auditEvents(t, client.AuditQuery{CredentialExtID: f.Card, Type: "otp-card.replaced"}, 1)
		for _, e := range events {
			if e.Version == replaced {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit trail after the outage: got %+v, want the otp-card.replaced event of version %v", events, replaced)
		}
	}
}

// TestOutageAnswers503AndRecovers stops the database under a running service: every request path
// answers 503 errors.serviceUnavailable with Retry-After within outageBound and /readyz is 503;
// once the database is back the same requests succeed without restarting the service, and the
// events of changes made afterwards reach the audit trail (the dispatcher survived the outage).
func TestOutageAnswers503AndRecovers(t *testing.T) {
	c := dedicatedCluster(t)
	logs := &syncBuffer{}
	s := startServiceWith(t, logs, map[string]string{"OTPCARD_DATABASE_URL": c.URL("otpcard")})
	dumpLogsOnFailure(t, logs)
	f := s.newFixture(t, "outage")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Halt(ctx); err != nil {
		t.Fatalf("halt the database: %v", err)
	}
	for _, rq := range outageRequests(f) {
		t.Run("down/"+rq.name, func(t *testing.T) {
			began := time.Now()
			r := s.root(t).Do(t, rq.req)
			expectUnavailable(t, rq.name, r, time.Since(began))
			r.WantProblem(t, http.StatusServiceUnavailable, "errors.serviceUnavailable")
		})
	}

	if err := c.Resume(ctx); err != nil {
		t.Fatalf("resume the database: %v", err)
	}
	t.Logf("ready again %v after the database came back", awaitReady(t, s, 10*time.Second).Round(time.Millisecond))
	expectRecovered(t, s, f)
}

// TestOutageSilentDatabaseAnswers503InBoundedTime puts a proxy between the service and PostgreSQL
// and freezes it: connections stay open and new ones are accepted, but no byte goes through, as
// with a hung server or a network partition. Requests must still answer 503 within outageBound
// (the per-request deadline and the connect timeout bound every wait), and work again once the
// proxy thaws.
func TestOutageSilentDatabaseAnswers503InBoundedTime(t *testing.T) {
	c := dedicatedCluster(t)
	p := newFreezingProxy(t, c.Port())
	dbURL, err := url.Parse(c.URL("otpcard"))
	if err != nil {
		t.Fatal(err)
	}
	dbURL.Host = p.addr()
	logs := &syncBuffer{}
	s := startServiceWith(t, logs, map[string]string{"OTPCARD_DATABASE_URL": dbURL.String()})
	dumpLogsOnFailure(t, logs)
	f := s.newFixture(t, "silent")
	api := s.root(t)

	p.freeze()
	var wg sync.WaitGroup
	for _, rq := range outageRequests(f) {
		wg.Go(func() { // concurrently: each may wait for the whole deadline
			began := time.Now()
			r, err := api.Send(t, rq.req)
			took := time.Since(began)
			if err != nil {
				t.Errorf("database silent: %s: %v after %v", rq.name, err, took)
				return
			}
			expectUnavailable(t, rq.name, r, took)
		})
	}
	wg.Wait()

	p.thaw()
	t.Logf("ready again %v after the database came back", awaitReady(t, s, 10*time.Second).Round(time.Millisecond))
	expectRecovered(t, s, f)
}
