package tests

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// Tokens the service must refuse or read in a particular way. The attacks on token verification
// are adapters/jwtauth's matrix; the tests here need a few tokens to show what the HTTP layer does
// with them.

// claimsFor are valid claims of a subject; roles may be empty.
func claimsFor(sub string, roles ...string) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"iss": issuer, "aud": audience, "sub": sub, "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix()}
	if len(roles) > 0 {
		c["roles"] = roles
	}
	return c
}

// craftToken signs claims with the method and key, adding the extra header parameters.
func craftToken(t *testing.T, m jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("craft token: %v", err)
	}
	return s
}

// algNoneToken is an unsigned token (alg none) carrying the claims.
func algNoneToken(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
}

// wrongSecretToken is a Root token signed with a secret the service does not know.
func wrongSecretToken(t *testing.T) string {
	t.Helper()
	tok, err := jwtauth.MintHS256([]byte("another-secret-that-is-not-the-service-one-0123"), jwtauth.MintOptions{Subject: "tester",
		Roles: []string{"Root"}, TTL: time.Hour, Issuer: issuer, Audience: audience})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
