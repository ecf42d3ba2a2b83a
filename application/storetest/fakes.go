package storetest

import (
	"cmp"
	"slices"
	"sync"
	"testing"

	"github.com/otpcard/otpcard/application/listing"
)

// This file holds what the modules' in-memory fakes share: the count of the calls of their port
// methods, and the order and pages of their lists.

// Counter counts the calls of a fake store's port methods under the lock of the memory the store
// keeps. The zero Counter is not usable: make one with NewCounter.
type Counter struct {
	lock  *sync.Mutex
	calls map[string]int
}

// NewCounter is a counter whose calls run under lock.
func NewCounter(lock *sync.Mutex) Counter {
	return Counter{lock: lock, calls: map[string]int{}}
}

// Enter begins a call of a port method of the store: it takes the lock and counts the call. The
// method defers the unlock Enter returns, so that it runs whole under the lock, callbacks
// included: the stand-in for the row locks of a database.
func (c Counter) Enter(method string) (unlock func()) {
	c.lock.Lock()
	c.calls[method]++
	return c.lock.Unlock
}

// Called counts the calls of one port method ("Get", "Create", "Update", ...).
func (c Counter) Called(method string) int {
	c.lock.Lock()
	defer c.lock.Unlock()
	return c.calls[method]
}

// Calls counts the calls of every port method.
func (c Counter) Calls() int {
	c.lock.Lock()
	defer c.lock.Unlock()
	n := 0
	for _, calls := range c.calls {
		n += calls
	}
	return n
}

// WantConsulted fails unless the fake's port method was called (want) or never called: a use case
// must refuse a caller before it consults a store.
func WantConsulted(t *testing.T, fake interface{ Called(method string) int }, method string, want bool) {
	t.Helper()
	if got := fake.Called(method) > 0; got != want {
		t.Errorf("store %s consulted: got %v, want %v", method, got, want)
	}
}

// CompareCursors orders two items as every list does: by creation time, then by extId.
func CompareCursors(a, b listing.Cursor) int {
	return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ExtID, b.ExtID))
}

// Page answers a list as a store does: the items after the page's cursor, in the order of
// CompareCursors, at most page.Limit of them, with the cursor of the next page.
func Page[T any](items []T, page listing.Page, cursorOf func(T) listing.Cursor) listing.Result[T] {
	var after []T
	for _, item := range items {
		if page.After == nil || CompareCursors(cursorOf(item), *page.After) > 0 {
			after = append(after, item)
		}
	}
	slices.SortFunc(after, func(a, b T) int { return CompareCursors(cursorOf(a), cursorOf(b)) })
	return listing.Trim(after[:min(len(after), page.Limit+1)], page.Limit, cursorOf)
}
