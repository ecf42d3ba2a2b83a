package jwtauth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/domain/access"
)

// benchSecret is a 32-byte HS256 secret.
var benchSecret = []byte("bench-hs256-secret-0123456789abc")

// benchVerifier returns an HS256 verifier and a Root admin token as the service sees them on
// every admin request (OTPCARD_JWT_HS256_SECRET only).
func benchVerifier(b *testing.B, o jwtauth.MintOptions) (*jwtauth.Verifier, string) {
	b.Helper()
	v, err := jwtauth.New(context.Background(), jwtauth.Config{
		Issuer: "otpcard", Audience: "otpcard", HS256Secret: benchSecret})
	if err != nil {
		b.Fatal(err)
	}
	o.Issuer, o.Audience, o.TTL = "otpcard", "otpcard", time.Hour
	tok, err := jwtauth.MintHS256(benchSecret, o)
	if err != nil {
		b.Fatal(err)
	}
	return v, tok
}

// benchVerify runs verify on tok in every iteration and fails unless it accepts tok exactly when
// valid is set.
func benchVerify(b *testing.B, verify func(context.Context, string) (access.Principal, error), tok string, valid bool) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := verify(ctx, tok); (err == nil) != valid {
			b.Fatalf("verify: got error %v, want valid %v", err, valid)
		}
	}
}

// BenchmarkVerifyAdminHS256 validates an admin bearer token: size and header checks, HS256
// signature, registered claims, roles into rights.
func BenchmarkVerifyAdminHS256(b *testing.B) {
	v, tok := benchVerifier(b, jwtauth.MintOptions{Subject: "bench", Roles: []string{"Root"}})
	benchVerify(b, v.Admin, tok, true)
}

// BenchmarkVerifyAdminHS256Parallel is the same on every core at once, as under load.
func BenchmarkVerifyAdminHS256Parallel(b *testing.B) {
	v, tok := benchVerifier(b, jwtauth.MintOptions{Subject: "bench", Roles: []string{"Root"}})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Admin(ctx, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyAdminHS256DataRoom validates a token with explicit permissions and a data room.
func BenchmarkVerifyAdminHS256DataRoom(b *testing.B) {
	v, tok := benchVerifier(b, jwtauth.MintOptions{Subject: "helpdesk",
		Permissions: []string{"CredentialView", "CredentialChangeState", "UserView"},
		Clients:     []string{"client-a", "client-b", "client-c"}})
	benchVerify(b, v.Admin, tok, true)
}

// BenchmarkVerifySelfAdminHS256 validates a self-admin X-Token.
func BenchmarkVerifySelfAdminHS256(b *testing.B) {
	v, tok := benchVerifier(b, jwtauth.MintOptions{Subject: "user-1"})
	benchVerify(b, v.SelfAdmin, tok, true)
}

// BenchmarkRejectForgedHS256 rejects a token whose signature is wrong: the cost of junk tokens.
func BenchmarkRejectForgedHS256(b *testing.B) {
	v, tok := benchVerifier(b, jwtauth.MintOptions{Subject: "bench", Roles: []string{"Root"}})
	i := strings.LastIndexByte(tok, '.')
	sig := []byte(tok[i+1:])
	sig[0] ^= 'A' ^ 'B'
	if sig[0] == tok[i+1] {
		sig[0] = 'A'
	}
	benchVerify(b, v.Admin, tok[:i+1]+string(sig), false)
}
