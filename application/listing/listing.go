// Package listing holds the paging model shared by every list use case: a stable order by
// creation time then extId, and a cursor after the last item returned.
package listing

import (
	"time"

	"github.com/otpcard/otpcard/domain/fault"
)

// DefaultLimit and MaxLimit bound a page (API.md section 1).
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Cursor marks the last item of the previous page.
type Cursor struct {
	Created time.Time
	ExtID   string
}

// Page asks for at most Limit items after the cursor (none: from the start).
type Page struct {
	Limit int
	After *Cursor
}

// Result is one page; Next is set while more items may exist.
type Result[T any] struct {
	Items []T
	Next  *Cursor
	// Limit is the page size that was asked for.
	Limit int
}

// Trim turns Limit+1 fetched items into a page: when the extra item is there, the page ends at
// Limit and Next points at its last item.
func Trim[T any](items []T, limit int, cursorOf func(T) Cursor) Result[T] {
	limit = max(limit, 1)
	if len(items) <= limit {
		return Result[T]{Items: items, Limit: limit}
	}
	items = items[:limit]
	c := cursorOf(items[len(items)-1])
	return Result[T]{Items: items, Next: &c, Limit: limit}
}

// ErrBadCursor reports a continuation token that does not name a position of this list.
var ErrBadCursor = fault.New(fault.Invalid, "errors.invalidData", "invalid continuation token")
