package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres/cluster"
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
	req       request
	wantAfter int
}

// outageRequests are one request of every kind of database work: the readiness ping, reads and
// lists, a transaction with hashing (replace), row-locking updates (challenge, login, PATCH),
// inserts, deletes and the audit trail.
func outageRequests(s *service, f fixture, tok string) []outageRequest {
	user := corePath + "/" + f.client + "/users/" + f.user
	return []outageRequest{
		{"readyz", request{method: "GET", path: "/readyz"}, 0},
		{"get card", request{method: "GET", path: s.cardPath(f), bearer: tok}, http.StatusOK},
		{"list cards", request{method: "GET", path: s.cardsPath(f), bearer: tok}, http.StatusOK},
		{"replace", request{method: "POST", path: s.replacePath(f), bearer: tok,
			body: map[string]any{"modificationComment": "during the outage"}}, http.StatusOK},
		{"challenge", request{method: "POST", path: s.challengePath(f), bearer: tok}, http.StatusOK},
		{"login", request{method: "POST", path: s.loginPath(f), bearer: tok,
			body: map[string]any{"challenge": "001", "password": "0000"}}, http.StatusOK},
		{"patch card", request{method: "PATCH", path: s.cardPath(f), bearer: tok,
			body: map[string]any{"modificationComment": "patched"}}, http.StatusOK},
		{"create card", request{method: "POST", path: s.cardsPath(f), bearer: tok, body: map[string]any{}}, http.StatusCreated},
		{"get user", request{method: "GET", path: user, bearer: tok}, http.StatusOK},
		{"patch user", request{method: "PATCH", path: user, bearer: tok,
			body: map[string]any{"remarks": "outage"}}, http.StatusOK},
		{"create user", request{method: "POST", path: corePath + "/" + f.client + "/users", bearer: tok,
			body: map[string]any{"loginId": "outage-" + strconv.FormatInt(time.Now().UnixNano(), 36)}}, http.StatusCreated},
		{"list clients", request{method: "GET", path: corePath + "/clients", bearer: tok}, http.StatusOK},
		{"create client", request{method: "POST", path: corePath + "/clients", bearer: tok,
			body: map[string]any{"name": "outage " + strconv.FormatInt(time.Now().UnixNano(), 36)}}, http.StatusCreated},
		{"list policies", request{method: "GET", path: policiesPath(f.client), bearer: tok}, http.StatusOK},
		{"delete policy", request{method: "DELETE", path: policyPath(f.client, "no-such-policy"), bearer: tok}, http.StatusNotFound},
		{"audit events", request{method: "GET", path: auditPath + "?credentialExtId=" + f.card, bearer: tok}, http.StatusOK},
	}
}

// expectUnavailable checks a 503 answer given within outageBound.
func expectUnavailable(t *testing.T, name string, r response, took time.Duration) {
	t.Helper()
	t.Logf("database unreachable: %s answered %d in %v", name, r.status, took.Round(time.Millisecond))
	if took > outageBound {
		t.Errorf("database unreachable: %s took %v, want at most %v", name, took, outageBound)
	}
	expectProblem(t, r, http.StatusServiceUnavailable, "errors.serviceUnavailable")
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Errorf("database unreachable: %s Retry-After: got %q, want a positive number of seconds", name, r.header.Get("Retry-After"))
	}
}

// awaitReady polls /readyz until it answers 200 and returns how long that took.
func awaitReady(t *testing.T, s *service, within time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	for {
		r := s.do(request{method: "GET", path: "/readyz"})
		if r.status == http.StatusOK {
			return time.Since(began)
		}
		if time.Since(began) > within {
			t.Fatalf("/readyz after the database came back: got %d for %v, want 200", r.status, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expectRecovered sends the requests again and checks they succeed, and that the events of the
// changes made now reach the audit trail.
func expectRecovered(t *testing.T, s *service, f fixture, tok string) {
	t.Helper()
	var replaced float64
	for _, rq := range outageRequests(s, f, tok) {
		if rq.wantAfter == 0 {
			continue
		}
		began := time.Now()
		r := s.do(rq.req)
		t.Logf("database back: %s answered %d in %v", rq.name, r.status, time.Since(began).Round(time.Millisecond))
		if r.status != rq.wantAfter {
			t.Errorf("database back: %s got %d, want %d; body %s", rq.name, r.status, rq.wantAfter, r.body)
		}
		if rq.name == "replace" && r.status == http.StatusOK {
			replaced = r.json(t)["version"].(float64)
		}
	}
	if replaced == 0 {
		t.Fatal("no replace succeeded after the database came back")
	}
	// The dispatcher backed off during the outage (at most 30 s); auditEvents waits 15 s more.
	deadline := time.Now().Add(45 * time.Second)
	for {
		events := s.auditEvents(t, url.Values{"credentialExtId": {f.card}, "type": {"otp-card.replaced"}}, 1)
		for _, e := range events {
			if v, _ := e["version"].(float64); v == replaced {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit trail after the outage: got %v, want the otp-card.replaced event of version %v", events, replaced)
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
	tok := rootToken(t)
	f := s.newFixture(t, "outage")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Halt(ctx); err != nil {
		t.Fatalf("halt the database: %v", err)
	}
	for _, rq := range outageRequests(s, f, tok) {
		t.Run("down/"+rq.name, func(t *testing.T) {
			began := time.Now()
			r := s.bind(t).do(rq.req)
			expectUnavailable(t, rq.name, r, time.Since(began))
		})
	}

	if err := c.Resume(ctx); err != nil {
		t.Fatalf("resume the database: %v", err)
	}
	t.Logf("ready again %v after the database came back", awaitReady(t, s, 10*time.Second).Round(time.Millisecond))
	expectRecovered(t, s, f, tok)
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
	tok := rootToken(t)
	f := s.newFixture(t, "silent")

	p.freeze()
	var wg sync.WaitGroup
	for _, rq := range outageRequests(s, f, tok) {
		wg.Go(func() { // concurrently: each may wait for the whole deadline
			began := time.Now()
			r, err := s.try(rq.req)
			took := time.Since(began)
			if err != nil {
				t.Errorf("database silent: %s: %v after %v", rq.name, err, took)
				return
			}
			expectUnavailableAsync(t, rq.name, r, took)
		})
	}
	wg.Wait()

	p.thaw()
	t.Logf("ready again %v after the database came back", awaitReady(t, s, 10*time.Second).Round(time.Millisecond))
	expectRecovered(t, s, f, tok)
}

// expectUnavailableAsync is expectUnavailable for a goroutine other than the test's: it only
// reports, never stops the test.
func expectUnavailableAsync(t *testing.T, name string, r response, took time.Duration) {
	t.Logf("database silent: %s answered %d in %v", name, r.status, took.Round(time.Millisecond))
	if took > outageBound {
		t.Errorf("database silent: %s took %v, want at most %v", name, took, outageBound)
	}
	if r.status != http.StatusServiceUnavailable || codeOf(r) != "errors.serviceUnavailable" {
		t.Errorf("database silent: %s got %d %s, want 503 errors.serviceUnavailable; body %s", name, r.status, codeOf(r), r.body)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Errorf("database silent: %s Retry-After: got %q, want a positive number of seconds", name, r.header.Get("Retry-After"))
	}
}

// try is do for goroutines other than the test's: transport errors are returned, contract
// violations reported with t.Errorf.
func (s *service) try(req request) (response, error) {
	var body io.Reader
	if req.body != nil {
		data, err := json.Marshal(req.body)
		if err != nil {
			return response{}, err
		}
		body = bytes.NewReader(data)
	}
	hr, err := http.NewRequest(req.method, s.baseURL+req.path, body)
	if err != nil {
		return response{}, err
	}
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+req.bearer)
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	validateResponse(s.t, hr, resp.StatusCode, resp.Header, data)
	return response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}
