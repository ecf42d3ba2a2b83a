package credential_test

import (
	"errors"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
)

// TestHolder: only active users authenticate; only archived users receive no card; any state but
// active and archived counts as disabled.
func TestHolder(t *testing.T) {
	tests := []struct {
		userState             string
		authenticate, receive bool
	}{
		{"active", true, true},
		{"disabled", false, true},
		{"archived", false, false},
		{"", false, true},
		{"ACTIVE", false, true},
	}
	for _, tt := range tests {
		h := credential.HolderOf(tt.userState)
		if err := h.CanAuthenticate(); (err == nil) != tt.authenticate || (err != nil && !errors.Is(err, access.ErrUserNotUsable)) {
			t.Errorf("%q: CanAuthenticate got %v, want allowed %v (else ErrUserNotUsable)", tt.userState, err, tt.authenticate)
		}
		if err := h.CanReceiveCards(); (err == nil) != tt.receive || (err != nil && !errors.Is(err, access.ErrUserNotUsable)) {
			t.Errorf("%q: CanReceiveCards got %v, want allowed %v (else ErrUserNotUsable)", tt.userState, err, tt.receive)
		}
	}
}

// TestLockedErrorSaysUntilWhen: a tmp-locked card's refusal carries the end of its lock (for
// Retry-After and lockedUntil); a fail-locked card's carries none.
func TestLockedErrorSaysUntilWhen(t *testing.T) {
	until := t0.Add(time.Minute)
	tmp := usedCard(t, credential.StateTmpLocked).Snapshot()
	tmp.LockedUntil = until
	_, err := credential.RestoreOTPCard(tmp).IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst)
	locked, ok := errors.AsType[*credential.LockedError](err)
	if !ok || !locked.Until.Equal(until) || !errors.Is(err, credential.ErrLocked) {
		t.Fatalf("tmp-locked: got %v, want a *LockedError until %s wrapping ErrLocked", err, until)
	}
	_, err = usedCard(t, credential.StateFailLocked).IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst)
	locked, ok = errors.AsType[*credential.LockedError](err)
	if !ok || !locked.Until.IsZero() || !errors.Is(err, credential.ErrLocked) {
		t.Fatalf("fail-locked: got %v, want a *LockedError without an end wrapping ErrLocked", err)
	}
}
