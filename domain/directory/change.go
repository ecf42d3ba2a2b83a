package directory

import (
	"fmt"
	"maps"
	"reflect"
	"time"
	"unicode/utf8"
)

// MaxCommentLength bounds a modification comment, in characters.
const MaxCommentLength = 1024

// Optional is one member of a partial change. When Set, Value replaces what is stored (the zero
// value clears an optional member); when not Set, the stored value stays.
type Optional[T any] struct {
	Set   bool
	Value T
}

// To returns an Optional that sets v.
func To[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }

// applyTo writes the value into dst when it is set.
func (o Optional[T]) applyTo(dst *T) {
	if o.Set {
		*dst = o.Value
	}
}

// applyMapTo writes a copy of the map into dst when it is set; an empty map clears the member.
func applyMapTo[K comparable, V any](o Optional[map[K]V], dst *map[K]V) {
	if o.Set {
		*dst = maps.Clone(o.Value)
		if len(*dst) == 0 {
			*dst = nil
		}
	}
}

// commit ends a change of an entity e: next replaces *e, moved to its next version by bump, unless
// it repeats what is stored (then nothing changes, the version included) or is invalid (then the
// error, and *e is left as it was). It reports whether anything changed.
func commit[E any](e *E, next E, validate func(E) error, bump func(next *E)) (bool, error) {
	if reflect.DeepEqual(next, *e) {
		return false, nil
	}
	if err := validate(next); err != nil {
		return false, err
	}
	bump(&next)
	*e = next
	return true, nil
}

// checkComment bounds a modification comment. The comment is not kept on the entity: it travels
// with the change's event into the audit trail.
func checkComment(comment string) error {
	if utf8.RuneCountInString(comment) > MaxCommentLength {
		return &InvalidFieldError{"modificationComment", fmt.Sprintf("is longer than %d characters", MaxCommentLength)}
	}
	return nil
}

// later returns the later of two instants: an entity's lastModified, and so the time of its
// events, never goes backwards, even when a change read the clock before it waited for the lock
// or runs on an instance whose clock lags.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
