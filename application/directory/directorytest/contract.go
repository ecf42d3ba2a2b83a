package directorytest

import (
	"context"
	"reflect"
	"testing"
	"time"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
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
type contractCase = storetest.Case[Harness]

// The shared times, actor and callback error of the cases (see storetest).
var (
	base       = storetest.Base
	at         = storetest.At
	actor      = storetest.Actor
	errRefused = storetest.ErrRefused
)

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
