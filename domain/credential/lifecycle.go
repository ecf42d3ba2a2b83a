package credential

import (
	"fmt"
	"time"
)

// transition is one allowed admin state change.
type transition struct {
	from, to State
	reason   string
}

// adminTransitions is the transition table of API.md section 4 (PATCH). Any state except
// archived may also go to archived.
var adminTransitions = []transition{
	{StateInitial, StateDisabled, ReasonChangedByAdmin},
	{StateActive, StateDisabled, ReasonChangedByAdmin},
	{StateTmpLocked, StateDisabled, ReasonChangedByAdmin},
	{StateFailLocked, StateDisabled, ReasonChangedByAdmin},
	{StateDisabled, StateActive, ReasonEnabledByAdmin},
	{StateTmpLocked, StateActive, ReasonUnlock},
	{StateFailLocked, StateActive, ReasonUnlock},
}

// ChangeState applies an admin state change from the transition table at time now. Unlocking
// resets the failure count. It returns ErrArchived for an archived card and
// ErrForbiddenTransition for a change outside the table; nothing changes then.
//
// The table is read against the stored state, even when a temporary lock has already run out:
// an admin who sees tmp-locked and unlocks must get the unlock (and the failure count reset),
// not a 422 because the lock lapsed a moment earlier. Every transition from the state a lapsed
// lock would resume to is also allowed from tmp-locked, so nothing else changes.
func (c *OTPCard) ChangeState(to State, comment string, now time.Time) error {
	if c.s.State == StateArchived {
		return fmt.Errorf("change state of %s: %w", c.s.ExtID, ErrArchived)
	}
	if err := ValidateComment(comment); err != nil {
		return err
	}
	reason := ""
	if to == StateArchived {
		reason = ReasonArchivedByAdmin
	}
	for _, t := range adminTransitions {
		if t.from == c.s.State && t.to == to {
			reason = t.reason
		}
	}
	if reason == "" {
		return fmt.Errorf("%w: %s -> %s", ErrForbiddenTransition, c.s.State, to)
	}
	if reason == ReasonUnlock {
		c.s.FailedLoginCount = 0
	}
	c.s.State, c.s.StateChangeReason, c.s.StateChangeDetail = to, reason, ""
	c.s.LockedUntil, c.s.ResumeState = time.Time{}, ""
	c.s.Challenge = nil
	c.s.ModificationComment = comment
	c.touch(now)
	return nil
}

// touch records a change at time now. lastModified never goes backwards: a change that read the
// clock before it waited for the card's lock, or on an instance whose clock lags, still comes
// after the change before it, so the card's events keep their order in time (API.md section 7).
func (c *OTPCard) touch(now time.Time) {
	c.seen = Later(now, c.seen)
	c.s.LastModified = Later(now, c.s.LastModified)
	c.s.Version++
}

// Later returns the later of two instants.
func Later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// expireLock ends a temporary lock whose time is up; it reports whether it did. The failure
// count stays (API.md section 6).
func (c *OTPCard) expireLock(now time.Time) bool {
	if c.s.State != StateTmpLocked || now.Before(c.s.LockedUntil) {
		return false
	}
	resume := c.s.ResumeState
	if resume == "" {
		resume = StateActive
	}
	c.s.State, c.s.StateChangeReason = resume, ReasonLockExpired
	c.s.LockedUntil, c.s.ResumeState = time.Time{}, ""
	return true
}
