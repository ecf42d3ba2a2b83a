package bootstrap_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
)

// TestStartStopLeaksNoGoroutines runs the whole graph against a real database, with the rate
// limits and a webhook subscriber switched on, serves a few requests whose events reach both
// subscribers, stops it, and then finds no goroutine of the service left: the HTTP server, the
// dispatcher loops, the connection pool and the webhook's HTTP client all ended with Stop.
func TestStartStopLeaksNoGoroutines(t *testing.T) {
	url := pgtest.URL(t)
	var delivered atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		delivered.Add(1)
	}))
	// The receiver outlives the check: a webhook client that kept connections to it would show.
	defer receiver.Close()
	before := goleak.IgnoreCurrent()

	pepper := make([]byte, 32)
	if _, err := rand.Read(pepper); err != nil {
		t.Fatal(err)
	}
	const secret = "leak-test-hs256-secret-0123456789abcdef"
	env := map[string]string{
		"OTPCARD_HTTP_ADDR":        "127.0.0.1:0",
		"OTPCARD_DATABASE_URL":     url,
		"OTPCARD_JWT_HS256_SECRET": secret,
		"OTPCARD_CELL_PEPPER":      base64.StdEncoding.EncodeToString(pepper),
		"OTPCARD_DATA_DIR":         t.TempDir(),
		"OTPCARD_LOG_LEVEL":        "error",
		"OTPCARD_WEBHOOK_URL":      receiver.URL,
		"OTPCARD_WEBHOOK_SECRET":   "leak-test-webhook-secret-0123456789abcdef",
	}
	cfg, err := bootstrap.LoadConfig(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := bootstrap.Start(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	tok, err := jwtauth.MintHS256([]byte(secret), jwtauth.MintOptions{
		Issuer: "otpcard", Audience: "otpcard", Subject: "leak", Roles: []string{"Root"}, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	const core = "/nevisidm/api/core/v1"
	for _, step := range []struct{ path, body string }{
		{core + "/clients", `{"extId": "leak-client", "name": "leak"}`},
		{core + "/leak-client/users", `{"extId": "leak-user", "loginId": "leak"}`},
		{core + "/leak-client/users/leak-user/otp-credentials", `{"extId": "leak-card"}`},
		{core + "/leak-client/users/leak-user/otp-credentials/leak-card/replace", `{}`},
	} {
		req, err := http.NewRequest("POST", r.BaseURL()+step.path, strings.NewReader(step.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", step.path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("POST %s: got %d, want 2xx", step.path, resp.StatusCode)
		}
	}
	client.CloseIdleConnections() // the test's own client is not the service's to close
	deadline := time.Now().Add(30 * time.Second)
	for delivered.Load() < 4 { // client, user, card created; card replaced
		if time.Now().After(deadline) {
			t.Fatalf("webhook deliveries: got %d, want 4", delivered.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}

	stopCtx, stopCancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer stopCancel()
	if err := r.Stop(stopCtx); err != nil {
		t.Fatalf("stop: %v", err)
	}
	goleak.VerifyNone(t, before)
}
