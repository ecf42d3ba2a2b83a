package jwtauth

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMintHS256Claims(t *testing.T) {
	authAt := t0().Add(-2 * time.Minute)
	tests := []struct {
		name       string
		opts       MintOptions
		wantClaims map[string]any // exact expected values; nil value: claim must be absent
	}{
		{name: "admin with roles and permissions",
			opts: MintOptions{Subject: "admin1", Roles: []string{"Helpdesk"},
				Permissions: []string{"CredentialDelete", "AccessControl.AuditView"}, TTL: time.Hour,
				Issuer: "iss-x", Audience: "aud-y", Now: t0()},
			wantClaims: map[string]any{
				"iss": "iss-x", "aud": "aud-y", "sub": "admin1",
				"iat": float64(t0().Unix()), "nbf": float64(t0().Unix()), "exp": float64(t0().Add(time.Hour).Unix()),
				"auth_time":   float64(t0().Unix()),
				"roles":       []any{"Helpdesk"},
				"permissions": []any{"AccessControl.CredentialDelete", "AccessControl.AuditView"},
				"clients":     nil,
			}},
		{name: "data room",
			opts: MintOptions{Subject: "admin1", Clients: []string{"c1"}, TTL: time.Minute,
				Issuer: "i", Audience: "a", Now: t0()},
			wantClaims: map[string]any{"clients": []any{"c1"}, "roles": nil, "permissions": nil}},
		{name: "empty data room",
			opts: MintOptions{Subject: "admin1", HasClients: true, TTL: time.Minute,
				Issuer: "i", Audience: "a", Now: t0()},
			wantClaims: map[string]any{"clients": []any{}}},
		{name: "self-admin with auth_time",
			opts: MintOptions{Subject: "user-1", AuthTime: authAt, TTL: time.Minute,
				Issuer: "i", Audience: "a", Now: t0()},
			wantClaims: map[string]any{"sub": "user-1", "auth_time": float64(authAt.Unix())}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := MintHS256(testSecret(), tt.opts)
			if err != nil {
				t.Fatalf("MintHS256: %v", err)
			}
			header := segment(t, tok, 0)
			wantHeader := map[string]any{"alg": "HS256", "typ": "JWT"}
			if !reflect.DeepEqual(header, wantHeader) {
				t.Errorf("header: got %v, want %v", header, wantHeader)
			}
			claims := payload(t, tok)
			for name, want := range tt.wantClaims {
				got, present := claims[name]
				switch {
				case want == nil && present:
					t.Errorf("claim %s: got %v, want absent", name, got)
				case want != nil && !reflect.DeepEqual(got, want):
					t.Errorf("claim %s: got %#v, want %#v", name, got, want)
				}
			}
		})
	}
}

func TestMintHS256RoundTrip(t *testing.T) {
	// Now left zero: the token is issued at the real time, so the verifier uses the real clock.
	tok := mustMint(t, MintOptions{Subject: "admin1", Roles: []string{"Root"}, TTL: time.Hour,
		Issuer: testIssuer, Audience: testAudience})
	v := newVerifier(t, Config{HS256Secret: testSecret()})
	p, err := v.Admin(context.Background(), tok)
	if err != nil {
		t.Fatalf("Admin: got error %v, want nil", err)
	}
	if got := p.Subject(); got != "admin1" {
		t.Errorf("Subject: got %q, want %q", got, "admin1")
	}
}

func TestMintHS256Errors(t *testing.T) {
	ok := MintOptions{Subject: "s", TTL: time.Minute, Issuer: "i", Audience: "a"}
	tests := []struct {
		name    string
		secret  []byte
		mutate  func(*MintOptions)
		wantErr string
	}{
		{name: "short secret", secret: testSecret()[:31], mutate: func(*MintOptions) {}, wantErr: "at least 32"},
		{name: "no subject", secret: testSecret(), mutate: func(o *MintOptions) { o.Subject = "" }, wantErr: "subject required"},
		{name: "no issuer", secret: testSecret(), mutate: func(o *MintOptions) { o.Issuer = "" }, wantErr: "issuer and audience"},
		{name: "no audience", secret: testSecret(), mutate: func(o *MintOptions) { o.Audience = "" }, wantErr: "issuer and audience"},
		{name: "zero TTL", secret: testSecret(), mutate: func(o *MintOptions) { o.TTL = 0 }, wantErr: "TTL"},
		{name: "negative TTL", secret: testSecret(), mutate: func(o *MintOptions) { o.TTL = -time.Second }, wantErr: "TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.mutate(&o)
			_, err := MintHS256(tt.secret, o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("MintHS256: got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
