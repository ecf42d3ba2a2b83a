package directory

import "time"

// patchable is a client or a user: an entity that a PATCH changes under optimistic locking.
type patchable[C any] interface {
	CheckVersion(given *int32) error
	Change(ch C, now time.Time) (bool, error)
}

// patch applies the change ch to x at now when the caller's version (if any) is the stored one,
// and reports whether anything changed: a change that repeats the stored values does not.
func patch[C any](x patchable[C], version *int32, ch C, now time.Time) (bool, error) {
	if err := x.CheckVersion(version); err != nil {
		return false, err
	}
	return x.Change(ch, now)
}
