package credential

import (
	"errors"
	"time"

	"github.com/otpcard/otpcard/domain/event"
)

// Upkeep is what the lifecycle job does to a card on its own (API.md sections 10.2-10.4): it
// announces the card's expiry, retires a renewed card once its fallback period is over, and
// tells which cards its policy wants renewed. Each rule is idempotent: applied twice, or by two
// instances one after the other under the card's lock, it acts once.

// Announce returns the expiry news of the card that was not recorded yet, and marks it recorded:
// CardCloseToExpiration once now is within threshold of validity.to, CardExpired once validity.to
// has passed (API.md section 10.2). A card that expired before its closeness was announced gets
// only CardExpired (the closeness is stale news by then); an archived card, out of service for
// good, gets none. Announcing is not a change of the card: its version stays.
func (c *OTPCard) Announce(now time.Time, threshold time.Duration) []event.Type {
	c.seen = Later(now, c.seen)
	if c.s.State == StateArchived {
		return nil
	}
	switch {
	case c.Expired(now):
		if c.s.ExpiryAnnounced {
			return nil
		}
		c.s.CloseToExpiryAnnounced, c.s.ExpiryAnnounced = true, true
		return []event.Type{CardExpired}
	case c.s.CloseToExpiryAnnounced || threshold <= 0 || now.Before(c.s.ValidTo.Add(-threshold)):
		return nil
	}
	c.s.CloseToExpiryAnnounced = true
	return []event.Type{CardCloseToExpiration}
}

// Announced reports whether the card's closeness to expiry and its expiry were recorded.
func (c *OTPCard) Announced() (closeToExpiry, expiry bool) {
	return c.s.CloseToExpiryAnnounced, c.s.ExpiryAnnounced
}

// RetireAfterFallback retires the card once period has passed since it was renewed (API.md
// section 10.3), used or not, but only while successor, the card that renewed it, is still in
// service (see InService): archived, reason renewal. It reports whether the card changed; a card
// that successor did not renew, or that is archived already, stays as it is.
func (c *OTPCard) RetireAfterFallback(successor *OTPCard, period time.Duration, now time.Time) bool {
	switch {
	case successor == nil || c.s.SuccessorExtID == "" || c.s.SuccessorExtID != successor.s.ExtID:
		return false
	case c.s.State == StateArchived || now.Before(c.s.RenewedAt.Add(period)) || !successor.InService(now):
		return false
	}
	c.retire()
	c.touch(now)
	return true
}

// InService reports whether the card can take over from the card it renewed: it could answer a
// challenge at time now, or will when its temporary lock ends. A disabled, archived,
// fail-locked or expired card cannot.
func (c *OTPCard) InService(now time.Time) bool {
	err := c.Usable(now)
	var locked *LockedError
	return err == nil || (errors.As(err, &locked) && locked.State == StateTmpLocked)
}

// DueForRenewal reports whether its policy p wants the lifecycle job to renew the card by itself
// at time now (API.md section 10.4): an initial or active card without a successor that has at
// most p.LowOnChallenges cells left when p.RenewWhenLow, or is within p.CloseToExpiry of
// validity.to (or past it) when p.RenewWhenCloseToExpiry. Whether its holder may receive a card
// and holds fewer than two is the job's to check.
func (c *OTPCard) DueForRenewal(p Parameters, now time.Time) bool {
	if !c.Renewable() {
		return false
	}
	return (p.RenewWhenLow && c.LowOnChallenges(p)) || (p.RenewWhenCloseToExpiry && c.CloseToExpiry(p, now))
}

// Renewable reports whether the card may get a successor: it is initial or active and has none.
func (c *OTPCard) Renewable() bool {
	return (c.s.State == StateInitial || c.s.State == StateActive) && c.s.SuccessorExtID == ""
}

// LowOnChallenges reports whether the card has at most its policy's lowOnChallengesThreshold
// cells left.
func (c *OTPCard) LowOnChallenges(p Parameters) bool {
	return c.RemainingChallenges() <= p.LowOnChallenges
}

// CloseToExpiry reports whether the card is within its policy's closeToExpirationThreshold of
// validity.to at now, or past it.
func (c *OTPCard) CloseToExpiry(p Parameters, now time.Time) bool {
	return !now.Before(c.s.ValidTo.Add(-p.CloseToExpiry))
}

// UpkeepDue bounds the cards of a policy with parameters p that the lifecycle job may have
// something to do for at now, so that a store can find them by index: cards whose validity ends
// at or before closeBefore (closeness or expiry to announce) and cards renewed at or before
// renewedBefore (fallback period over). The rules above decide; these bounds only narrow.
func (p Parameters) UpkeepDue(now time.Time) (closeBefore, renewedBefore time.Time) {
	return now.Add(max(p.CloseToExpiry, 0)), now.Add(-p.FallbackPeriod)
}
