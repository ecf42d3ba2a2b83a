package credential

import (
	"fmt"

	"github.com/otpcard/otpcard/domain/fault"
)

// The errors of the credential module, matched with errors.Is; each is of a fault kind with its
// nevisIDM code. Missing entities, stale versions, taken extIds and malformed values are the
// shared fault.ErrNotFound, fault.ErrVersionConflict, fault.ErrDuplicate and fault.ErrInvalid.
var (
	// ErrArchived: the credential is archived and can no longer be written.
	ErrArchived = fault.New(fault.Refused, "errors.modifyReadonlyData", "credential is archived")
	// ErrForbiddenTransition: the requested state change is not in the transition table.
	ErrForbiddenTransition = fault.New(fault.Refused, "errors.modifyReadonlyData", "forbidden state transition")
	// ErrUnknownState: a state name outside the eight states.
	ErrUnknownState = fault.New(fault.Refused, "errors.missingReferenceData", "unknown state name")
	// ErrUnknownPolicy: the policy does not exist in the client or is not an OTP card policy.
	ErrUnknownPolicy = fault.New(fault.Refused, "errors.missingReferenceData", "unknown policy")
	// ErrPolicyViolation: policy parameters are invalid or too weak.
	ErrPolicyViolation = fault.New(fault.Refused, "errors.policyViolation", "policy violation")
	// ErrTooManyCards: the user already holds the maximum number of OTP cards that are not archived.
	ErrTooManyCards = fault.New(fault.Refused, "errors.tooManyOTPCards", "too many OTP cards")
	// ErrInUse: the policy is still used by cards, or is the client's default, and cannot be deleted.
	ErrInUse = fault.New(fault.Refused, "errors.undeletedDependencies", "still in use")
	// ErrDefaultRequired: the change would leave the client without a default policy.
	ErrDefaultRequired = fault.New(fault.Refused, "errors.modifyReadonlyData", "a client keeps exactly one default policy")
	// ErrNoChallenge: a login without an outstanding challenge.
	ErrNoChallenge = fault.New(fault.Refused, "errors.noChallenge", "no outstanding challenge")
	// ErrNotUsable: the card is disabled, archived or outside its validity.
	ErrNotUsable = fault.New(fault.Forbidden, "errors.credentialNotUsable", "credential not usable")
	// ErrLocked: the card is tmp-locked or fail-locked.
	ErrLocked = fault.New(fault.Locked, "errors.credentialLocked", "credential locked")
)

// PolicyViolationError names the parameter that breaks a rule.
type PolicyViolationError struct {
	Parameter, Reason string
}

func (e *PolicyViolationError) Error() string {
	return fmt.Sprintf("policy parameter %s: %s", e.Parameter, e.Reason)
}

// Detail is the error's text.
func (e *PolicyViolationError) Detail() string { return e.Error() }

// Unwrap makes errors.Is(err, ErrPolicyViolation) hold.
func (e *PolicyViolationError) Unwrap() error { return ErrPolicyViolation }
