package directory

import (
	"fmt"

	"github.com/otpcard/otpcard/domain/fault"
)

// ErrHasDependents: the client still has users and cannot be deleted. Missing clients and users,
// stale versions, taken names and invalid fields are the shared fault.ErrNotFound,
// fault.ErrVersionConflict, fault.ErrDuplicate and fault.ErrInvalid.
var ErrHasDependents = fault.New(fault.Refused, "errors.undeletedDependencies", "still has dependents")

// InvalidFieldError names the field that breaks its rule.
type InvalidFieldError struct {
	Field, Reason string
}

func (e *InvalidFieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

// Detail is the error's text.
func (e *InvalidFieldError) Detail() string { return e.Error() }

// Unwrap makes errors.Is(err, fault.ErrInvalid) hold.
func (e *InvalidFieldError) Unwrap() error { return fault.ErrInvalid }
