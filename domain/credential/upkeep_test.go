package credential_test

import (
	"slices"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

const day = 24 * time.Hour

// TestAnnounceTellsEachNewsOnce: close-to-expiration when the card enters the threshold,
// expired when validity.to passes, each once, without a new version; a card that expired before
// its closeness was told hears only that it expired; a replace that restarts the validity re-arms
// both (API.md section 10.2).
func TestAnnounceTellsEachNewsOnce(t *testing.T) {
	card := lockoutCard(credential.StateActive, nil) // valid until t0+30 days
	version := card.Version()
	steps := []struct {
		at   time.Time
		want []event.Type
	}{
		{t0, nil},
		{t0.Add(19*day + time.Hour), nil},
		{t0.Add(20 * day), []event.Type{credential.CardCloseToExpiration}},
		{t0.Add(21 * day), nil},
		{t0.Add(30*day - time.Nanosecond), nil},
		{t0.Add(30 * day), []event.Type{credential.CardExpired}},
		{t0.Add(40 * day), nil},
	}
	for _, s := range steps {
		if got := card.Announce(s.at, 10*day); !slices.Equal(got, s.want) {
			t.Errorf("at t0+%v: announced %v, want %v", s.at.Sub(t0), got, s.want)
		}
	}
	if card.Version() != version {
		t.Errorf("announcing moved the version from %d to %d", version, card.Version())
	}

	late := lockoutCard(credential.StateInitial, nil)
	if got := late.Announce(t0.Add(31*day), 10*day); !slices.Equal(got, []event.Type{credential.CardExpired}) {
		t.Errorf("a card first seen after its expiry announced %v, want only expired", got)
	}
	if got := late.Announce(t0.Add(32*day), 10*day); got != nil {
		t.Errorf("announced again: %v", got)
	}
	if closeToExpiry, expiry := late.Announced(); !closeToExpiry || !expiry {
		t.Errorf("announced flags %v %v, want both", closeToExpiry, expiry)
	}
	restarted, err := late.Replace(credential.RestoreGrid(lockoutLayout, testSecret(lockoutLayout.Cells(), 5), make([]int, lockoutLayout.Cells())),
		"", 30*day, t0.Add(33*day))
	if err != nil || !restarted {
		t.Fatalf("replace of the expired card: restarted %v, %v", restarted, err)
	}
	if closeToExpiry, expiry := late.Announced(); closeToExpiry || expiry {
		t.Errorf("a replace that restarted the validity left the flags %v %v", closeToExpiry, expiry)
	}
	if got := late.Announce(t0.Add(53*day), 10*day); !slices.Equal(got, []event.Type{credential.CardCloseToExpiration}) {
		t.Errorf("after the replace: announced %v, want close-to-expiration again", got)
	}
}

// TestAnnounceSkipsArchivedCardsAndAZeroThreshold: an archived card tells nothing; with a
// threshold of 0 days only the expiry is told.
func TestAnnounceSkipsArchivedCardsAndAZeroThreshold(t *testing.T) {
	if got := lockoutCard(credential.StateArchived, nil).Announce(t0.Add(31*day), 10*day); got != nil {
		t.Errorf("archived card announced %v", got)
	}
	card := lockoutCard(credential.StateDisabled, nil)
	if got := card.Announce(t0.Add(29*day), 0); got != nil {
		t.Errorf("threshold 0 announced %v a day before expiry", got)
	}
	if got := card.Announce(t0.Add(30*day), 0); !slices.Equal(got, []event.Type{credential.CardExpired}) {
		t.Errorf("a disabled card at its expiry announced %v, want expired", got)
	}
}

// TestRetireAfterFallback: the renewed card retires once the fallback period has passed and
// only while its successor is in service (a temporary lock counts as in service; disabled,
// fail-locked, archived or expired does not); never twice (API.md section 10.3).
func TestRetireAfterFallback(t *testing.T) {
	card := lockoutCard(credential.StateActive, nil)
	next := renewOf(t, card, true) // at t0, successor valid for a day
	if card.RetireAfterFallback(next, 14*day, t0.Add(14*day-time.Second)) {
		t.Fatal("retired before the fallback period ended")
	}
	if card.RetireAfterFallback(lockoutCard(credential.StateActive, nil), 0, t0.Add(time.Hour)) {
		t.Fatal("retired for a card that is not its successor")
	}
	version := card.Version()
	if !card.RetireAfterFallback(next, time.Hour, t0.Add(time.Hour)) {
		t.Fatal("did not retire once the period had passed")
	}
	if s := card.Snapshot(); s.State != credential.StateArchived || s.StateChangeReason != credential.ReasonRenewal || s.Version != version+1 {
		t.Errorf("retired card %s (%s) version %d, want archived (renewal) %d", s.State, s.StateChangeReason, s.Version, version+1)
	}
	if card.RetireAfterFallback(next, time.Hour, t0.Add(2*time.Hour)) {
		t.Error("retired twice")
	}

	for name, successorState := range map[string]credential.State{
		"disabled": credential.StateDisabled, "fail-locked": credential.StateFailLocked, "archived": credential.StateArchived,
	} {
		card := lockoutCard(credential.StateActive, nil)
		s := renewOf(t, card, true).Snapshot()
		s.State = successorState
		if card.RetireAfterFallback(credential.RestoreOTPCard(s), time.Hour, t0.Add(2*time.Hour)) {
			t.Errorf("retired although the successor is %s", name)
		}
	}
	expiring := lockoutCard(credential.StateActive, nil)
	successor := renewOf(t, expiring, true) // valid until t0+24h
	if expiring.RetireAfterFallback(successor, time.Hour, t0.Add(25*time.Hour)) {
		t.Error("retired although the successor has expired")
	}
	locked := lockoutCard(credential.StateActive, nil)
	s := renewOf(t, locked, true).Snapshot()
	s.State, s.ResumeState, s.LockedUntil = credential.StateTmpLocked, credential.StateInitial, t0.Add(3*time.Hour)
	if !locked.RetireAfterFallback(credential.RestoreOTPCard(s), time.Hour, t0.Add(2*time.Hour)) {
		t.Error("a temporarily locked successor held the renewed card back")
	}
}

// TestDueForRenewal: the policy's two triggers, only for initial and active cards without a
// successor.
func TestDueForRenewal(t *testing.T) {
	p := credential.DefaultParameters() // renew when low (20 left), not close to expiry
	p.LowOnChallenges = 2
	fresh := lockoutCard(credential.StateActive, nil)
	low := lockoutCard(credential.StateActive, []int{1, 1, 1, 1, 0, 0})
	if fresh.DueForRenewal(p, t0) || !low.DueForRenewal(p, t0) {
		t.Errorf("low on challenges: fresh %v, low %v; want false, true", fresh.DueForRenewal(p, t0), low.DueForRenewal(p, t0))
	}
	p.RenewWhenLow = false
	if low.DueForRenewal(p, t0) {
		t.Error("renewed when low although renewWhenLowOnChallenges is off")
	}
	p.RenewWhenCloseToExpiry, p.CloseToExpiry = true, 10*day
	if fresh.DueForRenewal(p, t0.Add(19*day)) || !fresh.DueForRenewal(p, t0.Add(20*day)) {
		t.Error("close to expiry: wrong moment")
	}
	for _, state := range []credential.State{credential.StateDisabled, credential.StateArchived, credential.StateFailLocked} {
		if lockoutCard(state, nil).DueForRenewal(p, t0.Add(25*day)) {
			t.Errorf("a %s card is due for renewal", state)
		}
	}
	renewed := lockoutCard(credential.StateActive, nil)
	renewOf(t, renewed, true)
	if renewed.DueForRenewal(p, t0.Add(25*day)) {
		t.Error("a card with a successor is due for renewal")
	}
}
