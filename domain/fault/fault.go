// Package fault names the kinds of failure that every module's errors belong to: a module's
// error wraps a kind and adds what is specific to it (ErrTooManyCards is a refusal with its own
// nevisIDM code), so that an adapter answers any module's errors by their kind alone and never
// learns a module's error list (API.md section 1.1).
package fault

import (
	"errors"
	"fmt"
	"time"
)

// Kind is a kind of failure.
type Kind int

// The kinds of failure.
const (
	// Invalid: the request is malformed, or a value breaks its rule.
	Invalid Kind = iota + 1
	// Unauthenticated: the caller is not (or no longer) authenticated enough.
	Unauthenticated
	// Forbidden: the caller may not do this, or the thing may not be used.
	Forbidden
	// NotFound: the entity does not exist where the caller names it.
	NotFound
	// Conflict: the entity changed since the caller read it (a stale version).
	Conflict
	// Duplicate: an extId, a name or a loginId is taken.
	Duplicate
	// Refused: a rule of the domain refuses the change; the code says which.
	Refused
	// Locked: the entity is locked for a while, or until an admin unlocks it.
	Locked
	// Exhausted: the caller's budget of requests is spent for now.
	Exhausted
	// Unavailable: a service the request needs (the database) cannot be reached.
	Unavailable
)

var kindNames = map[Kind]string{Invalid: "invalid", Unauthenticated: "unauthenticated", Forbidden: "forbidden",
	NotFound: "not found", Conflict: "conflict", Duplicate: "duplicate", Refused: "refused", Locked: "locked",
	Exhausted: "exhausted", Unavailable: "unavailable"}

func (k Kind) String() string {
	if name, ok := kindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a failure of one kind, under the code API clients know it by (nevisIDM's errors.*
// codes). Modules declare their errors as *Error values and wrap them with context.
type Error struct {
	kind Kind
	code string
	text string
}

// New declares an error of a kind with its code and text.
func New(kind Kind, code, text string) *Error { return &Error{kind: kind, code: code, text: text} }

func (e *Error) Error() string { return e.text }

// Kind is the error's kind.
func (e *Error) Kind() Kind { return e.kind }

// Code is the code API clients know the error by.
func (e *Error) Code() string { return e.code }

// Of returns the first *Error in err's chain: the kind and code of any module's error.
func Of(err error) (*Error, bool) {
	var f *Error
	return f, errors.As(err, &f)
}

// Is reports whether err's chain holds an error of that kind.
func Is(err error, kind Kind) bool {
	f, ok := Of(err)
	return ok && f.kind == kind
}

// Wrap puts what was being done in front of err ("get client acme: " and err's text), so that the
// error keeps its kind and tells where it happened; it returns nil when err is nil.
func Wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// Detailed is an error that says in one sentence, for the caller, what is wrong (which field,
// which entity, which versions), unlike the text of a whole chain of wrapped errors.
type Detailed interface {
	error
	Detail() string
}

// Detail is the sentence to show the caller: the first Detailed error's, else the chain's text.
func Detail(err error) string {
	var d Detailed
	if errors.As(err, &d) {
		return d.Detail()
	}
	return err.Error()
}

// Timed is an error that lasts until a known time, such as a temporary lock: an adapter tells the
// caller when to try again. A zero time means no known end.
type Timed interface {
	error
	EndsAt() time.Time
}

// The errors every module shares.
var (
	// ErrInvalid: a malformed value.
	ErrInvalid = New(Invalid, "errors.invalidData", "invalid value")
	// ErrNotFound: the entity does not exist where the caller names it.
	ErrNotFound = New(NotFound, "errors.noRecord", "not found")
	// ErrVersionConflict: the caller's version is stale, or the stored version moved meanwhile.
	ErrVersionConflict = New(Conflict, "errors.optimisticLockingFailure", "version conflict")
	// ErrDuplicate: an extId, name or loginId is taken.
	ErrDuplicate = New(Duplicate, "errors.duplicateValue", "duplicate value")
	// ErrUnavailable: the database cannot be reached.
	ErrUnavailable = New(Unavailable, "errors.serviceUnavailable", "database unavailable")
)

// NotFoundError names the entity that is missing.
type NotFoundError struct {
	// Entity is what is missing: "client", "user", "OTP credential", ...
	Entity, ExtID string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q not found", e.Entity, e.ExtID) }

// Detail is the error's text.
func (e *NotFoundError) Detail() string { return e.Error() }

// Unwrap makes errors.Is(err, ErrNotFound) hold.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// VersionConflictError says which version the caller gave and which one is stored.
type VersionConflictError struct {
	// Entity is what is versioned: "credential", "client", "user", "policy".
	Entity         string
	Given, Current int32
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("version %d is stale; the %s is at version %d", e.Given, e.Entity, e.Current)
}

// Detail is the error's text.
func (e *VersionConflictError) Detail() string { return e.Error() }

// Unwrap makes errors.Is(err, ErrVersionConflict) hold.
func (e *VersionConflictError) Unwrap() error { return ErrVersionConflict }

// CheckVersion returns a *VersionConflictError when the caller gave a version that is not the
// stored one; nil means the caller gave none (an unconditional write) or the right one.
func CheckVersion(entity string, given *int32, current int32) error {
	if given != nil && *given != current {
		return &VersionConflictError{Entity: entity, Given: *given, Current: current}
	}
	return nil
}
