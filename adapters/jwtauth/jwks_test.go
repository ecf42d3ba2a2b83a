package jwtauth

import (
	"context"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWKSFileAlgorithms(t *testing.T) {
	keys := newTestKeys(t)
	otherEC := newECKey(t)
	file := writeFile(t, jwksJSON(t,
		testJWK{kid: "rsa1", alg: "RS256", use: "sig", pub: &keys.rsa.PublicKey},
		testJWK{kid: "ec1", alg: "ES256", pub: &keys.ec.PublicKey},
		testJWK{kid: "ed1", pub: keys.ed.Public()},
	))
	clock := newClock()
	claims := claimsAt(t0())
	kid := func(k string) map[string]any { return map[string]any{"kid": k} }
	tests := []struct {
		name   string
		secret []byte
		method jwt.SigningMethod
		key    any
		header map[string]any
		reason string
	}{
		{name: "RS256 with kid", method: jwt.SigningMethodRS256, key: keys.rsa, header: kid("rsa1")},
		{name: "ES256 with kid", method: jwt.SigningMethodES256, key: keys.ec, header: kid("ec1")},
		{name: "EdDSA with kid", method: jwt.SigningMethodEdDSA, key: keys.ed, header: kid("ed1")},
		{name: "RS256 without kid, single RSA key", method: jwt.SigningMethodRS256, key: keys.rsa},
		{name: "ES256 without kid, single EC key", method: jwt.SigningMethodES256, key: keys.ec},
		{name: "EdDSA without kid, single Ed25519 key", method: jwt.SigningMethodEdDSA, key: keys.ed},
		{name: "unknown kid", method: jwt.SigningMethodRS256, key: keys.rsa, header: kid("rsa9"), reason: "unknown kid"},
		{name: "kid of another key type", method: jwt.SigningMethodES256, key: keys.ec, header: kid("rsa1"),
			reason: "no key fits algorithm ES256"},
		{name: "RS256 by a foreign key under a known kid", method: jwt.SigningMethodRS256, key: keys.rsa2,
			header: kid("rsa1"), reason: "signature is invalid"},
		{name: "ES256 by a foreign key", method: jwt.SigningMethodES256, key: otherEC, header: kid("ec1"),
			reason: "signature is invalid"},
		{name: "PS256 not allowed", method: jwt.SigningMethodPS256, key: keys.rsa, header: kid("rsa1"),
			reason: "signing method PS256 is invalid"},
		{name: "RS512 not allowed", method: jwt.SigningMethodRS512, key: keys.rsa, header: kid("rsa1"),
			reason: "signing method RS512 is invalid"},
		{name: "ES384 not allowed", method: jwt.SigningMethodES384, key: newCurveKey(t, elliptic.P384()), header: kid("ec1"),
			reason: "signing method ES384 is invalid"},
		{name: "HS256 without secret", method: jwt.SigningMethodHS256, key: testSecret(),
			reason: "signing method HS256 is invalid"},
		{name: "jwk header with a JWKS", method: jwt.SigningMethodRS256, key: keys.rsa,
			header: map[string]any{"kid": "rsa1", "jwk": map[string]any{"kty": "RSA"}}, reason: "header jwk not allowed"},
		{name: "jku header with a JWKS", method: jwt.SigningMethodRS256, key: keys.rsa,
			header: map[string]any{"kid": "rsa1", "jku": "https://evil.example/jwks"}, reason: "header jku not allowed"},
		{name: "x5u header with a JWKS", method: jwt.SigningMethodRS256, key: keys.rsa,
			header: map[string]any{"kid": "rsa1", "x5u": "https://evil.example/cert.pem"}, reason: "header x5u not allowed"},
		{name: "x5c header with a JWKS", method: jwt.SigningMethodRS256, key: keys.rsa,
			header: map[string]any{"kid": "rsa1", "x5c": []string{"MIIB"}}, reason: "header x5c not allowed"},
		{name: "attacker's key embedded as jwk, signed by it", method: jwt.SigningMethodRS256, key: keys.rsa2,
			header: map[string]any{"jwk": map[string]string{"kty": "RSA", "n": b64(keys.rsa2.N.Bytes()),
				"e": b64(big.NewInt(int64(keys.rsa2.E)).Bytes())}}, reason: "header jwk not allowed"},
		{name: "unknown kid, signed by an attacker", method: jwt.SigningMethodRS256, key: keys.rsa2, header: kid("attacker-key"),
			reason: "unknown kid"},
		{name: "kid as a path", method: jwt.SigningMethodRS256, key: keys.rsa, header: kid("../../dev/null"), reason: "unknown kid"},
		{name: "kid not a string", method: jwt.SigningMethodRS256, key: keys.rsa,
			header: map[string]any{"kid": 7}, reason: "kid is not a string"},
		{name: "both configured, HS256", secret: testSecret(), method: jwt.SigningMethodHS256, key: testSecret()},
		{name: "both configured, RS256 by kid", secret: testSecret(), method: jwt.SigningMethodRS256, key: keys.rsa, header: kid("rsa1")},
		{name: "both configured, EdDSA without kid", secret: testSecret(), method: jwt.SigningMethodEdDSA, key: keys.ed},
		{name: "both configured, unknown kid", secret: testSecret(), method: jwt.SigningMethodES256, key: keys.ec,
			header: kid("nope"), reason: "unknown kid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, Config{HS256Secret: tt.secret, JWKSFile: file, Now: clock.Now})
			tok := sign(t, tt.method, tt.key, tt.header, claims)
			p, err := v.Admin(context.Background(), tok)
			checkVerifyErr(t, "Admin", err, tt.reason)
			if err == nil && p.Subject() != "alice" {
				t.Errorf("Subject: got %q, want %q", p.Subject(), "alice")
			}
			_, err = v.SelfAdmin(context.Background(), tok)
			checkVerifyErr(t, "SelfAdmin", err, tt.reason)
		})
	}
	// A provider's token changed after it was signed: the signature no longer fits.
	v := newVerifier(t, Config{HS256Secret: testSecret(), JWKSFile: file, Now: clock.Now})
	valid := sign(t, jwt.SigningMethodRS256, keys.rsa, kid("rsa1"), claims)
	for name, tok := range map[string]string{
		"tampered payload":              tamper(t, valid, with(claims, "clients", []string{"all"})),
		"payload moved to another user": tamper(t, valid, with(claims, "sub", "someone-else")),
		"signature bit flipped":         flipSignatureBit(t, valid),
	} {
		checkBothModes(t, v, name+", ", tok, "signature is invalid")
	}
}

func TestJWKSAmbiguousKeys(t *testing.T) {
	keys := newTestKeys(t)
	file := writeFile(t, jwksJSON(t,
		testJWK{kid: "a", pub: &keys.rsa.PublicKey},
		testJWK{kid: "b", pub: &keys.rsa2.PublicKey},
	))
	clock := newClock()
	v := newVerifier(t, Config{JWKSFile: file, Now: clock.Now})
	tests := []struct {
		name   string
		key    *rsa.PrivateKey
		header map[string]any
		reason string
	}{
		{name: "no kid, two RSA keys", key: keys.rsa, reason: "several keys fit algorithm RS256"},
		{name: "kid a", key: keys.rsa, header: map[string]any{"kid": "a"}},
		{name: "kid b", key: keys.rsa2, header: map[string]any{"kid": "b"}},
		{name: "kid b signed by key a", key: keys.rsa, header: map[string]any{"kid": "b"}, reason: "signature is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Admin(context.Background(), sign(t, jwt.SigningMethodRS256, tt.key, tt.header, claimsAt(t0())))
			checkVerifyErr(t, "Admin", err, tt.reason)
		})
	}
}

func TestParseJWKS(t *testing.T) {
	keys := newTestKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	rsaJWK := string(jwksJSON(t, testJWK{kid: "r", pub: &keys.rsa.PublicKey}))
	rsaMember := rsaJWK[len(`{"keys":[`) : len(rsaJWK)-2]
	tests := []struct {
		name     string
		data     string
		wantKeys int
		wantErr  string
	}{
		{name: "three key types", data: string(jwksJSON(t,
			testJWK{kid: "r", pub: &keys.rsa.PublicKey}, testJWK{kid: "e", pub: &keys.ec.PublicKey},
			testJWK{kid: "d", pub: keys.ed.Public()})), wantKeys: 3},
		{name: "not JSON", data: "{", wantErr: "parse jwks"},
		{name: "no keys", data: `{"keys":[]}`, wantErr: "no usable"},
		{name: "symmetric key skipped", data: `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`, wantErr: "no usable"},
		{name: "P-384 skipped", data: `{"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"},` + rsaMember + `]}`, wantKeys: 1},
		{name: "encryption key skipped", data: `{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"},` + rsaMember + `]}`, wantKeys: 1},
		{name: "key_ops without verify skipped", data: `{"keys":[{"kty":"RSA","key_ops":["encrypt"],"n":"AQAB","e":"AQAB"},` + rsaMember + `]}`, wantKeys: 1},
		{name: "unsupported alg skipped", data: `{"keys":[{"kty":"RSA","alg":"RSA-OAEP","n":"AQAB","e":"AQAB"},` + rsaMember + `]}`, wantKeys: 1},
		{name: "small RSA key", data: string(jwksJSON(t, testJWK{kid: "s", pub: &small.PublicKey})), wantErr: "at least 2048"},
		{name: "RSA without n", data: `{"keys":[{"kty":"RSA","e":"AQAB"}]}`, wantErr: "member n missing"},
		{name: "RSA bad base64", data: `{"keys":[{"kty":"RSA","n":"!!","e":"AQAB"}]}`, wantErr: "member n"},
		{name: "RSA even exponent", data: strings.Replace(rsaJWK, `"e":"AQAB"`, `"e":"AQAA"`, 1), wantErr: "exponent"},
		{name: "EC point off the curve", data: `{"keys":[{"kty":"EC","crv":"P-256","x":"` + b64(make([]byte, 32)) + `","y":"` + b64(append(make([]byte, 31), 1)) + `"}]}`,
			wantErr: "P-256 point"},
		{name: "EC short coordinate", data: `{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}`, wantErr: "32 bytes"},
		{name: "Ed25519 short key", data: `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]}`, wantErr: "Ed25519 key must be 32 bytes"},
		{name: "alg does not fit key type", data: string(jwksJSON(t, testJWK{kid: "r", alg: "ES256", pub: &keys.rsa.PublicKey})),
			wantErr: "does not fit key type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJWKS([]byte(tt.data))
			if !checkErr(t, "parseJWKS", err, tt.wantErr) {
				t.FailNow()
			}
			if len(got) != tt.wantKeys {
				t.Errorf("parseJWKS: got %d keys, want %d", len(got), tt.wantKeys)
			}
		})
	}
}

func TestBadJWKSFileStopsNew(t *testing.T) {
	_, err := New(context.Background(), Config{Issuer: testIssuer, Audience: testAudience,
		JWKSFile: writeFile(t, []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))})
	checkErr(t, "New", err, "no usable")
}
