package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/tests/client"
)

// TestInjectedFailureBeforeCommitKeepsOldCard makes the event insert of a replace fail, after
// the card row was already updated inside the transaction: the replace must answer 500
// errors.fatalError without any SQL or database text, and roll back whole: the card keeps its
// version and comment, no otp-card.replaced event exists, and a cell of the old card still logs in.
func TestInjectedFailureBeforeCommitKeepsOldCard(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s := startServiceWith(t, logs, nil)
	dumpLogsOnFailure(t, logs)
	api := s.root(t)
	f := s.newFixture(t, "inject")
	before := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The message imitates SQL so that a leak into the response would show.
	install := []string{
		`CREATE FUNCTION fail_replaced_event() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'injected failure: SELECT verifier FROM otp_cards'; END $$`,
		`CREATE TRIGGER fail_replaced_event BEFORE INSERT ON events FOR EACH ROW
		WHEN (NEW.type = 'otp-card.replaced') EXECUTE FUNCTION fail_replaced_event()`,
	}
	for _, stmt := range install {
		if _, err := s.sql(t).ExecContext(ctx, stmt); err != nil {
			t.Fatalf("install the failing trigger: %v", err)
		}
	}
	r := api.ReplaceCard(t, f.CardKey, client.CredentialReplace{ModificationComment: "must not stick", Version: f.version})
	r.WantProblem(t, http.StatusInternalServerError, "errors.fatalError")
	for _, leak := range append(client.LeakMarkers, "injected", "verifier", "otp_cards", "events", "trigger", "P0001") {
		if strings.Contains(string(r.Body), leak) {
			t.Errorf("500 body: got %s, want no %q", r.Body, leak)
		}
	}
	if !strings.Contains(logs.String(), "request failed") {
		t.Errorf("logs: got no line for the 500, want one (5xx are logged at the HTTP edge)")
	}
	for _, stmt := range []string{`DROP TRIGGER fail_replaced_event ON events`, `DROP FUNCTION fail_replaced_event()`} {
		if _, err := s.sql(t).ExecContext(ctx, stmt); err != nil {
			t.Fatalf("remove the failing trigger: %v", err)
		}
	}

	if after := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); after != before {
		t.Errorf("card after the failed replace:\n got %+v\nwant %+v (unchanged)", after, before)
	}
	s.wantEvents(t, eventsOf{typ: "otp-card.replaced", card: f.Card}, 0) // the replace failed
	label := challenge(t, api, f.UserKey())
	if code := logIn(t, api, f.UserKey(), label, answer(t, f.cells, label)); code != 5 {
		t.Errorf("login with a cell of the old card: got statusCode %d, want 5 (Login Ok)", code)
	}
	// Nothing was left locked: the next replace goes through.
	api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
}

// TestFaultClientGoneIsNoServerError: a client that gives up on its request while the service
// waits for the database (here for a row lock the test holds) is no failure of the service: no
// 5xx, no error log line, only an access log line with 499; and the abandoned replace changes
// nothing.
func TestFaultClientGoneIsNoServerError(t *testing.T) {
	logs := &syncBuffer{}
	s := startServiceWith(t, logs, map[string]string{"OTPCARD_LOG_LEVEL": "info"})
	dumpLogsOnFailure(t, logs)
	api := s.root(t)
	f := s.newFixture(t, "gone")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := s.sql(t).BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "SELECT 1 FROM otp_cards WHERE ext_id = $1 FOR UPDATE", f.Card); err != nil {
		t.Fatal(err)
	}
	reqCtx, giveUp := context.WithTimeout(ctx, 500*time.Millisecond)
	defer giveUp()
	if r, err := api.Send(withContext{t, reqCtx}, client.Request{Method: "POST", Path: f.ReplacePath(), Body: []byte(`{}`)}); err == nil {
		t.Fatalf("replace behind a held row lock: got %d, want the client to give up first", r.Status)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("replace behind a held row lock: got %v, want the client's deadline", err)
	}
	// Wait for the service to log the abandoned request, then release the lock.
	var line map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for line == nil {
		line = logLine(t, logs, func(m map[string]any) bool {
			return m["msg"] == "request" && strings.HasSuffix(m["route"].(string), "/replace")
		})
		if line == nil && time.Now().After(deadline) {
			t.Fatal("no access log line for the abandoned replace within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if status, _ := line["status"].(float64); status != 499 || line["level"] != "INFO" {
		t.Errorf("access log of the abandoned replace: got status %v at %v, want 499 at INFO", line["status"], line["level"])
	}
	if bad := logLine(t, logs, func(m map[string]any) bool { return m["level"] == "ERROR" }); bad != nil {
		t.Errorf("logs: got an error line %v, want none for a client that went away", bad)
	}
	if got := api.GetCard(t, f.CardKey).Want(t, http.StatusOK).Version; got != f.version {
		t.Errorf("version after the abandoned replace: got %v, want %v", got, f.version)
	}
}

// withContext is a test whose calls run under another context: one that gives up early.
type withContext struct {
	*testing.T
	ctx context.Context
}

// Context is the context the calls run under.
func (w withContext) Context() context.Context { return w.ctx }

// logLine returns the first JSON log line that match accepts, or nil.
func logLine(t *testing.T, logs *syncBuffer, match func(map[string]any) bool) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue
		}
		if match(m) {
			return m
		}
	}
	return nil
}
