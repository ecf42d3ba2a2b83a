package credential_test

import (
	"errors"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
)

// renewOf renews card at t0 under the lockout layout and returns the successor.
func renewOf(t *testing.T, card *credential.OTPCard, fallback bool) *credential.OTPCard {
	t.Helper()
	grid := credential.RestoreGrid(lockoutLayout, testSecret(lockoutLayout.Cells(), 9), make([]int, lockoutLayout.Cells()))
	next, err := card.Renew(credential.NewCard{ExtID: "card-2", Lifetime: 24 * time.Hour}, grid, "new card", fallback, t0)
	if err != nil {
		t.Fatalf("renew: %v", err)
	}
	return next
}

// TestRenewLinksTheCards: the successor is a new initial card under the same policy, linked both
// ways; the renewed card moves one version for the link and, without fallback, retires in the
// same step (API.md section 10.3).
func TestRenewLinksTheCards(t *testing.T) {
	for _, fallback := range []bool{true, false} {
		card := lockoutCard(credential.StateActive, nil)
		next := renewOf(t, card, fallback)
		s, n := card.Snapshot(), next.Snapshot()
		if n.PredecessorExtID != "card-1" || n.State != credential.StateInitial || n.PolicyExtID != s.PolicyExtID ||
			n.UserExtID != s.UserExtID || n.ModificationComment != "new card" || n.Version != 1 || !n.ValidFrom.Equal(t0) {
			t.Errorf("fallback %v: successor %+v", fallback, n)
		}
		if s.SuccessorExtID != "card-2" || !s.RenewedAt.Equal(t0) || s.Version != 11 {
			t.Errorf("fallback %v: renewed card successor %q at %v, version %d; want card-2 at t0, 11", fallback, s.SuccessorExtID, s.RenewedAt, s.Version)
		}
		wantState, wantReason := credential.StateActive, credential.ReasonInitialized
		if !fallback {
			wantState, wantReason = credential.StateArchived, credential.ReasonRenewal
		}
		if s.State != wantState || s.StateChangeReason != wantReason {
			t.Errorf("fallback %v: renewed card %s (%s), want %s (%s)", fallback, s.State, s.StateChangeReason, wantState, wantReason)
		}
	}
}

// TestOnlyInitialAndActiveCardsRenew: archived, disabled and locked cards, and a card renewed
// already, are refused and stay as they were.
func TestOnlyInitialAndActiveCardsRenew(t *testing.T) {
	grid := credential.RestoreGrid(lockoutLayout, testSecret(lockoutLayout.Cells(), 9), make([]int, lockoutLayout.Cells()))
	renewedAlready := lockoutCard(credential.StateActive, nil)
	renewOf(t, renewedAlready, true)
	for name, tt := range map[string]struct {
		card *credential.OTPCard
		want error
	}{
		"archived":        {lockoutCard(credential.StateArchived, nil), credential.ErrArchived},
		"disabled":        {lockoutCard(credential.StateDisabled, nil), credential.ErrForbiddenTransition},
		"fail-locked":     {lockoutCard(credential.StateFailLocked, nil), credential.ErrForbiddenTransition},
		"renewed already": {renewedAlready, credential.ErrForbiddenTransition},
	} {
		before := tt.card.Snapshot()
		if _, err := tt.card.Renew(credential.NewCard{ExtID: "card-3", Lifetime: time.Hour}, grid, "", true, t0); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", name, err, tt.want)
		}
		if after := tt.card.Snapshot(); after.Version != before.Version || after.State != before.State {
			t.Errorf("%s: the refused card changed: %+v", name, after)
		}
	}
}

// TestSuccessorsFirstLoginTakesOver: the first successful login of a successor says it takes over,
// and the predecessor retires for it (and for no other card); later logins do not.
func TestSuccessorsFirstLoginTakesOver(t *testing.T) {
	card := lockoutCard(credential.StateActive, nil)
	next := renewOf(t, card, true)
	nextCells := []string{"01AB", "CDEF", "GHJK", "MNPQ", "RSTV", "WXYZ"} // the fake verifier's cells
	ch, err := next.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst)
	if err != nil {
		t.Fatal(err)
	}
	res, err := next.Login(ch.Label, nextCells[0], newVerify().verify, lockoutDefaults, true, t0)
	if err != nil || !res.Succeeded() || !res.TakesOver {
		t.Fatalf("first login of the successor: got %+v, %v; want success that takes over", res, err)
	}
	stranger := lockoutCard(credential.StateActive, nil)
	if stranger.RetireFor(card, t0) {
		t.Error("a card retired for a card that is not its successor")
	}
	if !card.RetireFor(next, t0) || card.State() != credential.StateArchived || card.Snapshot().StateChangeReason != credential.ReasonRenewal {
		t.Errorf("predecessor: got %s (%s), want archived (renewal)", card.State(), card.Snapshot().StateChangeReason)
	}
	if card.RetireFor(next, t0) {
		t.Error("a retired card retired again")
	}
	ch, _ = next.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst)
	if res, _ := next.Login(ch.Label, nextCells[1], newVerify().verify, lockoutDefaults, true, t0); !res.Succeeded() || res.TakesOver {
		t.Errorf("second login of the successor: got %+v, want a success that takes over nothing", res)
	}
}

// TestPickCardYieldsToThePredecessor: without a body, a challenge asks the newest usable card,
// except a successor never used, which yields to its predecessor while the predecessor is usable
// and has cells left (API.md section 6).
func TestPickCardYieldsToThePredecessor(t *testing.T) {
	one := credential.ChallengeRules{Size: 1}
	rules := []credential.ChallengeRules{one, one}
	for name, tt := range map[string]struct {
		predecessorUses []int
		predecessor     credential.State
		successorUsed   bool
		want            int // 0: the successor, 1: the predecessor
	}{
		"successor never used":         {nil, credential.StateActive, false, 1},
		"successor used":               {nil, credential.StateActive, true, 0},
		"predecessor has no cells":     {[]int{1, 1, 1, 1, 1, 1}, credential.StateActive, false, 0},
		"predecessor disabled":         {nil, credential.StateDisabled, false, 0},
		"predecessor fail-locked":      {nil, credential.StateFailLocked, false, 0},
		"predecessor one cell, asks 1": {[]int{1, 1, 1, 1, 1, 0}, credential.StateInitial, false, 1},
	} {
		card := lockoutCard(credential.StateActive, tt.predecessorUses)
		next := renewOf(t, card, true)
		s := card.Snapshot()
		s.State = tt.predecessor
		card = credential.RestoreOTPCard(s)
		if tt.successorUsed {
			ch, _ := next.IssueChallenge(t0, one, drawFirst)
			next.Login(ch.Label, "01AB", newVerify().verify, lockoutDefaults, true, t0)
		}
		if got := credential.PickCard([]*credential.OTPCard{next, card}, rules, false, t0); got != tt.want {
			t.Errorf("%s: picked %d, want %d", name, got, tt.want)
		}
	}
	if got := credential.PickCard(nil, nil, false, t0); got != -1 {
		t.Errorf("no cards: got %d, want -1", got)
	}
}

// TestASuccessorOutOfServiceDropsTheLink: a successor that is archived or disabled no longer
// holds its predecessor back from another renewal; an active one does.
func TestASuccessorOutOfServiceDropsTheLink(t *testing.T) {
	for state, dropped := range map[credential.State]bool{
		credential.StateArchived: true, credential.StateDisabled: true,
		credential.StateActive: false, credential.StateInitial: false, credential.StateTmpLocked: false,
	} {
		card := lockoutCard(credential.StateActive, nil)
		next := renewOf(t, card, true)
		s := next.Snapshot()
		s.State = state
		next = credential.RestoreOTPCard(s)
		stranger := lockoutCard(credential.StateArchived, nil)
		if card.DropSuccessor(stranger) {
			t.Errorf("%s: dropped the link for a card that is not the successor", state)
		}
		if got := card.DropSuccessor(next); got != dropped || (card.Successor() == "") != dropped {
			t.Errorf("%s successor: dropped %v, link %q; want dropped %v", state, got, card.Successor(), dropped)
		}
	}
}
