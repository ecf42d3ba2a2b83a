package credential

import (
	"errors"
	"fmt"
	"time"
)

// Renewal is a card issued to follow another one, gently (API.md section 10.3): the successor
// is a new credential; the predecessor stays usable until the successor's first successful
// login, at once retired when the policy allows no fallback, or retired by the lifecycle job
// once the fallback period has passed.

// Renew issues the successor of the card: a new card under the same policy, state initial,
// valid from now for lifetime, linked both ways; the card records the renewal (one new version)
// and, when fallback is false, retires at once. Only an initial or active card without a
// successor renews: an archived card gives ErrArchived, any other state or a card that already
// has its successor ErrForbiddenTransition. n names the successor (extId, serial; empty: drawn)
// and carries its modificationComment as Comment.
func (c *OTPCard) Renew(n NewCard, grid Grid, comment string, fallback bool, now time.Time) (*OTPCard, error) {
	if c.s.State == StateArchived {
		return nil, fmt.Errorf("renew %s: %w", c.s.ExtID, ErrArchived)
	}
	if err := ValidateComment(comment); err != nil {
		return nil, err
	}
	c.expireLock(now)
	switch {
	case c.s.State != StateInitial && c.s.State != StateActive:
		return nil, fmt.Errorf("%w: a %s card is an admin's matter; only initial and active cards renew",
			ErrForbiddenTransition, c.s.State)
	case c.s.SuccessorExtID != "":
		return nil, fmt.Errorf("%w: the card was renewed already, by %s", ErrForbiddenTransition, c.s.SuccessorExtID)
	}
	n.ClientExtID, n.UserExtID, n.PolicyExtID, n.State = c.s.ClientExtID, c.s.UserExtID, c.s.PolicyExtID, StateInitial
	successor, err := NewOTPCard(n, grid, now)
	if err != nil {
		return nil, err
	}
	successor.s.PredecessorExtID = c.s.ExtID
	successor.s.ModificationComment = comment
	c.s.SuccessorExtID, c.s.RenewedAt = successor.s.ExtID, now
	if !fallback {
		c.retire()
	}
	c.touch(now)
	return successor, nil
}

// DropSuccessor forgets a successor that is out of service (archived or disabled: API.md
// section 10.3, "a successor that was archived, disabled or deleted drops the link"), so that the
// card can be renewed again; it reports whether it did. The change is saved with the renewal
// that follows it.
func (c *OTPCard) DropSuccessor(successor *OTPCard) bool {
	if c.s.SuccessorExtID == "" || successor.s.ExtID != c.s.SuccessorExtID {
		return false
	}
	if successor.s.State != StateArchived && successor.s.State != StateDisabled {
		return false
	}
	c.s.SuccessorExtID, c.s.RenewedAt = "", time.Time{}
	return true
}

// Successor names the card that renewed this one; empty when none did.
func (c *OTPCard) Successor() string { return c.s.SuccessorExtID }

// Predecessor names the card this one renewed; empty when it renewed none.
func (c *OTPCard) Predecessor() string { return c.s.PredecessorExtID }

// NeverUsed reports whether no cell of the card was ever answered right.
func (c *OTPCard) NeverUsed() bool { return c.s.Grid.Unused() == c.s.Grid.Layout().Cells() }

// RetireFor retires the card because its successor took over (the successor's first successful
// login): archived, reason renewal. It reports whether the card changed: a card that successor
// did not renew, or that is archived already, stays as it is.
func (c *OTPCard) RetireFor(successor *OTPCard, now time.Time) bool {
	if c.s.SuccessorExtID == "" || c.s.SuccessorExtID != successor.s.ExtID || c.s.State == StateArchived {
		return false
	}
	c.retire()
	c.touch(now)
	return true
}

// retire archives the card for its renewal.
func (c *OTPCard) retire() {
	c.s.State, c.s.StateChangeReason, c.s.StateChangeDetail = StateArchived, ReasonRenewal, ""
	c.s.LockedUntil, c.s.ResumeState = time.Time{}, ""
	c.s.Challenge = nil
}

// CanAsk reports whether the card has cells left for a challenge of rules.
func (c *OTPCard) CanAsk(rules ChallengeRules) bool {
	must, pool := c.s.Grid.candidates(rules.Reuse, max(rules.Size, 1))
	return len(must)+len(pool) >= max(rules.Size, 1)
}

// PickCard chooses which of a user's cards (newest first, each with the rules of its policy) a
// challenge or a login uses (API.md section 6), and returns its index, or -1 when the user has
// none:
//   - with wantChallenge, the card whose outstanding challenge was asked last;
//   - else the newest usable card, as in nevisIDM; but a renewal successor never used yields to
//     its predecessor while the predecessor is usable and has cells left to ask (the user may not
//     have the new card in hand yet);
//   - with no usable card, the newest locked one (so that the caller hears it is locked), else the
//     newest card that is not archived, else the newest.
func PickCard(cards []*OTPCard, rules []ChallengeRules, wantChallenge bool, now time.Time) int {
	if len(cards) == 0 {
		return -1
	}
	if wantChallenge {
		asked := -1
		for i, c := range cards {
			if c.HasChallenge() && (asked < 0 || c.s.LastModified.After(cards[asked].s.LastModified)) {
				asked = i
			}
		}
		if asked >= 0 {
			return asked
		}
	}
	locked, alive := -1, -1
	for i, c := range cards {
		err := c.Usable(now)
		if err == nil {
			return yieldToPredecessor(cards, rules, i, now)
		}
		if locked < 0 && errors.Is(err, ErrLocked) {
			locked = i
		}
		if alive < 0 && c.s.State != StateArchived {
			alive = i
		}
	}
	switch {
	case locked >= 0:
		return locked
	case alive >= 0:
		return alive
	}
	return 0
}

// yieldToPredecessor returns the index of the predecessor of card i when card i is a successor
// never used and the predecessor is usable with cells left to ask; else i.
func yieldToPredecessor(cards []*OTPCard, rules []ChallengeRules, i int, now time.Time) int {
	c := cards[i]
	if c.s.PredecessorExtID == "" || !c.NeverUsed() {
		return i
	}
	for j, p := range cards {
		if p.s.ExtID == c.s.PredecessorExtID && p.Usable(now) == nil && p.CanAsk(rules[j]) {
			return j
		}
	}
	return i
}
