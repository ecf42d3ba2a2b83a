package tests

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

// The attacks on token verification (RFC 8725: alg none, key confusion, jku/x5u/jwk headers, kid
// tricks, tampering, the leeway of exp, nbf and iat, sizes) are one matrix, in adapters/jwtauth.
// Over HTTP the tests check what the middleware makes of a refused token: a handful of
// representative bad tokens, the headers credentials come in, and the wiring of a JWKS.

// TestAuthenticationOverHTTP: a missing or refused credential is a 401 errors.notAuthenticated with
// WWW-Authenticate (RFC 6750: invalid_token only when a token was sent), a detail that does not
// say which check failed, the token not echoed, and the card untouched (API.md sections 1.1 and 2).
func TestAuthenticationOverHTTP(t *testing.T) {
	t.Parallel()
	s := startService(t)
	var details remember
	unauth := func(name string, as caller, tokenSent bool) row {
		return row{name: name, as: as, send: func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Response
		}, status: http.StatusUnauthorized, code: "errors.notAuthenticated", check: func(t *testing.T, r client.Response, f fixture) {
			www := r.Header.Get("WWW-Authenticate")
			if !strings.HasPrefix(www, "Bearer") {
				t.Errorf("WWW-Authenticate: got %q, want Bearer ...", www)
			}
			if tokenSent != strings.Contains(www, `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate: got %q, want error=\"invalid_token\" %v", www, map[bool]string{true: "with the bad token",
					false: "left out without a bearer token"}[tokenSent])
			}
			if tokenSent {
				if d := r.Problem().Detail; d != "a valid token is required" {
					t.Errorf("detail: got %q, want the one detail of every rejected token", d)
				}
				for _, tok := range []string{strings.TrimPrefix(r.Request.Header.Get("Authorization"), "Bearer "), r.Request.Header.Get("X-Token")} {
					if len(tok) > 16 {
						r.WantNoSecrets(t, tok, tok[len(tok)-16:])
					}
				}
			}
			details.detail(name)(t, r, f)
		}}
	}
	admin := func(tok func(t *testing.T) string) caller { return bearer(fixed(tok)) }
	runMatrix(t, s, "auth", nil, []row{
		unauth("no token", anonymous, false),
		unauth("Basic credentials", func(t *testing.T, s *service, _ fixture) *client.API {
			return s.api.With("Authorization", "Basic dXNlcjpwYXNzd29yZA==")
		}, false),
		unauth("empty Bearer", func(t *testing.T, s *service, _ fixture) *client.API {
			return s.api.With("Authorization", "Bearer")
		}, true),
		unauth("expired", admin(func(t *testing.T) string {
			return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Now: time.Now().Add(-2 * time.Hour), TTL: time.Hour})
		}), true),
		unauth("alg none", admin(func(t *testing.T) string { return algNoneToken(t, claimsFor("tester", "Root")) }), true),
		unauth("wrong key", admin(wrongSecretToken), true),
		unauth("wrong issuer", admin(func(t *testing.T) string {
			return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Issuer: "someone-else"})
		}), true),
		unauth("alg none as X-Token of the owner", xToken(func(t *testing.T, f fixture) string {
			c := claimsFor(f.User)
			c["auth_time"] = time.Now().Unix()
			return algNoneToken(t, c)
		}), true),
		unauth("9 KiB Bearer, under the header limit", admin(func(*testing.T) string { return strings.Repeat("e30.", 9<<10/4) }), true),
	})
	details.same(t, "401 detail")

	t.Run("oversized credentials", func(t *testing.T) {
		f := s.newFixture(t, "auth-big")
		for _, h := range []struct {
			name, header string
			size         int
		}{
			{"Authorization 40 KiB", "Authorization", 40 << 10},
			{"X-Token 40 KiB", "X-Token", 40 << 10},
			{"Authorization 1 MiB", "Authorization", 1 << 20},
		} {
			t.Run(h.name, func(t *testing.T) {
				value := strings.Repeat("A", h.size)
				if h.header == "Authorization" {
					value = "Bearer " + value
				}
				// net/http itself may refuse the header block, in plain text: no contract to hold it to.
				r, err := s.api.Unchecked().Send(t, client.Request{Method: "GET", Path: f.Path(), Header: http.Header{h.header: {value}}})
				if err != nil {
					if r.Status == 0 && h.size > 64<<10 {
						// The server may close before the client has written a huge header: also a refusal.
						t.Logf("%s: connection closed before an answer: %v", h.name, err)
						return
					}
					t.Fatalf("%s: %v", h.name, err)
				}
				if r.Status != http.StatusRequestHeaderFieldsTooLarge && r.Status != http.StatusBadRequest {
					t.Fatalf("%s: got status %d, want 431 or 400; body %.200s", h.name, r.Status, r.Body)
				}
				r.WantNoSecrets(t, value[:64])
			})
		}
	})
}

// TestJWKSConfiguredService wires an identity provider's JWKS file beside the HS256 secret (API.md
// section 8): tokens of either are accepted, as admin and as self-admin, and a token signed with
// HS256 under the provider's public key (key confusion) is refused.
func TestJWKSConfiguredService(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	jwks, err := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "idp-rsa-1", "alg": "RS256",
		"use": "sig", "n": enc(key.N.Bytes()), "e": enc(big.NewInt(int64(key.E)).Bytes())}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, jwks, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_JWT_JWKS_FILE": file})
	f := s.newFixture(t, "jwks")
	provider := func(claims jwt.MapClaims) string {
		return craftToken(t, jwt.SigningMethodRS256, key, map[string]any{"kid": "idp-rsa-1"}, claims)
	}
	owner := claimsFor(f.User)
	owner["auth_time"] = time.Now().Unix()

	s.api.As(provider(claimsFor("idp-admin", "Root"))).GetCard(t, f.CardKey).Want(t, http.StatusOK)
	s.api.Self(provider(owner)).GetCard(t, f.CardKey).Want(t, http.StatusOK)
	s.root(t).GetCard(t, f.CardKey).Want(t, http.StatusOK)

	// HS256 under the public key: the HMAC of header and payload, keyed with the PEM.
	header, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": "JWT"})
	payload, _ := json.Marshal(claimsFor("idp-admin", "Root"))
	signing := enc(header) + "." + enc(payload)
	mac := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	mac.Write([]byte(signing))
	confused := signing + "." + enc(mac.Sum(nil))
	r := s.api.As(confused).GetCard(t, f.CardKey)
	r.WantProblem(t, http.StatusUnauthorized, "errors.notAuthenticated")
	if www := r.Header.Get("WWW-Authenticate"); !strings.Contains(www, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate: got %q, want error=\"invalid_token\"", www)
	}
}
