package credential

import (
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
)

// LockedError says a card is locked, and until when a temporary lock lasts.
type LockedError struct {
	State State
	// Until is when a temporary lock ends; zero for fail-locked cards, which stay locked until an
	// admin unlocks them.
	Until time.Time
}

func (e *LockedError) Error() string {
	if e.Until.IsZero() {
		return fmt.Sprintf("the credential is %s", e.State)
	}
	return fmt.Sprintf("the credential is %s until %s", e.State, e.Until.UTC().Format(time.RFC3339))
}

// Detail is the error's text.
func (e *LockedError) Detail() string { return e.Error() }

// EndsAt is when a temporary lock ends; zero for a fail-lock.
func (e *LockedError) EndsAt() time.Time { return e.Until }

// Unwrap makes errors.Is(err, ErrLocked) hold.
func (e *LockedError) Unwrap() error { return ErrLocked }

// Login status codes of nevisIDM's auth v1 API.
const (
	StatusFailed        = 2
	StatusFailedLastTry = 3
	StatusFailLocked    = 4
	StatusLoginOK       = 5
	StatusTmpLocked     = 9
)

// Lockout is what locking needs from the card's policy, as the policy is now.
type Lockout struct {
	MaxFailures  int
	TmpThreshold int // -1: off
	TmpDuration  time.Duration
	Mode         LockingMode
}

// Lockout returns the locking rules of the parameters.
func (p Parameters) Lockout() Lockout {
	return Lockout{MaxFailures: p.MaxCredFailureCount, TmpThreshold: p.TmpLockingThreshold,
		TmpDuration: p.TmpLockingDuration, Mode: p.TmpLockingMode}
}

// locksAt reports whether the failures-th consecutive failure locks the card temporarily.
func (l Lockout) locksAt(failures int) bool {
	if l.TmpThreshold <= 0 || failures < l.TmpThreshold {
		return false
	}
	if l.Mode == LockingThreshold {
		return failures%l.TmpThreshold == 0
	}
	return true // strict: at the threshold and at every failure after a lock has ended
}

// checkUsable applies an expired lock and returns ErrLocked or ErrNotUsable when the card cannot
// be used at time now. Locks win over everything else.
func (c *OTPCard) checkUsable(now time.Time) error {
	c.seen = Later(now, c.seen)
	c.expireLock(now)
	switch c.s.State {
	case StateTmpLocked:
		return &LockedError{State: c.s.State, Until: c.s.LockedUntil}
	case StateFailLocked:
		return &LockedError{State: c.s.State}
	case StateInitial, StateActive:
	default:
		return fmt.Errorf("%w: the card is %s", ErrNotUsable, c.s.State)
	}
	if now.Before(c.s.ValidFrom) || !now.Before(c.s.ValidTo) {
		return fmt.Errorf("%w: the card is outside its validity", ErrNotUsable)
	}
	return nil
}

// Challenge is a cell the user is asked for.
type Challenge struct {
	// Label names the cell; empty when no cell is left to ask.
	Label string
	// New tells whether this call issued it (and so changed the card).
	New bool
}

// IssueChallenge returns the outstanding challenge, or draws a new one: a random cell never used
// (cellReuse false) or a random cell among the least used (cellReuse true). draw(n) must return
// a uniformly random integer in [0, n). A new challenge changes the card.
func (c *OTPCard) IssueChallenge(now time.Time, cellReuse bool, draw func(n int) (int, error)) (Challenge, error) {
	if err := c.checkUsable(now); err != nil {
		return Challenge{}, err
	}
	layout := c.s.Grid.Layout()
	if c.s.Challenge != NoChallenge {
		return Challenge{Label: layout.Label(c.s.Challenge)}, nil
	}
	candidates := c.s.Grid.candidates(cellReuse)
	if len(candidates) == 0 {
		return Challenge{}, nil
	}
	i, err := draw(len(candidates))
	if err != nil {
		return Challenge{}, fmt.Errorf("draw a challenge: %w", err)
	}
	if i < 0 || i >= len(candidates) {
		return Challenge{}, fmt.Errorf("draw a challenge: %d out of range", i)
	}
	c.s.Challenge = candidates[i]
	c.touch(now)
	return Challenge{Label: layout.Label(c.s.Challenge), New: true}, nil
}

// LoginResult is the outcome of one login attempt.
type LoginResult struct {
	StatusCode int
	// Locked tells whether this attempt locked the card (tmp-locked or fail-locked).
	Locked bool
}

// Succeeded reports a correct answer.
func (r LoginResult) Succeeded() bool { return r.StatusCode == StatusLoginOK }

// Login answers the outstanding challenge. label is the challenge the caller answers; verify
// reports in constant time whether answer, in the card's canonical form, is the value of cell i.
// Success or failure, the challenge is consumed and the card changes. It returns ErrLocked,
// ErrNotUsable or ErrNoChallenge without changing the card (except for ending an expired lock).
func (c *OTPCard) Login(label, answer string, verify func(i int, canonical string) bool, lock Lockout,
	updateLoginInfo bool, now time.Time) (LoginResult, error) {
	if err := c.checkUsable(now); err != nil {
		return LoginResult{}, err
	}
	if c.s.Challenge == NoChallenge {
		return LoginResult{}, ErrNoChallenge
	}
	layout := c.s.Grid.Layout()
	index := c.s.Challenge
	c.s.Challenge = NoChallenge
	canonical := layout.Charset.Normalize(answer)
	// The cell is always verified, so a wrong label costs the same time as a wrong answer.
	cellOK := verify(index, canonical)
	labelOK := subtle.ConstantTimeCompare([]byte(strings.ToUpper(strings.TrimSpace(label))),
		[]byte(strings.ToUpper(layout.Label(index)))) == 1
	defer c.touch(now)
	if cellOK && labelOK {
		c.s.Grid.uses[index]++
		c.s.FailedLoginCount = 0
		if c.s.State == StateInitial {
			c.s.State, c.s.StateChangeReason, c.s.StateChangeDetail = StateActive, ReasonActivated, ""
		}
		if updateLoginInfo {
			c.s.SuccessfulLoginCount++
			c.s.LastSuccessfulLogin = now
		}
		return LoginResult{StatusCode: StatusLoginOK}, nil
	}
	c.s.FailedLoginCount++
	c.s.LastFailedLogin = now
	failures := int(c.s.FailedLoginCount)
	switch {
	case failures >= lock.MaxFailures:
		c.s.State, c.s.StateChangeReason, c.s.StateChangeDetail = StateFailLocked, ReasonTooManyFailures, ""
		c.s.ResumeState = ""
		return LoginResult{StatusCode: StatusFailLocked, Locked: true}, nil
	case lock.locksAt(failures):
		c.s.ResumeState = c.s.State
		c.s.State, c.s.StateChangeReason, c.s.StateChangeDetail = StateTmpLocked, ReasonTemporarilyLocked, ""
		c.s.LockedUntil = now.Add(lock.TmpDuration)
		return LoginResult{StatusCode: StatusTmpLocked, Locked: true}, nil
	case failures+1 >= lock.MaxFailures || lock.locksAt(failures+1):
		return LoginResult{StatusCode: StatusFailedLastTry}, nil
	}
	return LoginResult{StatusCode: StatusFailed}, nil
}

// candidates lists the cells a challenge may ask: never used ones, or with reuse the least used.
func (g Grid) candidates(reuse bool) []int {
	least := 0
	if reuse {
		least = -1
		for _, u := range g.uses {
			if least < 0 || u < least {
				least = u
			}
		}
	}
	var out []int
	for i, u := range g.uses {
		if u == least {
			out = append(out, i)
		}
	}
	return out
}
