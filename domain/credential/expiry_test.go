package credential_test

import (
	"errors"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
)

// TestExpiredCardsSayItAndKeepTheirState: once validity.to has passed, reads say expired, the
// state stays as it was (as in nevisIDM), challenges are refused, and a replace that restarts the
// validity makes the card usable again (API.md sections 10.2 and 4.1).
func TestExpiredCardsSayItAndKeepTheirState(t *testing.T) {
	card := usedCard(t, credential.StateActive) // valid until t0+48h
	if card.IsExpired() {
		t.Fatal("a card nobody has looked at yet must not say expired")
	}
	card.EndExpiredLock(t0.Add(47 * time.Hour))
	if card.IsExpired() {
		t.Fatal("expired an hour before validity.to")
	}
	card.EndExpiredLock(t0.Add(48 * time.Hour))
	if !card.IsExpired() || card.State() != credential.StateActive {
		t.Fatalf("at validity.to: expired %v, state %s; want true, active kept", card.IsExpired(), card.State())
	}
	later := usedCard(t, credential.StateInitial)
	version := later.Version()
	if _, err := later.IssueChallenge(t0.Add(49*time.Hour), credential.ChallengeRules{Size: 1}, func(int) (int, error) { return 0, nil }); !errors.Is(err, credential.ErrNotUsable) {
		t.Fatalf("challenge of an expired card: %v, want ErrNotUsable", err)
	}
	if !later.IsExpired() || later.Version() != version || later.State() != credential.StateInitial {
		t.Fatalf("after a refused challenge: expired %v, version %d, state %s; want true, %d, initial",
			later.IsExpired(), later.Version(), later.State(), version)
	}
	restarted, err := later.Replace(newTestGrid(t, defaultLayout(), 3), "", 24*time.Hour, t0.Add(50*time.Hour))
	if err != nil || !restarted || later.IsExpired() {
		t.Fatalf("replace of an expired card: restarted %v, expired %v, error %v; want true, false, nil", restarted, later.IsExpired(), err)
	}
}
