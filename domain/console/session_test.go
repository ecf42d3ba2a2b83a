package console_test

import (
	"errors"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/console"
)

var t0 = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

// TestLinkRedeem: a link signs in once, within 5 minutes, from this machine; everything else is
// the one refusal that tells nothing more.
func TestLinkRedeem(t *testing.T) {
	for _, tt := range []struct {
		name     string
		used     bool
		at       time.Duration
		loopback bool
		ok       bool
	}{
		{"fresh, local", false, time.Minute, true, true},
		{"at its last second", false, console.LinkLifetime - time.Second, true, true},
		{"used", true, time.Minute, true, false},
		{"expired", false, console.LinkLifetime, true, false},
		{"remote", false, time.Minute, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := console.NewLink(console.Grant{Subject: "op"}, t0)
			l.Used = tt.used
			err := l.Redeem(t0.Add(tt.at), tt.loopback)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, console.ErrLinkRefused)) {
				t.Fatalf("Redeem: got %v, want ok %v (else ErrLinkRefused)", err, tt.ok)
			}
			if tt.ok && !l.Used {
				t.Errorf("a redeemed link is not marked used")
			}
		})
	}
}

// TestSecrets: secrets are random, 256 bits, stored only as their SHA-256.
func TestSecrets(t *testing.T) {
	a, err := console.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := console.NewSecret()
	if a == b || len(a) != 43 || len(a.Hash()) != 32 || string(a.Hash()) == string(a) {
		t.Errorf("secrets %q and %q: want two different 43-character secrets with 32-byte hashes", a, b)
	}
}

// TestSessionLive: a session lasts 8 hours from its start and carries its own CSRF token.
func TestSessionLive(t *testing.T) {
	s, err := console.NewSession(console.Grant{Subject: "op"}, t0)
	if err != nil || s.CSRF == "" || !s.Expires.Equal(t0.Add(8*time.Hour)) {
		t.Fatalf("session %+v, %v", s, err)
	}
	if err := s.Live(t0.Add(8*time.Hour - time.Second)); err != nil {
		t.Errorf("before its end: %v", err)
	}
	if err := s.Live(t0.Add(8 * time.Hour)); !errors.Is(err, console.ErrNoSession) {
		t.Errorf("at its end: got %v, want ErrNoSession", err)
	}
}
