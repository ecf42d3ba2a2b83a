package credential

import (
	"errors"
	"fmt"
)

// Sentinel errors of the credential domain, matched with errors.Is.
var (
	// ErrNotFound: the credential (or its client, user or policy) does not exist under that path.
	ErrNotFound = errors.New("not found")
	// ErrVersionConflict: the caller's version is stale, or the stored version moved meanwhile.
	ErrVersionConflict = errors.New("version conflict")
	// ErrDuplicate: an entity with that extId already exists.
	ErrDuplicate = errors.New("duplicate value")
	// ErrArchived: the credential is archived and can no longer be written.
	ErrArchived = errors.New("credential is archived")
	// ErrForbiddenTransition: the requested state change is not in the transition table.
	ErrForbiddenTransition = errors.New("forbidden state transition")
	// ErrUnknownState: a state name outside the eight states.
	ErrUnknownState = errors.New("unknown state name")
	// ErrUnknownPolicy: the policy does not exist in the client or is not an OTP card policy.
	ErrUnknownPolicy = errors.New("unknown policy")
	// ErrPolicyViolation: policy parameters are invalid or too weak.
	ErrPolicyViolation = errors.New("policy violation")
	// ErrTooManyCards: the user already holds the maximum number of OTP cards that are not archived.
	ErrTooManyCards = errors.New("too many OTP cards")
	// ErrInvalid: a malformed value, such as an extId or an otp string.
	ErrInvalid = errors.New("invalid value")
	// ErrInUse: the policy is still used by cards and cannot be deleted.
	ErrInUse = errors.New("still in use")
)

// VersionConflictError says which version the caller gave and which one is stored.
type VersionConflictError struct {
	Given, Current int32
	// Entity names what is versioned; empty means "credential".
	Entity string
}

func (e *VersionConflictError) Error() string {
	entity := e.Entity
	if entity == "" {
		entity = "credential"
	}
	return fmt.Sprintf("version %d is stale; the %s is at version %d", e.Given, entity, e.Current)
}

// Unwrap makes errors.Is(err, ErrVersionConflict) hold.
func (e *VersionConflictError) Unwrap() error { return ErrVersionConflict }

// NotFoundError names what is missing.
type NotFoundError struct {
	Kind, ExtID string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s %q not found", e.Kind, e.ExtID)
}

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// PolicyViolationError names the parameter that breaks a rule.
type PolicyViolationError struct {
	Parameter, Reason string
}

func (e *PolicyViolationError) Error() string {
	return fmt.Sprintf("policy parameter %s: %s", e.Parameter, e.Reason)
}

// Unwrap makes errors.Is(err, ErrPolicyViolation) hold.
func (e *PolicyViolationError) Unwrap() error { return ErrPolicyViolation }
