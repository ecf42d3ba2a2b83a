package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testIssuer   = "otpcard"
	testAudience = "otpcard"
)

// testSecret() returns a 32-byte HS256 secret.
func testSecret() []byte { return []byte("0123456789abcdef0123456789abcdef") }

// t0 is the fixed "now" of the tests.
func t0() time.Time { return time.Unix(1_800_000_000, 0).UTC() }

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: t0()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// claimsAt returns a valid claim set issued at now.
func claimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": testIssuer,
		"aud": testAudience,
		"sub": "alice",
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(10 * time.Minute).Unix(),
	}
}

// with returns a copy of c with the given claims set; a nil value deletes the claim.
func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// sign signs claims with method and key, adding extra header parameters.
func sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	return s
}

func hsToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	return sign(t, jwt.SigningMethodHS256, testSecret(), nil, claims)
}

// newVerifier builds the verifier of cfg with the tests' issuer and audience.
func newVerifier(t testing.TB, cfg Config) *Verifier {
	t.Helper()
	cfg.Issuer, cfg.Audience = testIssuer, testAudience
	v, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

func newHSVerifier(t *testing.T, clock *fakeClock) *Verifier {
	t.Helper()
	return newVerifier(t, Config{HS256Secret: testSecret(), Now: clock.Now})
}

// checkErr checks the error of what: wantErr empty wants none, otherwise one containing wantErr.
// It reports whether the error is the one wanted.
func checkErr(t *testing.T, what string, err error, wantErr string) bool {
	t.Helper()
	switch {
	case wantErr == "" && err != nil:
		t.Errorf("%s: got error %v, want nil", what, err)
		return false
	case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
		t.Errorf("%s: got error %v, want one containing %q", what, err, wantErr)
		return false
	}
	return true
}

// testKeys are freshly generated asymmetric keys.
type testKeys struct {
	rsa  *rsa.PrivateKey
	rsa2 *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	ed   ed25519.PrivateKey
}

func newTestKeys(t testing.TB) testKeys {
	t.Helper()
	r1, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{rsa: r1, rsa2: r2, ec: newECKey(t), ed: ed}
}

// newECKey generates a P-256 key.
func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	return newCurveKey(t, elliptic.P256())
}

// newCurveKey generates an ECDSA key on curve.
func newCurveKey(t testing.TB, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testJWK describes one key of a JWKS written by the tests.
type testJWK struct {
	kid, alg, use string
	pub           crypto.PublicKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwksJSON writes a JWK set by hand.
func jwksJSON(t testing.TB, keys ...testJWK) []byte {
	t.Helper()
	var out []map[string]string
	for _, k := range keys {
		m := map[string]string{}
		switch pub := k.pub.(type) {
		case *rsa.PublicKey:
			m["kty"] = "RSA"
			m["n"] = b64(pub.N.Bytes())
			m["e"] = b64(big.NewInt(int64(pub.E)).Bytes())
		case *ecdsa.PublicKey:
			raw, err := pub.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			m["kty"] = "EC"
			m["crv"] = "P-256"
			m["x"] = b64(raw[1:33])
			m["y"] = b64(raw[33:])
		case ed25519.PublicKey:
			m["kty"] = "OKP"
			m["crv"] = "Ed25519"
			m["x"] = b64(pub)
		default:
			t.Fatalf("unsupported key %T", pub)
		}
		for name, v := range map[string]string{"kid": k.kid, "alg": k.alg, "use": k.use} {
			if v != "" {
				m[name] = v
			}
		}
		out = append(out, m)
	}
	data, err := json.Marshal(map[string]any{"keys": out})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// payload decodes the claims segment of a token.
func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	return segment(t, tok, 1)
}

func segment(t *testing.T, tok string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d segments, want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
