package credential

import "time"

// HasChallenge reports whether a challenge is outstanding.
func (c *OTPCard) HasChallenge() bool { return len(c.s.Challenge) > 0 }

// Usable tells, without changing the card, whether it could answer a challenge at time now:
// nil, or ErrLocked, or ErrNotUsable (a temporary lock whose time is up counts as ended).
func (c *OTPCard) Usable(now time.Time) error {
	probe := OTPCard{s: c.s}
	return probe.checkUsable(now)
}

// LockedUntil is when a temporary lock ends; zero unless the card is tmp-locked.
func (c *OTPCard) LockedUntil() time.Time {
	if c.s.State != StateTmpLocked {
		return time.Time{}
	}
	return c.s.LockedUntil
}

// EndExpiredLock ends a temporary lock whose time is up, as the next challenge or login would;
// reads use it to show a card as it stands now (IsExpired included). It reports whether the lock
// ended.
func (c *OTPCard) EndExpiredLock(now time.Time) bool {
	c.seen = Later(now, c.seen)
	return c.expireLock(now)
}
