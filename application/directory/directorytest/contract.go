package directorytest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// This file holds what the directory's contract suites share. A suite pins the behaviour its
// ports document, observed through the ports alone, so that the in-memory fakes and the postgres
// stores answer every case alike. What only one side can do (concurrency, row locks, SQL) stays
// in that side's own tests.

// Harness is one contract case's directory, fresh and empty: a client store and a user store
// over the same tables, and the events they recorded.
type Harness struct {
	Clients app.ClientStore
	Users   app.UserStore
	// Recorded returns every event recorded so far, in the order it was recorded.
	Recorded func(t *testing.T) []event.Event
}

// contractCase is one case of a suite; each runs on a harness of its own.
type contractCase struct {
	name string
	run  func(t *testing.T, h Harness)
}

// runCases runs each case in a subtest on a fresh harness. The cases do not run in parallel: a
// harness may empty one shared database for each case.
func runCases(t *testing.T, newHarness func(t *testing.T) Harness, cases []contractCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newHarness(t)) })
	}
}

var (
	// base is when the cases' entities are created: UTC at microsecond precision, as stored.
	base = time.Date(2026, 11, 26, 21, 30, 0, 123_456_000, time.UTC)
	// actor causes the cases' events.
	actor = event.Actor{Subject: "root", Mode: "admin"}
	// errRefused is a callback's own error, which the stores return unchanged.
	errRefused = errors.New("refused by the callback")
)

// at is base plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

// noWithin is a change with nothing else in its transaction.
func noWithin(context.Context) error { return nil }

// entityEvent is an event of the client (user empty) or user at version, with data so that the
// whole event is compared.
func entityEvent(typ event.Type, client, user string, version int32) event.Event {
	return event.Event{Type: typ, Time: at(60), Actor: actor, ClientExtID: client, UserExtID: user,
		Version: version, RequestID: "req-1", Data: map[string]string{"case": "contract"}}
}

// newClient is a valid client created at created.
func newClient(t *testing.T, extID, name string, created time.Time) directory.Client {
	t.Helper()
	c, err := directory.NewClient(directory.Client{ExtID: extID, Name: name}, created)
	if err != nil {
		t.Fatalf("new client %s: %v", extID, err)
	}
	return c
}

// createClient saves a new client through the port, without events.
func createClient(t *testing.T, h Harness, extID, name string, created time.Time) directory.Client {
	t.Helper()
	c := newClient(t, extID, name, created)
	if err := h.Clients.Create(t.Context(), c, nil, noWithin); err != nil {
		t.Fatalf("create client %s: got %v, want nil", extID, err)
	}
	return c
}

// newUser is a valid active user of the client created at created.
func newUser(t *testing.T, client, extID, loginID string, created time.Time) directory.User {
	t.Helper()
	u, err := directory.NewUser(directory.User{ExtID: extID, ClientExtID: client, LoginID: loginID}, created)
	if err != nil {
		t.Fatalf("new user %s: %v", extID, err)
	}
	return u
}

// createUser saves a new user through the port, without events.
func createUser(t *testing.T, h Harness, client, extID, loginID string, created time.Time) directory.User {
	t.Helper()
	u := newUser(t, client, extID, loginID, created)
	if err := h.Users.Create(t.Context(), u, nil, noWithin); err != nil {
		t.Fatalf("create user %s: got %v, want nil", extID, err)
	}
	return u
}

// wantNotFound fails unless err is a *fault.NotFoundError naming entity extID.
func wantNotFound(t *testing.T, err error, entity, extID string) {
	t.Helper()
	var nf *fault.NotFoundError
	if !errors.As(err, &nf) || !fault.Is(err, fault.NotFound) || nf.Entity != entity || nf.ExtID != extID {
		t.Errorf("got %v, want a *fault.NotFoundError for %s %q", err, entity, extID)
	}
}

// wantErr fails unless err wraps want.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("got %v, want an error wrapping %v", err, want)
	}
}

// wantEvents fails unless got are want, times compared as stored (UTC, microseconds) and empty
// data as none.
func wantEvents(t *testing.T, got, want []event.Event) {
	t.Helper()
	norm := func(events []event.Event) []event.Event {
		out := make([]event.Event, len(events))
		for i, e := range events {
			e.Time = storedTime(e.Time)
			e.Data = storedMap(e.Data)
			out[i] = e
		}
		return out
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("events:\n got %+v\nwant %+v", g, w)
	}
}

// wantClient fails unless the stored client extID is want.
func wantClient(t *testing.T, h Harness, want directory.Client) {
	t.Helper()
	got, err := h.Clients.Get(t.Context(), want.ExtID)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("client %s:\n got %+v (%v)\nwant %+v", want.ExtID, got, err, want)
	}
}

// wantUser fails unless the stored user is want.
func wantUser(t *testing.T, h Harness, want directory.User) {
	t.Helper()
	got, err := h.Users.Get(t.Context(), want.ClientExtID, want.ExtID)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("user %s:\n got %+v (%v)\nwant %+v", want.ExtID, got, err, want)
	}
}

// pageAll follows the cursors of list from the first page, checking that every page but the
// last is full and that a next cursor never leads to an empty page, and returns the extIds in the
// order listed.
func pageAll[T any](t *testing.T, limit int, list func(listing.Page) (listing.Result[T], error), extID func(T) string) []string {
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
