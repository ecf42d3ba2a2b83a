package tests

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The abuse tests of issue 5 ("Abuse and bad input"): the JWT attack matrix beyond the one of
// replace_matrix_test.go, run against a service that trusts both its HS256 secret and an identity
// provider's JWKS; path ids with odd characters; huge query values and headers; hostile JSON
// bodies. Whatever comes in, the answer is a 4xx (a problem, when the service itself answers) and
// never a 5xx. The fuzz targets of the decoders, the otp codec, labels, policy parameters and token
// validation live beside those packages.

// abuseKID is the kid of the identity provider's RSA key in the JWKS file.
const abuseKID = "idp-rsa-1"

// abuseIdP is an identity provider whose RSA key the service trusts through a JWKS file.
type abuseIdP struct {
	key    *rsa.PrivateKey
	pemPub []byte // the public key as PEM: the HMAC key of a key-confusion attack
	derPub []byte // the same as DER (PKIX)
	jwk    map[string]string
}

func newAbuseIdP(t *testing.T) abuseIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return abuseIdP{key: key, derPub: der, pemPub: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		jwk: map[string]string{"kty": "RSA", "kid": abuseKID, "alg": "RS256", "use": "sig",
			"n": enc(key.N.Bytes()), "e": enc(big.NewInt(int64(key.E)).Bytes())}}
}

// writeJWKS writes the provider's public key as a JWKS file and returns its path.
func (p abuseIdP) writeJWKS(t *testing.T) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{"keys": []map[string]string{p.jwk}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rs256 signs claims with the provider's key; header adds or (nil value) removes header members.
// The kid is the provider's unless header says otherwise.
func (p abuseIdP) rs256(t *testing.T, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	h := map[string]any{"kid": abuseKID}
	for k, v := range header {
		h[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	for k, v := range h {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatalf("sign RS256: %v", err)
	}
	return s
}

// hmacToken signs header and claims (raw JSON) with HS256 under key, whatever the header says.
func hmacToken(t *testing.T, key []byte, header, claims any) string {
	t.Helper()
	enc := func(v any) string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(data)
	}
	signing := enc(header) + "." + enc(claims)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// replaceSegment swaps segment i of a token (0 header, 1 payload, 2 signature) for raw JSON
// (base64url-encoded) or, for the signature, for bytes.
func replaceSegment(t *testing.T, tok string, i int, data []byte) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	parts[i] = base64.RawURLEncoding.EncodeToString(data)
	return strings.Join(parts, ".")
}

// abuseClaims are valid Root claims of sub with exp, nbf and iat moved by the offsets from now.
func abuseClaims(sub string, iat, nbf, exp time.Duration) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": issuer, "aud": audience, "sub": sub, "roles": []string{"Root"},
		"iat": now.Add(iat).Unix(), "nbf": now.Add(nbf).Unix(), "exp": now.Add(exp).Unix()}
}

// expectUnauthorized checks the uniform 401 of a rejected token: invalid_token, no hint of which
// check failed, the token not echoed.
func expectUnauthorized(t *testing.T, r response, tok string) {
	t.Helper()
	p := expectProblem(t, r, http.StatusUnauthorized, "errors.notAuthenticated")
	if www := r.header.Get("WWW-Authenticate"); !strings.Contains(www, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate: got %q, want error=\"invalid_token\"", www)
	}
	if d := p["detail"]; d != "a valid token is required" {
		t.Errorf("detail: got %q, want the one detail of every rejected token", d)
	}
	if len(tok) > 16 {
		noSecrets(t, r, tok, tok[len(tok)-16:])
	}
}

// TestAbuseJWTMatrix runs the token attacks of RFC 8725 against a service configured with both the
// HS256 secret and a JWKS file (API.md sections 2 and 8), on a read of the caller's card (admin:
// Bearer, self-admin: X-Token).
func TestAbuseJWTMatrix(t *testing.T) {
	idp := newAbuseIdP(t)
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_JWT_JWKS_FILE": idp.writeJWKS(t)})
	f := s.newFixture(t, "jwt")
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	root := func() jwt.MapClaims { return claimsFor("idp-admin", "Root") }
	owner := func() jwt.MapClaims { c := claimsFor(f.user); c["auth_time"] = time.Now().Unix(); return c }
	validRS := idp.rs256(t, nil, root())
	validHS := rootToken(t)

	type row struct {
		name string
		tok  func(t *testing.T) string
		self bool // X-Token instead of Bearer
		ok   bool // 200 expected; otherwise the uniform 401
	}
	rows := []row{
		// What works, so that every rejection below is a rejection of the attack alone.
		{"RS256 of the provider", func(*testing.T) string { return validRS }, false, true},
		{"RS256 of the provider without kid (the only RSA key)", func(t *testing.T) string {
			return idp.rs256(t, map[string]any{"kid": nil}, root())
		}, false, true},
		{"HS256 with the secret beside the JWKS", func(*testing.T) string { return validHS }, false, true},
		{"RS256 self-admin of the owner", func(t *testing.T) string { return idp.rs256(t, nil, owner()) }, true, true},

		// Key confusion: HS256 signed with the provider's public key.
		{"HS256 signed with the RSA public key PEM", func(t *testing.T) string {
			return hmacToken(t, idp.pemPub, map[string]any{"alg": "HS256", "typ": "JWT"}, root())
		}, false, false},
		{"HS256 signed with the RSA public key PEM, naming its kid", func(t *testing.T) string {
			return hmacToken(t, idp.pemPub, map[string]any{"alg": "HS256", "kid": abuseKID}, root())
		}, false, false},
		{"HS256 signed with the RSA public key DER", func(t *testing.T) string {
			return hmacToken(t, idp.derPub, map[string]any{"alg": "HS256"}, root())
		}, false, false},
		{"HS256 signed with the JWK's modulus", func(t *testing.T) string {
			return hmacToken(t, []byte(idp.jwk["n"]), map[string]any{"alg": "HS256", "kid": abuseKID}, root())
		}, false, false},
		{"HS256 signed with the RSA public key PEM as X-Token", func(t *testing.T) string {
			return hmacToken(t, idp.pemPub, map[string]any{"alg": "HS256"}, owner())
		}, true, false},
		{"HS256 with the real secret but the provider's kid", func(t *testing.T) string {
			return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), map[string]any{"kid": abuseKID}, root())
		}, false, false},
		{"RS256 signature under an HS256 header", func(t *testing.T) string {
			return replaceSegment(t, validRS, 0, []byte(`{"alg":"HS256","kid":"`+abuseKID+`"}`))
		}, false, false},

		// Headers that let the token pick its own key, on tokens the provider really signed.
		{"jku header on a provider token", func(t *testing.T) string {
			return idp.rs256(t, map[string]any{"jku": "https://attacker.example/jwks.json"}, root())
		}, false, false},
		{"x5u header on a provider token", func(t *testing.T) string {
			return idp.rs256(t, map[string]any{"x5u": "https://attacker.example/cert.pem"}, root())
		}, false, false},
		{"x5u header on an HS256 token", func(t *testing.T) string {
			return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret),
				map[string]any{"x5u": "https://attacker.example/cert.pem"}, root())
		}, false, false},
		{"jwk header on a provider token", func(t *testing.T) string {
			return idp.rs256(t, map[string]any{"jwk": idp.jwk}, root())
		}, false, false},
		{"attacker key embedded as jwk, signed by it", func(t *testing.T) string {
			enc := base64.RawURLEncoding.EncodeToString
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, root())
			tok.Header["jwk"] = map[string]string{"kty": "RSA", "n": enc(attacker.N.Bytes()),
				"e": enc(big.NewInt(int64(attacker.E)).Bytes())}
			s, err := tok.SignedString(attacker)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, false, false},
		{"x5c header on a provider token", func(t *testing.T) string {
			return idp.rs256(t, map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(idp.derPub)}}, root())
		}, false, false},

		// kid.
		{"unknown kid, signed by the provider", func(t *testing.T) string {
			return idp.rs256(t, map[string]any{"kid": "no-such-key"}, root())
		}, false, false},
		{"unknown kid, signed by an attacker", func(t *testing.T) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, root())
			tok.Header["kid"] = "attacker-key"
			s, err := tok.SignedString(attacker)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, false, false},
		{"provider's kid, signed by an attacker", func(t *testing.T) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, root())
			tok.Header["kid"] = abuseKID
			s, err := tok.SignedString(attacker)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, false, false},
		{"kid as a path", func(t *testing.T) string { return idp.rs256(t, map[string]any{"kid": "../../dev/null"}, root()) }, false, false},
		{"kid of another type", func(t *testing.T) string { return idp.rs256(t, map[string]any{"kid": 1}, root()) }, false, false},
		{"unknown kid as X-Token", func(t *testing.T) string { return idp.rs256(t, map[string]any{"kid": "nope"}, owner()) }, true, false},

		// alg none spellings, and algorithms outside the allowlist.
		{"alg None", func(t *testing.T) string {
			return replaceSegment(t, algNoneToken(t, root()), 0, []byte(`{"alg":"None","typ":"JWT"}`))
		}, false, false},
		{"alg NONE with the provider's signature", func(t *testing.T) string {
			return replaceSegment(t, validRS, 0, []byte(`{"alg":"NONE","kid":"`+abuseKID+`"}`))
		}, false, false},
		{"alg none, signature stripped from a provider token", func(t *testing.T) string {
			parts := strings.Split(replaceSegment(t, validRS, 0, []byte(`{"alg":"none"}`)), ".")
			return parts[0] + "." + parts[1] + "."
		}, false, false},
		{"PS256 by the provider's key", func(t *testing.T) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodPS256, root())
			tok.Header["kid"] = abuseKID
			s, err := tok.SignedString(idp.key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, false, false},
		{"RS512 by the provider's key", func(t *testing.T) string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS512, root())
			tok.Header["kid"] = abuseKID
			s, err := tok.SignedString(idp.key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, false, false},

		// Tampering.
		{"tampered payload of a provider token", func(t *testing.T) string {
			c := claimsFor("idp-admin", "Root")
			c["clients"] = []string{"all"}
			data, _ := json.Marshal(c)
			return replaceSegment(t, validRS, 1, data)
		}, false, false},
		{"tampered payload of an HS256 token", func(t *testing.T) string {
			data, _ := json.Marshal(claimsFor("someone-else", "Root"))
			return replaceSegment(t, validHS, 1, data)
		}, false, false},
		{"self-admin payload moved to another user", func(t *testing.T) string {
			data, _ := json.Marshal(claimsFor(f.user))
			return replaceSegment(t, idp.rs256(t, nil, claimsFor("someone-else")), 1, data)
		}, true, false},
		{"provider signature bit flipped", func(t *testing.T) string {
			parts := strings.Split(validRS, ".")
			sig, err := base64.RawURLEncoding.DecodeString(parts[2])
			if err != nil {
				t.Fatal(err)
			}
			sig[len(sig)/2] ^= 0x01
			return replaceSegment(t, validRS, 2, sig)
		}, false, false},
		{"HS256 signature truncated", func(*testing.T) string { return validHS[:len(validHS)-4] }, false, false},
		{"signature of another token", func(t *testing.T) string {
			other := strings.Split(idp.rs256(t, nil, claimsFor("other", "Root")), ".")
			return validRS[:strings.LastIndex(validRS, ".")+1] + other[2]
		}, false, false},
		{"padded base64 signature", func(*testing.T) string { return validHS + "=" }, false, false},
		{"extra segment", func(*testing.T) string { return validRS + ".e30" }, false, false},

		// exp, nbf, iat and auth_time around the 60 s leeway, with a few seconds of margin.
		{"exp 55 s ago (within the leeway)", func(t *testing.T) string {
			return idp.rs256(t, nil, abuseClaims("idp-admin", -10*time.Minute, -10*time.Minute, -55*time.Second))
		}, false, true},
		{"exp 65 s ago (beyond the leeway)", func(t *testing.T) string {
			return idp.rs256(t, nil, abuseClaims("idp-admin", -10*time.Minute, -10*time.Minute, -65*time.Second))
		}, false, false},
		{"HS256 exp 55 s ago", func(t *testing.T) string {
			return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, abuseClaims("t", -time.Hour, -time.Hour, -55*time.Second))
		}, false, true},
		{"HS256 exp 65 s ago", func(t *testing.T) string {
			return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, abuseClaims("t", -time.Hour, -time.Hour, -65*time.Second))
		}, false, false},
		{"nbf 55 s ahead", func(t *testing.T) string {
			return idp.rs256(t, nil, abuseClaims("idp-admin", 0, 55*time.Second, time.Hour))
		}, false, true},
		{"nbf 65 s ahead", func(t *testing.T) string {
			return idp.rs256(t, nil, abuseClaims("idp-admin", 0, 65*time.Second, time.Hour))
		}, false, false},
		{"iat 55 s ahead", func(t *testing.T) string {
			return idp.rs256(t, nil, abuseClaims("idp-admin", 55*time.Second, 0, time.Hour))
		}, false, true},
		{"iat 65 s ahead", func(t *testing.T) string {
			return idp.rs256(t, nil, abuseClaims("idp-admin", 65*time.Second, 0, time.Hour))
		}, false, false},
		{"self-admin auth_time 55 s ahead", func(t *testing.T) string {
			c := claimsFor(f.user)
			c["auth_time"] = time.Now().Add(55 * time.Second).Unix()
			return idp.rs256(t, nil, c)
		}, true, true},
		{"self-admin auth_time 65 s ahead", func(t *testing.T) string {
			c := claimsFor(f.user)
			c["auth_time"] = time.Now().Add(65 * time.Second).Unix()
			return idp.rs256(t, nil, c)
		}, true, false},
		// golang-jwt reads a NumericDate from a numeric string too; its value is checked all the same.
		{"exp as a numeric string", func(t *testing.T) string {
			c := root()
			c["exp"] = fmt.Sprint(time.Now().Add(time.Hour).Unix())
			return idp.rs256(t, nil, c)
		}, false, true},
		{"expired exp as a numeric string", func(t *testing.T) string {
			c := root()
			c["exp"] = fmt.Sprint(time.Now().Add(-65 * time.Second).Unix())
			return idp.rs256(t, nil, c)
		}, false, false},
		{"exp as a date string", func(t *testing.T) string {
			c := root()
			c["exp"] = time.Now().Add(time.Hour).Format(time.RFC3339)
			return idp.rs256(t, nil, c)
		}, false, false},
		{"exp null", func(t *testing.T) string {
			c := root()
			c["exp"] = nil
			return idp.rs256(t, nil, c)
		}, false, false},
		{"exp beyond any date", func(t *testing.T) string {
			c := root()
			c["exp"] = 1e300
			return idp.rs256(t, nil, c)
		}, false, false},

		// Size: the verifier refuses tokens over 8 KiB before parsing, even validly signed ones.
		{"validly signed token of 7 KiB", func(t *testing.T) string {
			c := root()
			c["pad"] = strings.Repeat("p", 5<<10)
			return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
		}, false, true},
		{"validly signed token of 9 KiB", func(t *testing.T) string {
			c := root()
			c["pad"] = strings.Repeat("p", 7<<10)
			return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
		}, false, false},
		{"9 KiB of garbage", func(*testing.T) string { return strings.Repeat("A", 9<<10) }, false, false},
		{"garbage with dots and spaces", func(*testing.T) string { return "a.b.c d.e" }, false, false},
	}
	for _, c := range rows {
		t.Run(c.name, func(t *testing.T) {
			ss := s.bind(t)
			tok := c.tok(t)
			req := request{method: "GET", path: s.cardPath(f)}
			if c.self {
				req.xToken = tok
			} else {
				req.bearer = tok
			}
			r := ss.do(req)
			if c.ok {
				mustStatus(t, r, http.StatusOK)
				return
			}
			expectUnauthorized(t, r, tok)
		})
	}

	t.Run("oversized headers", func(t *testing.T) {
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
				r, err := abuseRaw(s, "GET", s.cardPath(f), map[string]string{h.header: value}, nil)
				if err != nil {
					if r.status == 0 && h.size > 64<<10 {
						// The server may close before the client has written a huge header: also a refusal.
						t.Logf("%s: connection closed before an answer: %v", h.name, err)
						return
					}
					t.Fatalf("%s: %v", h.name, err)
				}
				if r.status != http.StatusRequestHeaderFieldsTooLarge && r.status != http.StatusBadRequest {
					t.Fatalf("%s: got status %d, want 431 or 400; body %.200s", h.name, r.status, r.body)
				}
				noSecrets(t, r, value[:64])
			})
		}
		t.Run("9 KiB Bearer, under the header limit", func(t *testing.T) {
			tok := strings.Repeat("e30.", 9<<10/4)
			expectUnauthorized(t, s.bind(t).do(request{method: "GET", path: s.cardPath(f), bearer: tok}), tok)
		})
	})
}

// pathRoute is a route with one path id replaced by an odd value.
type pathRoute struct {
	name, method string
	path         func(f fixture, id string) string
	body         any
	limited      bool // per-user rate limited: 429 is a possible answer too
}

// abuseRoutes puts the odd id in every position of every kind of route.
func abuseRoutes(s *service) []pathRoute {
	user := func(f fixture) string { return corePath + "/" + f.client + "/users/" }
	return []pathRoute{
		{"GET client", "GET", func(_ fixture, id string) string { return corePath + "/clients/" + id }, nil, false},
		{"PATCH client", "PATCH", func(_ fixture, id string) string { return corePath + "/clients/" + id }, map[string]any{}, false},
		{"DELETE client", "DELETE", func(_ fixture, id string) string { return corePath + "/clients/" + id }, nil, false},
		{"GET users of client", "GET", func(_ fixture, id string) string { return corePath + "/clients/" + id + "/users" }, nil, false},
		{"GET policies of client", "GET", func(_ fixture, id string) string { return corePath + "/clients/" + id + "/policies" }, nil, false},
		{"POST policy in client", "POST", func(_ fixture, id string) string { return corePath + "/" + id + "/policies" },
			map[string]any{"name": "p", "policyType": "OTPCardPolicy"}, false},
		{"GET policy", "GET", func(f fixture, id string) string { return corePath + "/" + f.client + "/policies/" + id }, nil, false},
		{"GET user in client", "GET", func(f fixture, id string) string { return corePath + "/" + id + "/users/" + f.user }, nil, false},
		{"GET user", "GET", func(f fixture, id string) string { return user(f) + id }, nil, false},
		{"PATCH user", "PATCH", func(f fixture, id string) string { return user(f) + id }, map[string]any{"remarks": "r"}, false},
		{"DELETE user", "DELETE", func(f fixture, id string) string { return user(f) + id }, nil, false},
		{"POST card for user", "POST", func(f fixture, id string) string { return user(f) + id + "/otp-credentials" }, map[string]any{}, true},
		{"GET cards of user", "GET", func(f fixture, id string) string { return user(f) + id + "/otp-credentials" }, nil, false},
		{"GET card", "GET", func(f fixture, id string) string { return s.cardsPath(f) + "/" + id }, nil, false},
		{"PATCH card", "PATCH", func(f fixture, id string) string { return s.cardsPath(f) + "/" + id }, map[string]any{"stateName": "disabled"}, false},
		{"DELETE card", "DELETE", func(f fixture, id string) string { return s.cardsPath(f) + "/" + id }, nil, false},
		{"POST replace", "POST", func(f fixture, id string) string { return s.cardsPath(f) + "/" + id + "/replace" }, map[string]any{}, true},
		{"POST challenge", "POST", func(f fixture, id string) string {
			return authPath + "/" + f.client + "/users/" + id + "/otp/challenge"
		}, nil, true},
		{"POST login", "POST", func(f fixture, id string) string {
			return authPath + "/" + id + "/users/" + f.user + "/otp/login"
		}, map[string]any{"challenge": "001", "password": "0000"}, true},
	}
}

// oddIDs are path ids no entity can have (or, for the dots, ids no entity has), written as they go
// on the wire.
var oddIDs = []string{
	"%2F", "a%2Fb", "%2Fusers", "%5C", "..", "%2E%2E", ".", "...", "%C3%A9", "%F0%9F%94%91", "%E2%80%AE",
	"%FF", "%C0%AE", "%00", "a%00b", "%0A", "%0D%0A", "%20", "%09", "%25", "%252F", "%3F", "%23", "%3B",
	"%2A", "%24", "%27%20OR%201%3D1", "%7B%7D", "%5B%5D", "%22", "%3C%3E",
	strings.Repeat("k", 65), strings.Repeat("k", 4096), strings.Repeat("%C3%A9", 40),
}

// expectRefusal checks a 400 or 404 problem (or 429 on a rate-limited route), never a 5xx. An
// encoded slash is decoded before routing, so such an id may name another route's path, which
// allows other methods only: 405.
func expectRefusal(t *testing.T, r response, id string, limited bool) {
	t.Helper()
	codes := map[int]string{http.StatusBadRequest: "errors.invalidData", http.StatusNotFound: "errors.noRecord"}
	if limited {
		codes[http.StatusTooManyRequests] = "errors.tooManyRequests"
	}
	if strings.Contains(id, "%2F") {
		codes[http.StatusMethodNotAllowed] = "errors.methodNotAllowed"
	}
	code, ok := codes[r.status]
	if !ok {
		t.Fatalf("status: got %d, want 400 or 404 (or 429 when rate limited), never 5xx; body %.300s", r.status, r.body)
	}
	expectProblem(t, r, r.status, code)
}

// TestAbusePathIDs sends odd path ids in every position of every route: 400 or 404, never 5xx, and
// nothing changes. It runs twice: with the rate limits off, so that every answer comes from the
// handlers, and on, since the per-user limits read the path ids before the handlers do (the
// per-user budgets then run out: 429 is a valid answer on those routes).
func TestAbusePathIDs(t *testing.T) {
	for _, limits := range []string{"off", "on"} {
		t.Run("rate limits "+limits, func(t *testing.T) { abusePathIDs(t, limits == "on") })
	}
}

func abusePathIDs(t *testing.T, limits bool) {
	env := map[string]string{"OTPCARD_RATE_LIMIT": "off"}
	if limits {
		env["OTPCARD_RATE_LIMIT"] = "on"
	}
	s := startServiceWith(t, io.Discard, env)
	f := s.newFixture(t, "path")
	before := s.cardSnapshot(t, f)
	tok := rootToken(t)
	for _, rt := range abuseRoutes(s) {
		t.Run(rt.name, func(t *testing.T) {
			for _, id := range oddIDs {
				ss := s.bind(t)
				p := rt.path(f, id)
				r, err := abuseRaw(ss, rt.method, p, abuseHeaders(tok, rt.body), abuseBody(t, rt.body))
				if err != nil {
					t.Fatalf("%s %s: %v", rt.method, p, err)
				}
				t.Run(fmt.Sprintf("%.40s", id), func(t *testing.T) { expectRefusal(t, r, id, limits && rt.limited) })
			}
		})
	}
	if after := s.cardSnapshot(t, f); !sameCard(before, after) {
		t.Errorf("card after the odd paths: got %v, want it unchanged %v", after, before)
	}
	mustStatus(t, s.do(request{method: "GET", path: corePath + "/clients/" + f.client, bearer: tok}), http.StatusOK)
	mustStatus(t, s.do(request{method: "GET", path: corePath + "/" + f.client + "/users/" + f.user, bearer: tok}), http.StatusOK)
	if limits {
		return
	}

	t.Run("request lines net/http refuses", func(t *testing.T) {
		for _, target := range []string{
			corePath + "/clients/%zz", corePath + "/clients/a%", corePath + "/clients/a%2",
			corePath + "/clients/\xff\xfe", corePath + "/clients/a b", corePath + "/clients/\x7f",
			corePath + "/clients/%u002F", "//" + corePath[1:] + "/clients", "*",
			corePath + "/clients/" + strings.Repeat("%2F", 20<<10),
		} {
			status := rawRequestLine(t, s, "GET "+target+" HTTP/1.1", tok)
			if status != http.StatusBadRequest && status != http.StatusNotFound && status != http.StatusRequestHeaderFieldsTooLarge &&
				status != http.StatusRequestURITooLong {
				t.Errorf("GET %.60q: got status %d, want 400, 404, 414 or 431", target, status)
			}
		}
	})
}

// abuseRaw sends a request that net/http itself may refuse (431, 414, 400 before any handler runs,
// in plain text), or whose decoded path names no operation of the API: unlike do and rawDo it does
// not hold the answer to the API contract (expectProblem checks the problems). Transport errors are
// returned.
func abuseRaw(s *service, method, path string, hdr map[string]string, body io.Reader) (response, error) {
	hr, err := http.NewRequest(method, s.baseURL+path, body)
	if err != nil {
		return response{}, err
	}
	for k, v := range hdr {
		hr.Header.Set(k, v)
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: data}, err
}

// abuseHeaders are the headers of a Root request with an optional JSON body.
func abuseHeaders(tok string, body any) map[string]string {
	h := map[string]string{"Authorization": "Bearer " + tok}
	if body != nil {
		h["Content-Type"] = "application/json"
	}
	return h
}

func abuseBody(t *testing.T, body any) *strings.Reader {
	t.Helper()
	if body == nil {
		return strings.NewReader("")
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(data))
}

// rawRequestLine sends one request line as written, with a Root token, over a fresh connection and
// returns the status of the answer.
func rawRequestLine(t *testing.T, s *service, line, tok string) int {
	t.Helper()
	u, err := url.Parse(s.baseURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := fmt.Fprintf(conn, "%s\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", line, u.Host, tok); err != nil {
		t.Fatalf("write %.60q: %v", line, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer to %.60q: %v", line, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAbuseQueries sends huge and malformed query values to the list endpoints.
func TestAbuseQueries(t *testing.T) {
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_RATE_LIMIT": "on"})
	f := s.newFixture(t, "query")
	tok := rootToken(t)
	lists := []string{corePath + "/clients", corePath + "/clients/" + f.client + "/users",
		corePath + "/clients/" + f.client + "/policies", s.cardsPath(f)}
	// bad sends a query the service must refuse with a 400 problem. Beyond net/http's header limit
	// (32 KiB), net/http refuses the request line itself (431 or 414, in plain text).
	bad := func(t *testing.T, p, query string) {
		t.Helper()
		hdr := map[string]string{"Authorization": "Bearer " + tok}
		if len(query) > 32<<10 {
			r, err := abuseRaw(s, "GET", p+"?"+query, hdr, nil)
			if err != nil {
				t.Fatalf("GET %s?%.60s: %v", p, query, err)
			}
			if r.status != http.StatusRequestURITooLong && r.status != http.StatusRequestHeaderFieldsTooLarge &&
				r.status != http.StatusBadRequest {
				t.Fatalf("GET %s?%.60s: got status %d, want 431, 414 or 400, never 5xx; body %.300s", p, query, r.status, r.body)
			}
			return
		}
		r, err := rawDo(s.bind(t), "GET", p+"?"+query, hdr, nil)
		if err != nil {
			t.Fatalf("GET %s?%.60s: %v", p, query, err)
		}
		if r.status != http.StatusBadRequest {
			t.Fatalf("GET %s?%.60s: got status %d, want 400, never 5xx; body %.300s", p, query, r.status, r.body)
		}
		expectProblem(t, r, http.StatusBadRequest, "errors.invalidData")
	}
	cursor := func(v any) string {
		data, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(data)
	}
	for _, p := range lists {
		t.Run(strings.TrimPrefix(p, corePath), func(t *testing.T) {
			for _, q := range []string{
				"limit=1000000000000000000000000000000", "limit=-1", "limit=0", "limit=1001", "limit=", "limit=1.5",
				"limit=1e3", "limit=0x10", "limit=%00", "limit=%EF%BC%91", "limit=" + strings.Repeat("9", 10<<10),
				"continuationToken=" + strings.Repeat("A", 100<<10),
				"continuationToken=" + strings.Repeat("A", 20<<10),
				"continuationToken=", "continuationToken=%00", "continuationToken=%FF%FE",
				"continuationToken=" + cursor(map[string]any{"c": "not a time", "e": "x"}),
				"continuationToken=" + cursor(map[string]any{"c": "2026-01-01T00:00:00Z", "e": "bad id"}),
				"continuationToken=" + cursor(map[string]any{"c": "2026-01-01T00:00:00Z", "e": strings.Repeat("e", 65)}),
				"continuationToken=" + cursor(map[string]any{"c": 5, "e": []int{1}}),
				"continuationToken=" + cursor([]any{1, 2}),
			} {
				bad(t, p, q)
			}
		})
	}
	t.Run("odd but valid cursors are no 5xx", func(t *testing.T) {
		for _, c := range []map[string]any{
			{"c": "0001-01-01T00:00:00Z", "e": "a"}, {"c": "9999-12-31T23:59:59.999999999Z", "e": "~"},
			{"c": "2026-01-01T00:00:00+23:59", "e": "::"}, {"c": "2026-01-01T00:00:00Z", "e": strings.Repeat("z", 64)},
		} {
			r := s.bind(t).do(request{method: "GET", path: corePath + "/clients?continuationToken=" + cursor(c), bearer: tok})
			if r.status != http.StatusOK && r.status != http.StatusBadRequest {
				t.Errorf("cursor %v: got status %d, want 200 or 400; body %.300s", c, r.status, r.body)
			}
		}
	})
	t.Run("loginId filter", func(t *testing.T) {
		users := corePath + "/clients/" + f.client + "/users"
		for _, q := range []string{
			"loginId=" + strings.Repeat("l", 10<<10), "loginId=" + strings.Repeat("%C3%A9", 256),
			"loginId=" + strings.Repeat("l", 40<<10), "loginId=", "loginId=%00", "loginId=a%00b", "loginId=%FF",
			"loginId=a&loginId=b",
		} {
			bad(t, users, q)
		}
		// The longest loginId a user may have is still a valid filter.
		r := s.bind(t).do(request{method: "GET", path: users + "?loginId=" + strings.Repeat("%C3%A9", 255), bearer: tok})
		mustStatus(t, r, http.StatusOK)
	})
}

// TestAbuseBodies sends hostile JSON to the write endpoints: deep nesting, duplicate members,
// invalid UTF-8. The answer is 400 or a safe acceptance, quickly, never a 5xx.
func TestAbuseBodies(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "body")
	tok := rootToken(t)
	deep := func(member string, levels int, open, close string) string {
		return `{"` + member + `":` + strings.Repeat(open, levels) + strings.Repeat(close, levels) + `}`
	}
	targets := []struct {
		name, method, path, member string
	}{
		{"POST clients", "POST", corePath + "/clients", "name"},
		{"PATCH client", "PATCH", corePath + "/clients/" + f.client, "displayName"},
		{"POST user", "POST", corePath + "/" + f.client + "/users", "name"},
		{"PATCH user", "PATCH", corePath + "/" + f.client + "/users/" + f.user, "address"},
		{"POST policy", "POST", corePath + "/" + f.client + "/policies", "parameters"},
		{"PATCH card", "PATCH", s.cardPath(f), "stateName"},
		{"POST replace", "POST", s.replacePath(f), "modificationComment"},
		{"POST login", "POST", authPath + "/" + f.client + "/users/" + f.user + "/otp/login", "password"},
	}
	send := func(t *testing.T, method, path, body string) response {
		t.Helper()
		start := time.Now()
		r, err := rawDo(s.bind(t), method, path, map[string]string{"Authorization": "Bearer " + tok,
			"Content-Type": "application/json"}, strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s %s: answered after %v, want well under 5 s", method, path, d)
		}
		return r
	}
	t.Run("deep nesting", func(t *testing.T) {
		for _, tg := range targets {
			for _, b := range []struct {
				name, body string
			}{
				{"10k [ in a member", deep(tg.member, 10_000, "[", "]")},
				{"30k [ in a member", deep(tg.member, 30_000, "[", "]")},
				{"10k objects in a member", deep(tg.member, 10_000, `{"a":`, "}")},
				{"10k [ unclosed", `{"` + tg.member + `":` + strings.Repeat("[", 10_000)},
				{"10k [ in an unknown member", deep("zzz", 10_000, "[", "]")},
			} {
				t.Run(tg.name+"/"+b.name, func(t *testing.T) {
					expectProblem(t, send(t, tg.method, tg.path, b.body), http.StatusBadRequest, "errors.invalidData")
				})
			}
		}
	})
	t.Run("invalid UTF-8 and odd strings", func(t *testing.T) {
		for _, tg := range targets {
			for _, v := range []string{"\xff\xfe", "a\xc3", "\xed\xa0\x80", `\ud800`, `\udfff\ud800`, "\xc0\xaf", `\u0000`, "\x00", "\x1f"} {
				t.Run(fmt.Sprintf("%s/%q", tg.name, v), func(t *testing.T) {
					r := send(t, tg.method, tg.path, `{"`+tg.member+`":"`+v+` `+uid("odd")+`"}`) // a client it creates is new to the run
					if r.status >= 500 {
						t.Fatalf("got status %d, want no 5xx; body %.300s", r.status, r.body)
					}
					if r.status >= 400 {
						expectProblem(t, r, r.status, codeOf(r))
					}
				})
			}
		}
		// Accepted safely: a loginId with invalid UTF-8 is stored with U+FFFD and reads back as valid JSON.
		r := send(t, "POST", corePath+"/"+f.client+"/users", "{\"loginId\":\"bad\xffutf8\",\"remarks\":\"\xed\xa0\x80\"}")
		if r.status == http.StatusCreated {
			m := r.json(t)
			if got := m["loginId"]; got != "bad\uFFFDutf8" {
				t.Errorf("loginId: got %q, want the invalid byte as U+FFFD", got)
			}
		} else {
			expectProblem(t, r, http.StatusBadRequest, "errors.invalidData")
		}
	})
	t.Run("duplicate members", func(t *testing.T) {
		// RFC 8259 leaves duplicates to the parser; this one keeps the last. Either refuse or keep the
		// last consistently, never 5xx.
		dupA, dupB, first, second := uid("dup-a"), uid("dup-b"), uid("first"), uid("second")
		r := send(t, "POST", corePath+"/clients", `{"extId":"`+dupA+`","extId":"`+dupB+`","name":"`+first+`","name":"`+second+`"}`)
		if r.status == http.StatusCreated {
			m := r.json(t)
			if m["extId"] != dupB || m["name"] != second {
				t.Errorf("duplicate members: got extId %v name %v, want the last ones (%s, %s)", m["extId"], m["name"], dupB, second)
			}
		} else {
			expectProblem(t, r, http.StatusBadRequest, "errors.invalidData")
		}
		g := s.newFixture(t, "dupv")
		r = send(t, "POST", s.replacePath(g), `{"version":999,"version":"1"}`)
		if r.status != http.StatusOK && r.status != http.StatusBadRequest {
			t.Fatalf("version 999 then 1: got status %d, want 200 (the last wins) or 400; body %.300s", r.status, r.body)
		}
		r = send(t, "POST", s.replacePath(g), `{"version":2,"version":"x"}`)
		expectProblem(t, r, http.StatusBadRequest, "errors.invalidData")
		r = send(t, "PATCH", s.cardPath(g), `{"stateName":"disabled","stateName":"bogus"}`)
		if r.status < 400 || r.status >= 500 {
			t.Fatalf("stateName disabled then bogus: got status %d, want 4xx (the last wins or refused); body %.300s", r.status, r.body)
		}
	})
	t.Run("big bodies of many members", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"loginId":"many","properties":{`)
		for i := range 3000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"k%d":"v"`, i)
		}
		b.WriteString(`}}`)
		expectProblem(t, send(t, "POST", corePath+"/"+f.client+"/users", b.String()), http.StatusBadRequest, "errors.invalidData")
		name := `"name":"` + uid("many") + `"`
		many := `{` + name + strings.Repeat(`,`+name, 5000) + `}`
		r := send(t, "POST", corePath+"/clients", many)
		if r.status >= 500 {
			t.Fatalf("5000 duplicate members: got status %d, want no 5xx", r.status)
		}
	})
	// The service is still healthy after all of it.
	mustStatus(t, s.do(request{method: "GET", path: "/readyz"}), http.StatusOK)
}

// codeOf is the first error code of a problem body, so that expectProblem checks its format.
func codeOf(r response) string {
	var p struct {
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(r.body, &p) != nil || len(p.Errors) == 0 {
		return "(none)"
	}
	return p.Errors[0].Code
}
