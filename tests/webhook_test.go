package tests

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/adapters/webhook"
	"github.com/otpcard/otpcard/tests/client"
)

const webhookSecret = "webhook-secret-for-tests-0123456789abcdef"

// receiver is a webhook endpoint that checks signatures and can fail or block on demand.
type receiver struct {
	t        *testing.T
	mu       sync.Mutex
	ids      []int64
	types    []string
	received []hookEvent   // every event, in the order it arrived
	failures int           // answer 500 to this many more deliveries
	down     bool          // answer 503 to everything
	hold     chan struct{} // while open, the first delivery waits for it to close
	release  func()        // closes hold once
	srv      *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t, hold: make(chan struct{})}
	rc.release = sync.OnceFunc(func() { close(rc.hold) })
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	t.Cleanup(rc.release) // runs first: a held delivery must end before the server closes
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !webhook.Verify([]byte(webhookSecret), r.Header.Get(webhook.TimestampHeader), body, r.Header.Get(webhook.SignatureHeader)) {
		rc.t.Errorf("delivery with a bad signature: %s", body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	<-rc.hold
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if rc.failures > 0 {
		rc.failures--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var p hookEvent
	if err := json.Unmarshal(body, &p); err != nil {
		rc.t.Errorf("delivery is not JSON: %s", body)
	}
	if n := len(rc.ids); n > 0 && rc.ids[n-1] == p.ID {
		return // a redelivery after a lost answer: at least once
	}
	rc.ids = append(rc.ids, p.ID)
	rc.types = append(rc.types, p.Type)
	rc.received = append(rc.received, p)
}

// hookEvent is what the receiver reads of a delivery.
type hookEvent struct {
	ID         int64  `json:"id"`
	Type       string `json:"type"`
	Time       string `json:"time"`
	Credential string `json:"credentialExtId"`
	Version    int32  `json:"version"`
}

// events returns what the receiver holds so far.
func (rc *receiver) events() []hookEvent {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookEvent(nil), rc.received...)
}

// waitFor waits until the receiver holds n events.
func (rc *receiver) waitFor(t *testing.T, n int) []int64 {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		rc.mu.Lock()
		ids := append([]int64(nil), rc.ids...)
		rc.mu.Unlock()
		if len(ids) >= n || time.Now().After(deadline) {
			return ids
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func increasing(ids []int64) bool {
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			return false
		}
	}
	return true
}

func webhookEnv(rc *receiver) map[string]string {
	return map[string]string{"OTPCARD_WEBHOOK_URL": rc.srv.URL + "/hook", "OTPCARD_WEBHOOK_SECRET": webhookSecret}
}

// TestWebhookDeliversSignedEventsInOrderDespiteFailures: a receiver that fails for a while still
// gets every event, once, in order, and a slow receiver never slows the API down.
func TestWebhookDeliversSignedEventsInOrderDespiteFailures(t *testing.T) {
	rc := newReceiver(t)
	rc.failures = 3
	s := startServiceWith(t, io.Discard, webhookEnv(rc))
	f := s.newFixture(t, "hook") // the receiver holds the first delivery meanwhile
	api := s.root(t)
	start := time.Now()
	for range 3 {
		api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("three replaces took %v while the receiver hung; want the API unaffected", took)
	}
	rc.release()
	want := s.eventCount(t, eventsOf{})
	ids := rc.waitFor(t, want)
	if len(ids) != want {
		t.Fatalf("receiver got %d events, want %d", len(ids), want)
	}
	if !increasing(ids) {
		t.Errorf("events out of order: %v", ids)
	}
	rc.mu.Lock()
	last := rc.types[len(rc.types)-1]
	rc.mu.Unlock()
	if last != "otp-card.replaced" {
		t.Errorf("last event: got %s, want otp-card.replaced", last)
	}
}

// TestEventsSurviveACrashBeforeDelivery: events committed while the receiver was down are
// delivered by the next instance that starts on the database: nothing is lost between commit
// and delivery.
func TestEventsSurviveACrashBeforeDelivery(t *testing.T) {
	t.Parallel()
	needOwnInstance(t, "a database of its own, a webhook receiver and a restart")
	rc := newReceiver(t)
	rc.release()
	rc.down = true
	url := pgtest.URL(t)
	pepper := make([]byte, 32)
	rand.Read(pepper)
	env := webhookEnv(rc)
	env["OTPCARD_DATABASE_URL"] = url
	env["OTPCARD_CELL_PEPPER"] = b64(pepper)
	first := startServiceWith(t, io.Discard, env)
	f := first.newFixture(t, "crash")
	want := first.eventCount(t, eventsOf{})
	first.stop(t) // the instance goes away with every event undelivered

	rc.mu.Lock()
	rc.down = false
	delivered := len(rc.ids)
	rc.mu.Unlock()
	if delivered != 0 {
		t.Fatalf("the receiver was down but holds %d events", delivered)
	}
	second := startServiceWith(t, io.Discard, env)
	ids := rc.waitFor(t, want)
	if len(ids) != want || !increasing(ids) {
		t.Fatalf("after the restart the receiver got %v, want all %d events in order", ids, want)
	}
	second.root(t).GetCard(t, f.CardKey).Want(t, http.StatusOK)
}

// TestTwoInstancesDeliverEachEventOnce runs two instances on one database with one receiver.
func TestTwoInstancesDeliverEachEventOnce(t *testing.T) {
	needOwnInstance(t, "a second instance on a database of its own and a webhook receiver")
	rc := newReceiver(t)
	rc.release()
	env := webhookEnv(rc)
	env["OTPCARD_DATABASE_URL"] = pgtest.URL(t)
	pepper := make([]byte, 32)
	rand.Read(pepper)
	env["OTPCARD_CELL_PEPPER"] = b64(pepper)
	a := startServiceWith(t, io.Discard, env)
	b := startServiceWith(t, io.Discard, env)
	f := a.newFixture(t, "twin")
	for i := range 6 {
		s := a
		if i%2 == 1 {
			s = b
		}
		s.root(t).ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK)
	}
	want := a.eventCount(t, eventsOf{})
	ids := rc.waitFor(t, want)
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive within a few polls
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.ids) != want || !increasing(rc.ids) {
		t.Fatalf("receiver got %v, want %d events once each, in order (%v)", rc.ids, want, ids)
	}
}
