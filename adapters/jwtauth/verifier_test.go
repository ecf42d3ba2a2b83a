package jwtauth

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/domain/access"
)

func TestAdminRights(t *testing.T) {
	clock := newClock()
	v := newHSVerifier(t, clock)
	tests := []struct {
		name        string
		roles       []string
		permissions []string
		have        []access.Right
		lack        []access.Right
	}{
		{name: "Helpdesk", roles: []string{"Helpdesk"},
			have: []access.Right{access.UserView, access.CredentialView, access.CredentialModify,
				access.CredentialChangeState, access.PolicyConfigurationView},
			lack: []access.Right{access.CredentialDelete, access.CredentialCreate, access.UserModify, access.AuditView}},
		{name: "Root", roles: []string{"Root"},
			have: access.AllRights()},
		{name: "ClientRoot", roles: []string{"ClientRoot"},
			have: []access.Right{access.ClientView, access.ClientModify, access.CredentialDelete},
			lack: []access.Right{access.ClientCreate, access.ClientDelete}},
		{name: "Auditor", roles: []string{"Auditor"},
			have: []access.Right{access.AuditView, access.ClientView, access.UserView, access.CredentialView},
			lack: []access.Right{access.CredentialModify}},
		{name: "permissions only", permissions: []string{"CredentialView", "AccessControl.AuditView"},
			have: []access.Right{access.CredentialView, access.AuditView},
			lack: []access.Right{access.CredentialModify}},
		{name: "union of role and permission", roles: []string{"Helpdesk"}, permissions: []string{"CredentialDelete"},
			have: []access.Right{access.CredentialModify, access.CredentialDelete},
			lack: []access.Right{access.UserDelete}},
		{name: "unknown role and right ignored", roles: []string{"God"}, permissions: []string{"Everything"},
			lack: access.AllRights()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := adminOf(t, v, MintOptions{Subject: "admin1", Roles: tt.roles, Permissions: tt.permissions,
				TTL: time.Hour, Issuer: testIssuer, Audience: testAudience, Now: clock.Now()})
			checkPrincipal(t, p, access.ModeAdmin, "admin1")
			for _, r := range tt.have {
				if !p.Has(r) {
					t.Errorf("Has(%s): got false, want true", r)
				}
			}
			for _, r := range tt.lack {
				if p.Has(r) {
					t.Errorf("Has(%s): got true, want false", r)
				}
			}
		})
	}
}

func TestAdminDataRoom(t *testing.T) {
	clock := newClock()
	v := newHSVerifier(t, clock)
	tests := []struct {
		name       string
		clients    []string
		hasClients bool
		wantRoom   []string
		wantLimit  bool
		sees       map[string]bool
	}{
		{name: "absent: every client", wantLimit: false,
			sees: map[string]bool{"c1": true, "other": true}},
		{name: "present", clients: []string{"c1", "c2"}, wantRoom: []string{"c1", "c2"}, wantLimit: true,
			sees: map[string]bool{"c1": true, "c2": true, "other": false}},
		{name: "present and empty: no client", hasClients: true, wantRoom: []string{}, wantLimit: true,
			sees: map[string]bool{"c1": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := adminOf(t, v, MintOptions{Subject: "admin1", Roles: []string{"Root"}, Clients: tt.clients,
				HasClients: tt.hasClients, TTL: time.Hour, Issuer: testIssuer, Audience: testAudience, Now: clock.Now()})
			room, limited := p.DataRoom()
			if limited != tt.wantLimit || !slices.Equal(room, tt.wantRoom) {
				t.Errorf("DataRoom: got %q, %v, want %q, %v", room, limited, tt.wantRoom, tt.wantLimit)
			}
			for c, want := range tt.sees {
				if got := p.SeesClient(c); got != want {
					t.Errorf("SeesClient(%q): got %v, want %v", c, got, want)
				}
			}
		})
	}
}

func TestSelfAdmin(t *testing.T) {
	clock := newClock()
	v := newHSVerifier(t, clock)
	authAt := t0().Add(-3 * time.Minute)
	iatAt := t0().Add(-time.Minute)
	tests := []struct {
		name     string
		token    string
		wantAuth time.Time
	}{
		{name: "minted, auth_time given",
			token: mustMint(t, MintOptions{Subject: "user-7", AuthTime: authAt, TTL: time.Hour,
				Issuer: testIssuer, Audience: testAudience, Now: t0()}),
			wantAuth: authAt},
		{name: "auth_time claim", token: hsToken(t, with(claimsAt(t0()), "sub", "user-7", "auth_time", authAt.Unix())),
			wantAuth: authAt},
		{name: "iat when auth_time absent", token: hsToken(t, with(claimsAt(t0()), "sub", "user-7", "iat", iatAt.Unix())),
			wantAuth: iatAt},
		{name: "neither: zero time", token: hsToken(t, with(claimsAt(t0()), "sub", "user-7", "iat", nil)),
			wantAuth: time.Time{}},
		{name: "admin claims grant nothing",
			token:    hsToken(t, with(claimsAt(t0()), "sub", "user-7", "auth_time", authAt.Unix(), "roles", []string{"Root"})),
			wantAuth: authAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.SelfAdmin(context.Background(), tt.token)
			if err != nil {
				t.Fatalf("SelfAdmin: got error %v, want nil", err)
			}
			checkPrincipal(t, p, access.ModeSelfAdmin, "user-7")
			if got := p.AuthTime(); !got.Equal(tt.wantAuth) {
				t.Errorf("AuthTime: got %v, want %v", got, tt.wantAuth)
			}
			if got := p.Rights(); len(got) != 0 {
				t.Errorf("Rights: got %v, want none", got)
			}
		})
	}
}

func TestSelfAdminFreshness(t *testing.T) {
	clock := newClock()
	v := newHSVerifier(t, clock)
	req := access.Request{User: "user-7", Self: access.SelfFresh, MaxAuthAge: 15 * time.Minute}
	tests := []struct {
		name   string
		claims jwt.MapClaims
		fresh  bool
	}{
		{name: "recent auth_time", claims: with(claimsAt(t0()), "sub", "user-7", "auth_time", t0().Add(-time.Minute).Unix()), fresh: true},
		{name: "old auth_time", claims: with(claimsAt(t0()), "sub", "user-7", "auth_time", t0().Add(-time.Hour).Unix()), fresh: false},
		{name: "no auth_time nor iat", claims: with(claimsAt(t0()), "sub", "user-7", "iat", nil), fresh: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.SelfAdmin(context.Background(), hsToken(t, tt.claims))
			if err != nil {
				t.Fatalf("SelfAdmin: got error %v, want nil", err)
			}
			err = p.Authorize(req, clock.Now())
			if got := err == nil; got != tt.fresh {
				t.Errorf("Authorize: got error %v, want fresh=%v", err, tt.fresh)
			}
		})
	}
}

func mustMint(t *testing.T, o MintOptions) string {
	t.Helper()
	tok, err := MintHS256(testSecret(), o)
	if err != nil {
		t.Fatalf("MintHS256: %v", err)
	}
	return tok
}

// adminOf mints an HS256 token of o and returns the principal v makes of it as an admin's token.
func adminOf(t *testing.T, v *Verifier, o MintOptions) access.Principal {
	t.Helper()
	p, err := v.Admin(context.Background(), mustMint(t, o))
	if err != nil {
		t.Fatalf("Admin: got error %v, want nil", err)
	}
	return p
}

// checkPrincipal checks the mode and subject of a principal.
func checkPrincipal(t *testing.T, p access.Principal, mode access.Mode, subject string) {
	t.Helper()
	if got := p.Mode(); got != mode {
		t.Errorf("Mode: got %v, want %v", got, mode)
	}
	if got := p.Subject(); got != subject {
		t.Errorf("Subject: got %q, want %q", got, subject)
	}
}

// tamper replaces the payload of tok, keeping header and signature.
func tamper(t *testing.T, tok string, claims jwt.MapClaims) string {
	t.Helper()
	raw, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func TestVerifyHS256Claims(t *testing.T) {
	clock := newClock()
	v := newHSVerifier(t, clock)
	base := claimsAt(t0())
	valid := hsToken(t, base)
	tests := []struct {
		name   string
		token  string
		reason string // substring of the error; empty means the token is accepted
	}{
		{name: "valid", token: valid},
		{name: "alg none", token: sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil, base),
			reason: "signing method none is invalid"},
		{name: "HS512 not allowed", token: sign(t, jwt.SigningMethodHS512, testSecret(), nil, base),
			reason: "signing method HS512 is invalid"},
		{name: "HS384 not allowed", token: sign(t, jwt.SigningMethodHS384, testSecret(), nil, base),
			reason: "signing method HS384 is invalid"},
		{name: "RS256 without JWKS", token: sign(t, jwt.SigningMethodRS256, newTestKeys(t).rsa, nil, base),
			reason: "signing method RS256 is invalid"},
		{name: "jku header", token: sign(t, jwt.SigningMethodHS256, testSecret(), map[string]any{"jku": "https://evil.example/jwks"}, base),
			reason: "header jku not allowed"},
		{name: "x5u header", token: sign(t, jwt.SigningMethodHS256, testSecret(), map[string]any{"x5u": "https://evil.example/cert"}, base),
			reason: "header x5u not allowed"},
		{name: "jwk header", token: sign(t, jwt.SigningMethodHS256, testSecret(), map[string]any{"jwk": map[string]any{"kty": "oct", "k": "AAAA"}}, base),
			reason: "header jwk not allowed"},
		{name: "x5c header", token: sign(t, jwt.SigningMethodHS256, testSecret(), map[string]any{"x5c": []string{"MIIB"}}, base),
			reason: "header x5c not allowed"},
		{name: "crit header", token: sign(t, jwt.SigningMethodHS256, testSecret(), map[string]any{"crit": []string{"exp"}}, base),
			reason: "header crit not allowed"},
		{name: "kid ignored with only a secret", token: sign(t, jwt.SigningMethodHS256, testSecret(), map[string]any{"kid": "whatever"}, base)},
		{name: "tampered payload", token: tamper(t, valid, with(base, "roles", []string{"Root"})),
			reason: "signature is invalid"},
		{name: "wrong secret", token: sign(t, jwt.SigningMethodHS256, []byte("another secret of at least 32 bytes!"), nil, base),
			reason: "signature is invalid"},
		{name: "expired beyond leeway", token: hsToken(t, with(base, "iat", t0().Add(-time.Hour).Unix(), "nbf", nil, "exp", t0().Add(-61*time.Second).Unix())),
			reason: "token is expired"},
		{name: "expired within leeway", token: hsToken(t, with(base, "iat", t0().Add(-time.Hour).Unix(), "nbf", nil, "exp", t0().Add(-59*time.Second).Unix()))},
		{name: "nbf beyond leeway", token: hsToken(t, with(base, "iat", nil, "nbf", t0().Add(61*time.Second).Unix())),
			reason: "token is not valid yet"},
		{name: "nbf within leeway", token: hsToken(t, with(base, "iat", nil, "nbf", t0().Add(59*time.Second).Unix()))},
		{name: "iat beyond leeway", token: hsToken(t, with(base, "nbf", nil, "iat", t0().Add(61*time.Second).Unix())),
			reason: "token used before issued"},
		{name: "iat within leeway", token: hsToken(t, with(base, "nbf", nil, "iat", t0().Add(59*time.Second).Unix()))},
		{name: "wrong iss", token: hsToken(t, with(base, "iss", "someone-else")), reason: "invalid issuer"},
		{name: "missing iss", token: hsToken(t, with(base, "iss", nil)), reason: "iss claim is required"},
		{name: "wrong aud", token: hsToken(t, with(base, "aud", "other")), reason: "invalid audience"},
		{name: "missing aud", token: hsToken(t, with(base, "aud", nil)), reason: "aud claim is required"},
		{name: "aud array with audience", token: hsToken(t, with(base, "aud", []string{"other", testAudience}))},
		{name: "aud array without audience", token: hsToken(t, with(base, "aud", []string{"other", "third"})),
			reason: "invalid audience"},
		{name: "missing exp", token: hsToken(t, with(base, "exp", nil)), reason: "exp claim is required"},
		{name: "exp not a number", token: hsToken(t, with(base, "exp", "tomorrow")), reason: "malformed"},
		{name: "missing sub", token: hsToken(t, with(base, "sub", nil)), reason: "sub missing"},
		{name: "empty sub", token: hsToken(t, with(base, "sub", "")), reason: "sub missing"},
		{name: "sub not a string", token: hsToken(t, with(base, "sub", 42)), reason: "malformed"},
		{name: "roles not an array", token: hsToken(t, with(base, "roles", "Root")), reason: "claim roles is not an array of strings"},
		{name: "roles with null", token: hsToken(t, with(base, "roles", []any{"Root", nil})), reason: "claim roles is not an array of strings"},
		{name: "permissions with number", token: hsToken(t, with(base, "permissions", []any{"AccessControl.UserView", 3})),
			reason: "claim permissions is not an array of strings"},
		{name: "clients object", token: hsToken(t, with(base, "clients", map[string]any{"c1": true})),
			reason: "claim clients is not an array of strings"},
		{name: "clients null", token: tamperSigned(t, base, `"clients":null`), reason: "claim clients is not an array of strings"},
		{name: "auth_time beyond leeway", token: hsToken(t, with(base, "auth_time", t0().Add(61*time.Second).Unix())),
			reason: "auth_time in the future"},
		{name: "empty token", token: "", reason: "empty token"},
		{name: "garbage", token: "not.a.jwt", reason: "malformed"},
		{name: "two segments", token: "abc.def", reason: "malformed"},
		{name: "oversized", token: hsToken(t, with(base, "pad", strings.Repeat("x", MaxTokenLength))),
			reason: "longer than 8192 bytes"},
		{name: "large but within the limit", token: hsToken(t, with(base, "pad", strings.Repeat("x", 5000)))},
		{name: "oversized garbage", token: strings.Repeat("A", MaxTokenLength+1), reason: "longer than 8192 bytes"},
		// The alg none spellings and a signature that is not the one of this header and payload.
		{name: "alg None", token: replaceSegment(t, sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil, base), 0,
			[]byte(`{"alg":"None","typ":"JWT"}`)), reason: "signing method (alg) is unavailable"},
		{name: "alg NONE with a valid signature", token: replaceSegment(t, valid, 0, []byte(`{"alg":"NONE"}`)),
			reason: "signing method (alg) is unavailable"},
		{name: "alg none, signature stripped", token: strings.Join(strings.Split(replaceSegment(t, valid, 0, []byte(`{"alg":"none"}`)), ".")[:2], ".") + ".",
			reason: "signing method none is invalid"},
		{name: "signature bit flipped", token: flipSignatureBit(t, valid), reason: "signature is invalid"},
		{name: "signature truncated", token: valid[:len(valid)-4], reason: "could not base64 decode signature"},
		{name: "padded base64 signature", token: valid + "=", reason: "could not base64 decode signature"},
		{name: "extra segment", token: valid + ".e30", reason: "invalid number of segments"},
		{name: "signature of another token", token: valid[:strings.LastIndex(valid, ".")+1] +
			strings.Split(hsToken(t, with(base, "sub", "other")), ".")[2], reason: "signature is invalid"},
		{name: "no dots", token: "not-a-jwt", reason: "invalid number of segments"},
		{name: "three segments of nothing", token: "e30.e30.AAAA", reason: "signing method (alg) is unspecified"},
		{name: "dots and spaces", token: "a.b.c d.e", reason: "invalid number of segments"},
		// NumericDate reads a number written as a string too; its value is checked all the same.
		{name: "exp as a numeric string", token: hsToken(t, with(base, "exp", fmt.Sprint(t0().Add(time.Hour).Unix())))},
		{name: "expired exp as a numeric string", token: hsToken(t, with(base, "iat", nil, "nbf", nil,
			"exp", fmt.Sprint(t0().Add(-65*time.Second).Unix()))), reason: "token is expired"},
		{name: "exp as a date string", token: hsToken(t, with(base, "exp", t0().Add(time.Hour).Format(time.RFC3339))), reason: "malformed"},
		{name: "exp null", token: tamperSigned(t, with(base, "exp", nil), `"exp":null`), reason: "exp claim is required"},
		{name: "exp beyond any date", token: hsToken(t, with(base, "exp", 1e300)), reason: "token is expired"},
		{name: "sub with a NUL character", token: hsToken(t, with(base, "sub", "ad\x00min")), reason: "sub is not a printable name"},
		{name: "auth_time within leeway", token: hsToken(t, with(base, "auth_time", t0().Add(59*time.Second).Unix()))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkBothModes(t, v, "", tt.token, tt.reason)
		})
	}
}

// replaceSegment swaps segment i of a token (0 header, 1 payload, 2 signature) for data,
// base64url-encoded, keeping the others.
func replaceSegment(t *testing.T, tok string, i int, data []byte) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	parts[i] = base64.RawURLEncoding.EncodeToString(data)
	return strings.Join(parts, ".")
}

// flipSignatureBit flips one bit in the middle of a token's signature.
func flipSignatureBit(t *testing.T, tok string) string {
	t.Helper()
	sig, err := base64.RawURLEncoding.DecodeString(tok[strings.LastIndex(tok, ".")+1:])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)/2] ^= 0x01
	return replaceSegment(t, tok, 2, sig)
}

// tamperSigned signs base plus one raw JSON member, for claim values MapClaims cannot express.
func tamperSigned(t *testing.T, base jwt.MapClaims, member string) string {
	t.Helper()
	raw, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw[:len(raw)-1]) + "," + member + "}"
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	signing := header + "." + base64.RawURLEncoding.EncodeToString([]byte(body))
	sig, err := jwt.SigningMethodHS256.Sign(signing, testSecret())
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// checkVerifyErr checks a verification result: reason empty wants success, otherwise an error
// wrapping ErrInvalidToken whose message contains reason.
func checkVerifyErr(t *testing.T, what string, err error, reason string) {
	t.Helper()
	switch {
	case reason == "" && err != nil:
		t.Errorf("%s: got error %v, want nil", what, err)
	case reason != "" && err == nil:
		t.Errorf("%s: got nil error, want one containing %q", what, reason)
	case reason != "" && !errors.Is(err, ErrInvalidToken):
		t.Errorf("%s: got error %v, want one wrapping ErrInvalidToken", what, err)
	case reason != "" && !strings.Contains(err.Error(), reason):
		t.Errorf("%s: got error %q, want one containing %q", what, err, reason)
	}
}

// checkBothModes verifies tok as an admin's and as a self-admin's token and checks each result
// with checkVerifyErr; the messages start with what and the mode.
func checkBothModes(t *testing.T, v *Verifier, what, tok, reason string) {
	t.Helper()
	for mode, verify := range map[string]func(context.Context, string) (access.Principal, error){
		"Admin": v.Admin, "SelfAdmin": v.SelfAdmin,
	} {
		_, err := verify(context.Background(), tok)
		checkVerifyErr(t, what+mode, err, reason)
	}
}

func TestVerifyClockMoves(t *testing.T) {
	clock := newClock()
	v := newHSVerifier(t, clock)
	tok := mustMint(t, MintOptions{Subject: "a", TTL: 5 * time.Minute, Issuer: testIssuer, Audience: testAudience, Now: t0()})
	steps := []struct {
		advance time.Duration
		reason  string
	}{
		{advance: 0},
		{advance: 5*time.Minute + 59*time.Second},
		{advance: 2 * time.Second, reason: "token is expired"},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		_, err := v.Admin(context.Background(), tok)
		checkVerifyErr(t, fmt.Sprintf("step %d", i), err, s.reason)
	}
}

func TestKeyConfusion(t *testing.T) {
	keys := newTestKeys(t)
	der, err := x509.MarshalPKIXPublicKey(&keys.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwksFile := writeFile(t, jwksJSON(t, testJWK{kid: "rsa1", pub: &keys.rsa.PublicKey}))
	clock := newClock()
	claims := claimsAt(t0())
	tests := []struct {
		name   string
		secret []byte
		header map[string]any
		key    []byte
		reason string
	}{
		{name: "JWKS only, PEM as HMAC key", key: pemBytes, reason: "signing method HS256 is invalid"},
		{name: "JWKS only, PEM as HMAC key with kid", key: pemBytes, header: map[string]any{"kid": "rsa1"},
			reason: "signing method HS256 is invalid"},
		{name: "JWKS only, DER as HMAC key", key: der, reason: "signing method HS256 is invalid"},
		{name: "JWKS and secret, PEM as HMAC key", secret: testSecret(), key: pemBytes, reason: "signature is invalid"},
		{name: "JWKS and secret, PEM as HMAC key with kid", secret: testSecret(), key: pemBytes,
			header: map[string]any{"kid": "rsa1"}, reason: "HS256 token names a kid"},
		{name: "JWKS and secret, secret with kid", secret: testSecret(), key: testSecret(),
			header: map[string]any{"kid": "rsa1"}, reason: "HS256 token names a kid"},
		{name: "JWKS and secret, secret", secret: testSecret(), key: testSecret()},
		{name: "JWKS and secret, JWK modulus as HMAC key", secret: testSecret(), key: []byte(b64(keys.rsa.N.Bytes())),
			reason: "signature is invalid"},
		{name: "JWKS and secret, JWK modulus as HMAC key with kid", secret: testSecret(), key: []byte(b64(keys.rsa.N.Bytes())),
			header: map[string]any{"kid": "rsa1"}, reason: "HS256 token names a kid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, Config{HS256Secret: tt.secret, JWKSFile: jwksFile, Now: clock.Now})
			_, err := v.Admin(context.Background(), sign(t, jwt.SigningMethodHS256, tt.key, tt.header, claims))
			checkVerifyErr(t, "Admin", err, tt.reason)
		})
	}
	// An RS256 signature under a header that says HS256: the secret verifies it, and fails.
	v := newVerifier(t, Config{HS256Secret: testSecret(), JWKSFile: jwksFile, Now: clock.Now})
	rs := sign(t, jwt.SigningMethodRS256, keys.rsa, map[string]any{"kid": "rsa1"}, claims)
	for header, reason := range map[string]string{`{"alg":"HS256","kid":"rsa1"}`: "HS256 token names a kid",
		`{"alg":"HS256"}`: "signature is invalid"} {
		_, err := v.Admin(context.Background(), replaceSegment(t, rs, 0, []byte(header)))
		checkVerifyErr(t, "RS256 signature under "+header, err, reason)
	}
}

func TestNewConfig(t *testing.T) {
	good := writeFile(t, jwksJSON(t, testJWK{kid: "ed", pub: newTestKeys(t).ed.Public()}))
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "secret", cfg: Config{Issuer: "i", Audience: "a", HS256Secret: testSecret()}},
		{name: "JWKS file", cfg: Config{Issuer: "i", Audience: "a", JWKSFile: good}},
		{name: "no key", cfg: Config{Issuer: "i", Audience: "a"}, wantErr: "no key configured"},
		{name: "short secret", cfg: Config{Issuer: "i", Audience: "a", HS256Secret: testSecret()[:31]}, wantErr: "at least 32"},
		{name: "no issuer", cfg: Config{Audience: "a", HS256Secret: testSecret()}, wantErr: "issuer and audience"},
		{name: "no audience", cfg: Config{Issuer: "i", HS256Secret: testSecret()}, wantErr: "issuer and audience"},
		{name: "negative leeway", cfg: Config{Issuer: "i", Audience: "a", HS256Secret: testSecret(), Leeway: -time.Second},
			wantErr: "negative leeway"},
		{name: "missing JWKS file", cfg: Config{Issuer: "i", Audience: "a", JWKSFile: good + ".missing"}, wantErr: "read jwks file"},
		{name: "bad JWKS URL", cfg: Config{Issuer: "i", Audience: "a", JWKSURL: "file:///etc/jwks.json"}, wantErr: "jwks url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), tt.cfg)
			checkErr(t, "New", err, tt.wantErr)
		})
	}
}

func TestCustomLeeway(t *testing.T) {
	clock := newClock()
	v := newVerifier(t, Config{HS256Secret: testSecret(), Leeway: 5 * time.Second, Now: clock.Now})
	tok := hsToken(t, with(claimsAt(t0()), "exp", t0().Add(-10*time.Second).Unix()))
	_, err := v.Admin(context.Background(), tok)
	checkVerifyErr(t, "Admin", err, "token is expired")
}
