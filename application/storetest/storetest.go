// Package storetest holds what every module's store contract suites share: a case and how the
// cases run, the time and actor of their entities, and the assertions on what a store answers.
// Only tests import it (tests/architecture_test.go).
package storetest

import (
	"errors"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// Case is one case of a contract suite over a harness H (one module's stores, fresh and empty).
type Case[H any] struct {
	Name string
	Run  func(t *testing.T, h H)
}

// Run runs each case in a subtest on a fresh harness. The cases do not run in parallel: a harness
// may empty one shared database for each case.
func Run[H any](t *testing.T, newHarness func(t *testing.T) H, cases []Case[H]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { c.Run(t, newHarness(t)) })
	}
}

var (
	// Base is when the cases' entities are created: UTC at microsecond precision, as stored.
	Base = time.Date(2026, 11, 26, 21, 30, 0, 123_456_000, time.UTC)
	// Actor causes the cases' events.
	Actor = event.Actor{Subject: "root", Mode: "admin"}
	// ErrRefused is a callback's own error, which the stores return unchanged.
	ErrRefused = errors.New("refused by the callback")
)

// At is Base plus n seconds.
func At(n int) time.Time { return Base.Add(time.Duration(n) * time.Second) }

// StoredTime is t as a store keeps it: UTC, to the microsecond.
func StoredTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// StoredMap is m as a store keeps it: a copy, and empty as none.
func StoredMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// WantNotFound fails unless err is a *fault.NotFoundError naming entity extID.
func WantNotFound(t *testing.T, err error, entity, extID string) {
	t.Helper()
	var nf *fault.NotFoundError
	if !errors.As(err, &nf) || !fault.Is(err, fault.NotFound) || nf.Entity != entity || nf.ExtID != extID {
		t.Errorf("got %v, want a *fault.NotFoundError for %s %q", err, entity, extID)
	}
}

// WantErr fails unless err wraps want.
func WantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("got %v, want an error wrapping %v", err, want)
	}
}

// WantEvents fails unless got are want, times compared as stored and empty data as none.
func WantEvents(t *testing.T, got, want []event.Event) {
	t.Helper()
	norm := func(events []event.Event) []event.Event {
		out := make([]event.Event, len(events))
		for i, e := range events {
			e.Time = StoredTime(e.Time)
			e.Data = StoredMap(e.Data)
			out[i] = e
		}
		return out
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("events:\n got %+v\nwant %+v", g, w)
	}
}

// PageAll follows the cursors of list from the first page, checking that every page but the last
// is full and that a next cursor never leads to an empty page, and returns the extIds in the order
// listed.
func PageAll[T any](t *testing.T, limit int, list func(listing.Page) (listing.Result[T], error), extID func(T) string) []string {
	t.Helper()
	var ids []string
	page := listing.Page{Limit: limit}
	for range 100 {
		res, err := list(page)
		if err != nil {
			t.Fatalf("list after %v: got %v, want nil", page.After, err)
		}
		if page.After != nil && len(res.Items) == 0 {
			t.Errorf("the page after a next cursor: got no items, want some (no cursor after the last page)")
		}
		for _, item := range res.Items {
			ids = append(ids, extID(item))
		}
		if res.Next == nil {
			return ids
		}
		if len(res.Items) != limit {
			t.Errorf("a page with a next cursor: got %d items, want %d", len(res.Items), limit)
		}
		page.After = res.Next
	}
	t.Fatal("list: got more than 100 pages, want an end")
	return nil
}
