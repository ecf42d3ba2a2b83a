// Package credential holds the OTP card aggregate and its rules: states, the card grid and its
// codec, and the parameters of OTP card policies.
package credential

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
)

// Type is the credential type nevisIDM reports for OTP cards.
const Type = "OTP Card"

// MaxCommentLength bounds modificationComment.
const MaxCommentLength = 1024

// Snapshot is the full state of an OTP card, as stored and as presented. Adapters read it to
// save and render a card and pass it to RestoreOTPCard; only the aggregate's methods change it.
type Snapshot struct {
	ExtID, ClientExtID, UserExtID, PolicyExtID string
	// Serial is the number printed on the card (API.md section 10.1).
	Serial                               Serial
	State                                State
	StateChangeReason, StateChangeDetail string
	ValidFrom, ValidTo                   time.Time
	// LastSuccessfulLogin and LastFailedLogin are zero when there was none.
	LastSuccessfulLogin, LastFailedLogin   time.Time
	SuccessfulLoginCount, FailedLoginCount int32
	ModificationComment                    string
	Created, LastModified                  time.Time
	Version                                int32
	Grid                                   Grid
	// Challenge holds the cell indexes of the outstanding challenge in the order asked; nil when
	// none is outstanding.
	Challenge []int
	// LockedUntil is when a temporary lock ends; zero unless tmp-locked.
	LockedUntil time.Time
	// ResumeState is the state a tmp-locked card returns to when its lock ends.
	ResumeState State
	// PredecessorExtID and SuccessorExtID link a renewed card and the card that renewed it (API.md
	// section 10.3); RenewedAt is when the card got its successor. Empty and zero otherwise.
	PredecessorExtID, SuccessorExtID string
	RenewedAt                        time.Time
	// CloseToExpiryAnnounced and ExpiryAnnounced tell that the lifecycle job recorded the card's
	// otp-card.close-to-expiration and otp-card.expired (API.md section 10.2); a replace that
	// restarts the validity clears both.
	CloseToExpiryAnnounced, ExpiryAnnounced bool
}

// OTPCard is the OTP card credential aggregate.
type OTPCard struct {
	s Snapshot
	// seen is the last moment a method that takes the time looked at the card (a read, a
	// challenge, a login, a change): IsExpired tells the card's validity as of then.
	seen time.Time
}

// NewCard carries what a new card is made of.
type NewCard struct {
	ExtID, ClientExtID, UserExtID, PolicyExtID string
	// Serial is drawn when empty.
	Serial Serial
	// State is initial when empty; initial, active and disabled are allowed.
	State    State
	Lifetime time.Duration
}

// NewOTPCard validates a fresh card. An empty extId is generated.
func NewOTPCard(n NewCard, grid Grid, now time.Time) (*OTPCard, error) {
	if n.ExtID == "" {
		n.ExtID = extid.New()
	}
	if err := extid.Validate(n.ExtID); err != nil {
		return nil, fmt.Errorf("credential extId: %w", err)
	}
	if n.State == "" {
		n.State = StateInitial
	}
	if !creatableStates[n.State] {
		return nil, fmt.Errorf("%w: a new card starts initial, active or disabled, not %s",
			ErrForbiddenTransition, n.State)
	}
	if n.Lifetime <= 0 {
		return nil, fmt.Errorf("%w: credential lifetime must be positive", ErrPolicyViolation)
	}
	if n.Serial == "" {
		serial, err := NewSerial(nil)
		if err != nil {
			return nil, err
		}
		n.Serial = serial
	}
	return &OTPCard{seen: now, s: Snapshot{
		ExtID: n.ExtID, ClientExtID: n.ClientExtID, UserExtID: n.UserExtID, PolicyExtID: n.PolicyExtID,
		Serial: n.Serial, State: n.State, StateChangeReason: ReasonInitialized,
		ValidFrom: now, ValidTo: now.Add(n.Lifetime),
		Created: now, LastModified: now, Version: 1,
		Grid: grid,
	}}, nil
}

// RestoreOTPCard rebuilds a stored card; adapters only.
func RestoreOTPCard(s Snapshot) *OTPCard { return &OTPCard{s: s} }

// Snapshot returns a copy of the card's state. The secret's salt and verifiers are shared, not
// copied: they are never modified in place.
func (c *OTPCard) Snapshot() Snapshot {
	s := c.s
	s.Grid.uses = c.s.Grid.Uses()
	s.Challenge = slices.Clone(c.s.Challenge)
	return s
}

// ExtID is the card's external id.
func (c *OTPCard) ExtID() string { return c.s.ExtID }

// Version is the card's version.
func (c *OTPCard) Version() int32 { return c.s.Version }

// State is the card's state.
func (c *OTPCard) State() State { return c.s.State }

// Serial is the number printed on the card.
func (c *OTPCard) Serial() Serial { return c.s.Serial }

// PolicyExtID names the card's policy.
func (c *OTPCard) PolicyExtID() string { return c.s.PolicyExtID }

// CheckVersion returns a *fault.VersionConflictError when the caller gave a version that is not
// the card's; nil means the caller gave none (an unconditional write).
func (c *OTPCard) CheckVersion(given *int32) error {
	return fault.CheckVersion("credential", given, c.s.Version)
}

// Replace gives the card a freshly generated grid and a new serial number (so that the lost card
// can be told apart): every old cell stops verifying, an outstanding challenge is dropped and the
// use counters start again. The extId, policy, state, validity and
// login statistics stay, except that a card whose validity has already ended gets a fresh one of
// lifetime from now (a replacement that can never be used helps nobody, API.md section 4.1);
// restarted tells whether it did.
func (c *OTPCard) Replace(grid Grid, comment string, lifetime time.Duration, now time.Time) (restarted bool, err error) {
	if c.s.State == StateArchived {
		return false, fmt.Errorf("replace %s: %w", c.s.ExtID, ErrArchived)
	}
	if err := ValidateComment(comment); err != nil {
		return false, err
	}
	if c.Expired(now) {
		if lifetime <= 0 {
			return false, fmt.Errorf("%w: credential lifetime must be positive", ErrPolicyViolation)
		}
		c.s.ValidFrom, c.s.ValidTo, restarted = now, now.Add(lifetime), true
		c.s.CloseToExpiryAnnounced, c.s.ExpiryAnnounced = false, false
	}
	serial, err := NewSerial(nil)
	if err != nil {
		return false, err
	}
	c.s.Serial = serial
	c.s.Grid = grid
	c.s.Challenge = nil
	c.s.ModificationComment = comment
	c.touch(now)
	return restarted, nil
}

// Expired reports whether the card's validity has ended at time now.
func (c *OTPCard) Expired(now time.Time) bool { return !now.Before(c.s.ValidTo) }

// IsExpired reports whether the card's validity had ended when it was last looked at (its read,
// challenge, login or change; API.md section 10.2: reads say so, the state is kept).
func (c *OTPCard) IsExpired() bool { return !c.seen.IsZero() && c.Expired(c.seen) }

// RemainingChallenges counts the cells never used successfully.
func (c *OTPCard) RemainingChallenges() int { return c.s.Grid.Unused() }

// OTP renders the otp member, with the cells in clear when clear is the card's fresh cells.
func (c *OTPCard) OTP(clear []string) string {
	o := c.s.Grid.OTP(clear)
	o.Challenge = c.challengeLabel()
	return o.String()
}

// ValidateComment checks a modificationComment: at most MaxCommentLength characters.
func ValidateComment(comment string) error {
	if utf8.RuneCountInString(comment) > MaxCommentLength {
		return fmt.Errorf("%w: modificationComment is longer than %d characters", fault.ErrInvalid, MaxCommentLength)
	}
	return nil
}
