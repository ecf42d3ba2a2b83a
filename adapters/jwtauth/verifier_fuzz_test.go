package jwtauth

import (
	"context"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Fuzz target of token validation (issue 5, "Abuse and bad input"). The committed corpus under
// testdata/fuzz/FuzzVerifyToken/ runs with every plain `go test`; run it longer with
//
//	go test -run '^$' -fuzz '^FuzzVerifyToken$' -fuzztime 10m ./adapters/jwtauth/

// fuzzTokens are valid tokens of every configured algorithm and the verifier that accepts them.
type fuzzTokens struct {
	v      *Verifier
	tokens []string // valid tokens, picked by the low bits of the selector
	pemKey []byte   // the RSA public key as PEM: the HMAC key of the key-confusion mutation
}

// newFuzzTokens configures a verifier with the HS256 secret and a JWKS of an RSA, a P-256 and an
// Ed25519 key, and signs one admin and one self-admin token with each. The clock stands still, so a
// token is valid for the whole run.
func newFuzzTokens(f *testing.F) fuzzTokens {
	f.Helper()
	keys := newTestKeys(f)
	file := writeFile(f, jwksJSON(f,
		testJWK{kid: "rsa-1", pub: &keys.rsa.PublicKey},
		testJWK{kid: "ec-1", pub: &keys.ec.PublicKey},
		testJWK{kid: "ed-1", pub: keys.ed.Public()},
	))
	now := t0().Add(time.Minute)
	v := newVerifier(f, Config{HS256Secret: testSecret(), JWKSFile: file, Now: func() time.Time { return now }})
	der, err := x509.MarshalPKIXPublicKey(&keys.rsa.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	ft := fuzzTokens{v: v, pemKey: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
	admin := with(claimsAt(t0()), "roles", []string{"Root"}, "clients", []string{"c1"})
	self := with(claimsAt(t0()), "sub", "user-1", "auth_time", t0().Unix())
	for _, k := range []struct {
		m   jwt.SigningMethod
		key any
		kid string
	}{
		{jwt.SigningMethodHS256, testSecret(), ""},
		{jwt.SigningMethodRS256, keys.rsa, "rsa-1"},
		{jwt.SigningMethodES256, keys.ec, "ec-1"},
		{jwt.SigningMethodEdDSA, keys.ed, "ed-1"},
	} {
		var header map[string]any
		if k.kid != "" {
			header = map[string]any{"kid": k.kid}
		}
		for _, c := range []jwt.MapClaims{admin, self} {
			s := sign(f, k.m, k.key, header, c)
			if _, err := v.Admin(context.Background(), s); err != nil {
				f.Fatalf("%s token: %v, want it valid", k.m.Alg(), err)
			}
			ft.tokens = append(ft.tokens, s)
		}
	}
	return ft
}

// Mutations of a valid token, picked by bits 3-5 of the selector.
const (
	mutFlip        = iota // xor the byte at pos with data[0]
	mutInsert             // insert data at pos
	mutDelete             // delete 1+len(data) bytes from pos
	mutSegment            // replace segment pos%3 with base64url(data)
	mutRawSegment         // replace segment pos%3 with data itself
	mutResignPEM          // header base64url(data), payload kept, HS256 with the RSA public key PEM
	mutResignOther        // payload base64url(data), header kept, HS256 with another secret
	mutRaw                // ignore the token: verify data as it is
)

// mutate applies mutation op to tok.
func mutate(tok string, op byte, pos uint16, data []byte, pemKey []byte) string {
	segs := strings.SplitN(tok, ".", 3)
	p := int(pos) % (len(tok) + 1)
	switch op {
	case mutFlip:
		if p == len(tok) || len(data) == 0 || data[0] == 0 {
			return tok
		}
		b := []byte(tok)
		b[p] ^= data[0]
		return string(b)
	case mutInsert:
		return tok[:p] + string(data) + tok[p:]
	case mutDelete:
		return tok[:p] + tok[min(len(tok), p+1+len(data)):]
	case mutSegment, mutRawSegment:
		enc := b64(data)
		if op == mutRawSegment {
			enc = string(data)
		}
		segs[int(pos)%3] = enc
		return strings.Join(segs, ".")
	case mutResignPEM, mutResignOther:
		key := pemKey
		if op == mutResignPEM {
			segs[0] = b64(data)
		} else {
			segs[1] = b64(data)
			key = []byte("another-secret-that-the-verifier-does-not-know")
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(segs[0] + "." + segs[1]))
		return segs[0] + "." + segs[1] + "." + b64(mac.Sum(nil))
	}
	return string(data)
}

// resignHeader replaces the header of tok with header and signs it with the real HS256 secret: the
// signature is then valid, and only the header rules stand between the token and acceptance.
func resignHeader(tok string, header []byte) string {
	segs := strings.SplitN(tok, ".", 3)
	signing := b64(header) + "." + segs[1]
	mac := hmac.New(sha256.New, testSecret())
	mac.Write([]byte(signing))
	return signing + "." + b64(mac.Sum(nil))
}

// checkAcceptedHeader fails unless a header the verifier accepted on an HS256-signed token is one
// RFC 8725 and API.md section 2 allow: alg HS256, no kid (a JWKS is configured, so a kid names a
// public key), no jku, x5u, jwk, x5c or crit.
func checkAcceptedHeader(t *testing.T, mode string, header []byte) {
	t.Helper()
	var h map[string]any
	if err := json.Unmarshal(header, &h); err != nil {
		t.Fatalf("%s accepted header %q that is no JSON object: %v", mode, header, err)
	}
	if h["alg"] != "HS256" {
		t.Fatalf("%s accepted header %q signed with HS256, want alg HS256", mode, header)
	}
	for _, name := range []string{"kid", "jku", "x5u", "jwk", "x5c", "crit"} {
		if _, ok := h[name]; ok {
			t.Fatalf("%s accepted header %q, want no %s", mode, header, name)
		}
	}
}

// sameSignedToken reports whether got carries exactly the signing input and signature bytes of
// want. Base64 decoders skip CR and LF, so those alone do not change the signature bytes. ECDSA
// signatures are malleable: (r, n-s) verifies wherever (r, s) does, so the mirror of an ES256
// signature counts as the same signature (it asserts nothing new; rejecting high s would refuse
// half of all honest ES256 tokens).
func sameSignedToken(got, want string) bool {
	g, w := strings.SplitN(got, ".", 3), strings.SplitN(want, ".", 3)
	if len(g) != 3 || len(w) != 3 || g[0] != w[0] || g[1] != w[1] {
		return false
	}
	sig := strings.NewReplacer("\r", "", "\n", "").Replace(g[2])
	return sig == w[2] || ecdsaMirror(sig, w[2])
}

// ecdsaMirror reports whether the base64url P-256 signatures a and b are (r, s) and (r, n-s).
func ecdsaMirror(a, b string) bool {
	x, err1 := base64.RawURLEncoding.DecodeString(a)
	y, err2 := base64.RawURLEncoding.DecodeString(b)
	if err1 != nil || err2 != nil || len(x) != 64 || len(y) != 64 || string(x[:32]) != string(y[:32]) {
		return false
	}
	sum := new(big.Int).Add(new(big.Int).SetBytes(x[32:]), new(big.Int).SetBytes(y[32:]))
	return sum.Cmp(elliptic.P256().Params().N) == 0
}

// FuzzVerifyToken: Admin and SelfAdmin never panic on mutated valid tokens (every algorithm) nor on
// arbitrary strings; every error wraps ErrInvalidToken; a token is accepted only when its signing
// input and signature bytes are those of a token the keys signed: changed signature bytes, a
// tampered header or payload, alg none, HS256 signed with the RSA public key, jku/x5u/jwk headers
// and unknown kids are all rejected.
func FuzzVerifyToken(f *testing.F) {
	ft := newFuzzTokens(f)
	seeds := []struct {
		sel  byte
		pos  uint16
		data string
	}{
		{0, 0, ""}, // the valid HS256 admin token, unchanged
		{mutFlip<<3 | 0, 5, "\x01"},
		{mutFlip<<3 | 2, 500, "\x20"},
		{mutInsert<<3 | 1, 30, "."},
		{mutDelete<<3 | 3, 1000, ""},
		{mutSegment<<3 | 0, 0, `{"alg":"none","typ":"JWT"}`},
		{mutSegment<<3 | 0, 0, `{"alg":"HS256","jku":"https://attacker.example/jwks.json"}`},
		{mutSegment<<3 | 2, 0, `{"alg":"RS256","kid":"rsa-1","x5u":"https://attacker.example/cert.pem"}`},
		{mutSegment<<3 | 4, 0, `{"alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}}`},
		{mutSegment<<3 | 6, 0, `{"alg":"EdDSA","kid":"no-such-kid"}`},
		{mutSegment<<3 | 0, 1, `{"iss":"otpcard","aud":"otpcard","sub":"mallory","roles":["Root"],"exp":4102444800}`},
		{mutSegment<<3 | 0, 2, ""},
		{mutRawSegment<<3 | 1, 2, ""},
		{mutRawSegment<<3 | 0, 0, "eyJhbGciOiJub25lIn0"},
		{mutResignPEM<<3 | 2, 0, `{"alg":"HS256","typ":"JWT"}`},
		{mutResignPEM<<3 | 2, 0, `{"alg":"HS256","kid":"rsa-1"}`},
		{mutResignOther<<3 | 0, 0, `{"iss":"otpcard","aud":"otpcard","sub":"mallory","exp":4102444800}`},
		{mutRaw<<3 | 0, 0, ""},
		{mutRaw<<3 | 1, 0, "not-a-jwt"},
		{mutRaw<<3 | 0, 0, "e30.e30.AAAA"},
		{mutRaw<<3 | 0, 0, "..."},
		{mutRaw<<3 | 0, 0, strings.Repeat("A", MaxTokenLength+1)},
		{1<<7 | 3, 0, ""}, // SelfAdmin, RS256 self-admin token unchanged
		// Bit 6: the header replaced and signed with the real secret.
		{1 << 6, 0, `{"alg":"HS256","typ":"JWT"}`},
		{1 << 6, 0, `{"alg":"HS256","jku":"https://attacker.example/jwks.json"}`},
		{1 << 6, 0, `{"alg":"HS256","x5u":"https://attacker.example/cert.pem"}`},
		{1 << 6, 0, `{"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"}}`},
		{1 << 6, 0, `{"alg":"HS256","x5c":["MIIB"]}`},
		{1 << 6, 0, `{"alg":"HS256","crit":["exp"],"exp":1}`},
		{1 << 6, 0, `{"alg":"HS256","kid":"rsa-1"}`},
		{1 << 6, 0, `{"alg":"HS256","kid":"unknown"}`},
		{1 << 6, 0, `{"alg":"HS256","kid":7}`},
		{1<<6 | 1<<7, 0, `{"alg":"HS256","alg":"none"}`},
		{1 << 6, 0, `{"alg":"none"}`},
		{1 << 6, 0, `{"alg":"HS384"}`},
		{1 << 6, 0, `{"alg":"hs256"}`},
		{1 << 6, 0, `{"alg":"HS256"`},
		{1 << 6, 0, `[]`},
	}
	for _, s := range seeds {
		f.Add(s.sel, s.pos, []byte(s.data))
	}
	f.Fuzz(func(t *testing.T, sel byte, pos uint16, data []byte) {
		base := ft.tokens[int(sel&7)%len(ft.tokens)]
		op := sel >> 3 & 7
		tok := mutate(base, op, pos, data, ft.pemKey)
		resigned := sel&(1<<6) != 0
		if resigned {
			tok = resignHeader(base, data)
		}
		verify, mode := ft.v.Admin, "Admin"
		if sel&(1<<7) != 0 {
			verify, mode = ft.v.SelfAdmin, "SelfAdmin"
		}
		p, err := verify(context.Background(), tok)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("%s(%q): got error %v, want one wrapping ErrInvalidToken", mode, tok, err)
			}
			if p.Subject() != "" {
				t.Fatalf("%s(%q): got principal %q beside an error", mode, tok, p.Subject())
			}
			return
		}
		if resigned {
			checkAcceptedHeader(t, mode, data)
			return
		}
		for _, valid := range ft.tokens {
			if sameSignedToken(tok, valid) {
				return
			}
		}
		t.Fatalf("%s accepted %q (mutation %d of %q): its signing input or signature bytes were changed",
			mode, tok, op, base)
	})
}
