package directory

import (
	"errors"
	"fmt"
)

// Sentinel errors of the directory, matched with errors.Is.
var (
	// ErrNotFound: the client or user does not exist (under that path).
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: the extId, client name or loginId is taken.
	ErrDuplicate = errors.New("duplicate value")
	// ErrInvalid: a field breaks its rule.
	ErrInvalid = errors.New("invalid value")
	// ErrVersionConflict: the caller's version is stale.
	ErrVersionConflict = errors.New("version conflict")
	// ErrHasDependents: the client still has users and cannot be deleted.
	ErrHasDependents = errors.New("still has dependents")
)

// InvalidFieldError names the field that breaks its rule.
type InvalidFieldError struct {
	Field, Reason string
}

func (e *InvalidFieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *InvalidFieldError) Unwrap() error { return ErrInvalid }

// NotFoundError names what is missing.
type NotFoundError struct {
	Kind, ExtID string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.Kind, e.ExtID) }

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }
