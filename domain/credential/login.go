package credential

import (
	"crypto/subtle"
	"fmt"
	"slices"
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

// Challenge is what the user is asked for: one cell, or several (API.md section 6).
type Challenge struct {
	// Label names the cells asked, separated by one space; empty when no cells are left to ask.
	Label string
	// New tells whether this call issued it (and so changed the card).
	New bool
}

// ChallengeRules are how a card's policy asks: Size distinct cells per challenge, in card order
// when Sorted, and with Reuse the least used cells rather than only cells never used.
type ChallengeRules struct {
	Size   int
	Sorted bool
	Reuse  bool
}

// ChallengeRules returns how the parameters ask.
func (p Parameters) ChallengeRules() ChallengeRules {
	return ChallengeRules{Size: p.ChallengeSize, Sorted: p.SortChallenge, Reuse: p.CellReuse}
}

// IssueChallenge returns the outstanding challenge, or draws a new one of rules.Size distinct
// cells: at random among the cells never used (Reuse false; with fewer left than Size, no
// challenge), or among the least used ones (Reuse true), listed in card order when Sorted and
// else in the order drawn. draw(n) must return a uniformly random integer in [0, n). A new
// challenge changes the card.
func (c *OTPCard) IssueChallenge(now time.Time, rules ChallengeRules, draw func(n int) (int, error)) (Challenge, error) {
	if err := c.checkUsable(now); err != nil {
		return Challenge{}, err
	}
	if c.HasChallenge() {
		return Challenge{Label: c.challengeLabel()}, nil
	}
	size := max(rules.Size, 1)
	must, pool := c.s.Grid.candidates(rules.Reuse, size)
	if len(must)+len(pool) < size {
		return Challenge{}, nil
	}
	// The cells that must be asked (used less than the rest), then a random few of the others,
	// each list drawn from at random; the order drawn is the order asked unless Sorted.
	asked := make([]int, 0, size)
	for len(asked) < size {
		from := &pool
		if len(must) > 0 {
			from = &must
		}
		i, err := draw(len(*from))
		if err != nil {
			return Challenge{}, fmt.Errorf("draw a challenge: %w", err)
		}
		if i < 0 || i >= len(*from) {
			return Challenge{}, fmt.Errorf("draw a challenge: %d out of range", i)
		}
		asked = append(asked, (*from)[i])
		*from = slices.Delete(*from, i, i+1)
	}
	if rules.Sorted {
		slices.Sort(asked)
	} else if err := shuffle(asked, draw); err != nil {
		return Challenge{}, err
	}
	c.s.Challenge = asked
	c.touch(now)
	return Challenge{Label: c.challengeLabel(), New: true}, nil
}

// challengeLabel names the outstanding challenge's cells, separated by one space.
func (c *OTPCard) challengeLabel() string {
	layout := c.s.Grid.Layout()
	labels := make([]string, len(c.s.Challenge))
	for i, cell := range c.s.Challenge {
		labels[i] = layout.Label(cell)
	}
	return strings.Join(labels, " ")
}

// LoginResult is the outcome of one login attempt.
type LoginResult struct {
	StatusCode int
	// Locked tells whether this attempt locked the card (tmp-locked or fail-locked).
	Locked bool
	// TakesOver tells that this was the first successful login of a renewal successor: its
	// predecessor retires (RetireFor).
	TakesOver bool
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
	if !c.HasChallenge() {
		return LoginResult{}, ErrNoChallenge
	}
	layout := c.s.Grid.Layout()
	asked, want := c.s.Challenge, c.challengeLabel()
	c.s.Challenge = nil
	// Every asked cell is verified, whatever the label and the length of the answer, so that a
	// wrong label or a short answer costs the same time as a wrong one.
	// One cell is read as typed, surrounding space aside; the cells of a multi-cell challenge are
	// typed one after the other, and spaces between them are ignored (API.md section 6).
	if len(asked) > 1 {
		answer = strings.Join(strings.Fields(answer), "")
	}
	values := splitAnswer(layout.Charset.Normalize(answer), len(asked), layout.CellLength)
	cellsOK := values != nil
	for k, index := range asked {
		value := strings.Repeat("\x00", layout.CellLength)
		if values != nil {
			value = values[k]
		}
		if !verify(index, value) {
			cellsOK = false
		}
	}
	labelOK := subtle.ConstantTimeCompare([]byte(strings.ToUpper(strings.Join(strings.Fields(label), " "))),
		[]byte(strings.ToUpper(want))) == 1
	defer c.touch(now)
	if cellsOK && labelOK {
		takesOver := c.s.PredecessorExtID != "" && c.NeverUsed()
		for _, index := range asked {
			c.s.Grid.uses[index]++
		}
		c.s.FailedLoginCount = 0
		if c.s.State == StateInitial {
			c.s.State, c.s.StateChangeReason, c.s.StateChangeDetail = StateActive, ReasonActivated, ""
		}
		if updateLoginInfo {
			c.s.SuccessfulLoginCount++
			c.s.LastSuccessfulLogin = now
		}
		return LoginResult{StatusCode: StatusLoginOK, TakesOver: takesOver}, nil
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

// splitAnswer cuts an answer in canonical form into n cells of length characters each; nil when
// it is not that long.
func splitAnswer(answer string, n, length int) []string {
	if len(answer) != n*length {
		return nil
	}
	values := make([]string, n)
	for k := range values {
		values[k] = answer[k*length : (k+1)*length]
	}
	return values
}

// candidates lists the cells a challenge of size cells may ask: those never used (must is empty);
// or with reuse the least used ones: must are the cells used less than the size-th least used
// cell (fewer than size, all of them asked), pool the cells used exactly as often (the rest is
// drawn from them).
func (g Grid) candidates(reuse bool, size int) (must, pool []int) {
	least := 0
	switch {
	case reuse && size <= 1: // the hot path of the one-cell challenge: no sort
		least = slices.Min(g.uses)
	case reuse:
		uses := slices.Sorted(slices.Values(g.uses))
		least = uses[min(size, len(uses))-1]
	}
	for i, u := range g.uses {
		switch {
		case u < least:
			must = append(must, i)
		case u == least:
			pool = append(pool, i)
		}
	}
	return must, pool
}

// shuffle puts cells in a uniformly random order (Fisher-Yates) with draw.
func shuffle(cells []int, draw func(n int) (int, error)) error {
	for i := len(cells) - 1; i > 0; i-- {
		j, err := draw(i + 1)
		if err != nil {
			return fmt.Errorf("draw a challenge: %w", err)
		}
		if j < 0 || j > i {
			return fmt.Errorf("draw a challenge: %d out of range", j)
		}
		cells[i], cells[j] = cells[j], cells[i]
	}
	return nil
}
