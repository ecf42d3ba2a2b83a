package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwksServer serves a replaceable JWKS over TLS and counts the fetches.
type jwksServer struct {
	*httptest.Server
	mu     sync.Mutex
	body   []byte
	status int
	hits   atomic.Int64
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		body, status := s.body, s.status
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func newURLVerifier(t *testing.T, s *jwksServer, clock *fakeClock) *Verifier {
	t.Helper()
	return newVerifier(t, Config{JWKSURL: s.URL + "/jwks.json", HTTPClient: s.Client(), Now: clock.Now})
}

// TestJWKSURLRotation walks a key rotation at the identity provider through the refetch rules:
// an unknown kid refetches at most once a minute, keys older than five minutes are refetched,
// and a withdrawn key stops verifying.
func TestJWKSURLRotation(t *testing.T) {
	k1, k2, k3 := newECKey(t), newECKey(t), newECKey(t)
	jwk1 := testJWK{kid: "k1", alg: "ES256", pub: &k1.PublicKey}
	jwk2 := testJWK{kid: "k2", alg: "ES256", pub: &k2.PublicKey}
	srv := newJWKSServer(t, jwksJSON(t, jwk1))
	clock := newClock()
	v := newURLVerifier(t, srv, clock)

	token := func(k *ecdsa.PrivateKey, kid string) string {
		return sign(t, jwt.SigningMethodES256, k, map[string]any{"kid": kid}, claimsAt(clock.Now()))
	}
	steps := []struct {
		name     string
		advance  time.Duration
		serve    []byte // new JWKS served from this step on, nil: unchanged
		token    func() string
		reason   string
		wantHits int64
	}{
		{name: "fetched at New", token: func() string { return token(k1, "k1") }, wantHits: 1},
		{name: "new kid within a minute of the last fetch: no refetch", advance: 10 * time.Second,
			serve: jwksJSON(t, jwk1, jwk2), token: func() string { return token(k2, "k2") },
			reason: "unknown kid", wantHits: 1},
		{name: "new kid after a minute: refetch", advance: 51 * time.Second,
			token: func() string { return token(k2, "k2") }, wantHits: 2},
		{name: "old kid still known", token: func() string { return token(k1, "k1") }, wantHits: 2},
		{name: "unknown kid right after a fetch: no refetch", advance: 30 * time.Second,
			token: func() string { return token(k3, "k3") }, reason: "unknown kid", wantHits: 2},
		{name: "unknown kid again a minute later: one refetch", advance: 31 * time.Second,
			token: func() string { return token(k3, "k3") }, reason: "unknown kid", wantHits: 3},
		{name: "unknown kid again at once: rate limited", advance: time.Second,
			token: func() string { return token(k3, "k3") }, reason: "unknown kid", wantHits: 3},
		{name: "known kid while keys are fresh: no fetch", advance: 3 * time.Minute,
			serve: jwksJSON(t, jwk2), token: func() string { return token(k1, "k1") }, wantHits: 3},
		{name: "keys older than five minutes: refetch, withdrawn key rejected", advance: 2 * time.Minute,
			token: func() string { return token(k1, "k1") }, reason: "unknown kid", wantHits: 4},
		{name: "current key still accepted", token: func() string { return token(k2, "k2") }, wantHits: 4},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		if s.serve != nil {
			srv.set(http.StatusOK, s.serve)
		}
		_, err := v.Admin(context.Background(), s.token())
		checkVerifyErr(t, s.name, err, s.reason)
		if got := srv.hits.Load(); got != s.wantHits {
			t.Errorf("%s: got %d fetches, want %d", s.name, got, s.wantHits)
		}
	}
}

// TestJWKSURLRefetchRateLimit floods the verifier with unknown kids, concurrently and over time,
// and counts the fetches.
func TestJWKSURLRefetchRateLimit(t *testing.T) {
	k1 := newECKey(t)
	srv := newJWKSServer(t, jwksJSON(t, testJWK{kid: "k1", pub: &k1.PublicKey}))
	clock := newClock()
	v := newURLVerifier(t, srv, clock)
	tests := []struct {
		name     string
		advance  time.Duration
		tokens   int
		wantHits int64
	}{
		{name: "burst right after New", tokens: 50, wantHits: 1},
		{name: "burst after 59 s", advance: 59 * time.Second, tokens: 50, wantHits: 1},
		{name: "burst after 60 s", advance: time.Second, tokens: 50, wantHits: 2},
		{name: "burst 30 s later", advance: 30 * time.Second, tokens: 50, wantHits: 2},
		{name: "burst after another minute", advance: 30 * time.Second, tokens: 50, wantHits: 3},
	}
	for _, tt := range tests {
		clock.Advance(tt.advance)
		var wg sync.WaitGroup
		for i := range tt.tokens {
			tok := sign(t, jwt.SigningMethodES256, k1, map[string]any{"kid": "random-" + string(rune('a'+i%26))}, claimsAt(clock.Now()))
			wg.Go(func() {
				_, err := v.Admin(context.Background(), tok)
				if err == nil || !strings.Contains(err.Error(), "unknown kid") {
					t.Errorf("%s: got error %v, want unknown kid", tt.name, err)
				}
			})
		}
		wg.Wait()
		if got := srv.hits.Load(); got != tt.wantHits {
			t.Errorf("%s: got %d fetches, want %d", tt.name, got, tt.wantHits)
		}
	}
}

// TestJWKSURLConcurrentRotation checks that callers arriving while a refetch runs wait for it
// instead of failing.
func TestJWKSURLConcurrentRotation(t *testing.T) {
	k1, k2 := newECKey(t), newECKey(t)
	srv := newJWKSServer(t, jwksJSON(t, testJWK{kid: "k1", pub: &k1.PublicKey}))
	clock := newClock()
	v := newURLVerifier(t, srv, clock)
	srv.set(http.StatusOK, jwksJSON(t, testJWK{kid: "k1", pub: &k1.PublicKey}, testJWK{kid: "k2", pub: &k2.PublicKey}))
	clock.Advance(time.Minute)
	tok := sign(t, jwt.SigningMethodES256, k2, map[string]any{"kid": "k2"}, claimsAt(clock.Now()))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := v.Admin(context.Background(), tok); err != nil {
				t.Errorf("Admin: got error %v, want nil", err)
			}
		})
	}
	wg.Wait()
	if got := srv.hits.Load(); got != 2 {
		t.Errorf("got %d fetches, want 2", got)
	}
}

func TestJWKSURLFailures(t *testing.T) {
	k1 := newECKey(t)
	good := jwksJSON(t, testJWK{kid: "k1", pub: &k1.PublicKey})
	tests := []struct {
		name    string
		status  int
		body    []byte
		wantErr string
	}{
		{name: "ok", status: http.StatusOK, body: good},
		{name: "server error", status: http.StatusInternalServerError, body: good, wantErr: "status 500"},
		{name: "not JSON", status: http.StatusOK, body: []byte("<html>"), wantErr: "parse jwks"},
		{name: "no usable key", status: http.StatusOK, body: []byte(`{"keys":[]}`), wantErr: "no usable"},
		{name: "too large", status: http.StatusOK, body: []byte(`{"keys":[],"pad":"` + strings.Repeat("x", jwksMaxBytes) + `"}`),
			wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, tt.body)
			srv.set(tt.status, tt.body)
			_, err := New(context.Background(), Config{Issuer: testIssuer, Audience: testAudience,
				JWKSURL: srv.URL, HTTPClient: srv.Client()})
			checkErr(t, "New", err, tt.wantErr)
		})
	}
}

// TestJWKSURLRefreshFailureKeepsKeys checks that an identity provider outage does not drop the
// keys already known.
func TestJWKSURLRefreshFailureKeepsKeys(t *testing.T) {
	k1 := newECKey(t)
	srv := newJWKSServer(t, jwksJSON(t, testJWK{kid: "k1", pub: &k1.PublicKey}))
	clock := newClock()
	v := newURLVerifier(t, srv, clock)
	srv.set(http.StatusServiceUnavailable, nil)
	clock.Advance(6 * time.Minute)
	steps := []struct {
		name     string
		kid      string
		reason   string
		wantHits int64
	}{
		{name: "stale keys, refetch fails, known kid", kid: "k1", wantHits: 2},
		{name: "unknown kid reports the failed refetch", kid: "k9", reason: "unknown kid", wantHits: 2},
	}
	for _, s := range steps {
		tok := sign(t, jwt.SigningMethodES256, k1, map[string]any{"kid": s.kid}, claimsAt(clock.Now()))
		_, err := v.Admin(context.Background(), tok)
		checkVerifyErr(t, s.name, err, s.reason)
		if got := srv.hits.Load(); got != s.wantHits {
			t.Errorf("%s: got %d fetches, want %d", s.name, got, s.wantHits)
		}
	}
	clock.Advance(time.Minute)
	tok := sign(t, jwt.SigningMethodES256, k1, map[string]any{"kid": "k9"}, claimsAt(clock.Now()))
	_, err := v.Admin(context.Background(), tok)
	checkVerifyErr(t, "unknown kid after the outage", err, "jwks refresh: fetch jwks: status 503")
}

// TestJWKSURLDefaultClient fetches over plain HTTP with the built-in client.
func TestJWKSURLDefaultClient(t *testing.T) {
	k1 := newECKey(t)
	body := jwksJSON(t, testJWK{kid: "k1", pub: &k1.PublicKey})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(body) }))
	defer srv.Close()
	v := newVerifier(t, Config{JWKSURL: srv.URL})
	tok := sign(t, jwt.SigningMethodES256, k1, map[string]any{"kid": "k1"}, claimsAt(time.Now()))
	if _, err := v.Admin(context.Background(), tok); err != nil {
		t.Errorf("Admin: got error %v, want nil", err)
	}
}
