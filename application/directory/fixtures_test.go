package directory_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/caller/callertest"
	"github.com/otpcard/otpcard/application/directory/directorytest"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

var (
	now    = time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	tracer = noop.NewTracerProvider().Tracer("")
)

func clock() time.Time { return now }

// clientFixture is a test's in-memory client store and the dependents its use cases tell.
type clientFixture struct {
	*directorytest.ClientStore
	deps *directorytest.Dependents
}

// newClientStore holds clients and no users.
func newClientStore(clients ...directory.Client) clientFixture {
	return clientFixture{directorytest.NewClientStore(clients...), &directorytest.Dependents{}}
}

// stored is the client kept under extID, the zero client when there is none.
func (s clientFixture) stored(extID string) directory.Client {
	c, _ := s.Client(extID)
	return c
}

// userFixture is a test's in-memory user store and the dependents its use cases tell.
type userFixture struct {
	*directorytest.UserStore
	deps *directorytest.Dependents
}

// newUserStore holds clients with these extIds and no users.
func newUserStore(clients ...string) userFixture {
	return userFixture{directorytest.NewUserStore(clients...), &directorytest.Dependents{}}
}

// stored is the user kept under that client, the zero user when there is none.
func (s userFixture) stored(client, user string) directory.User {
	u, _ := s.User(client, user)
	return u
}

// The callers of the cases, and the checks of their refusals (see callertest and storetest).
var (
	admin, adminIn = callertest.Admin, callertest.AdminIn
	refused        = callertest.Refused
	wantConsulted  = storetest.WantConsulted
)

// self is a self-admin user who authenticated a minute ago.
func self(user string) caller.Caller { return callertest.SelfAdmin(user, now.Add(-time.Minute)) }

// createRefusal is a caller creating in, a client or a user, and the error it must be answered.
type createRefusal[T any] struct {
	name    string
	caller  caller.Caller
	in      T
	wantErr error
}

// userCase is a caller acting on a user of a client, and what it must be answered: the error (none:
// the use case runs), and whether the store was consulted (a refused caller never is).
type userCase struct {
	name         string
	caller       caller.Caller
	client, user string
	wantErr      error
	wantStore    bool
}

// alice is the actor of the events of admin callers.
var alice = event.Actor{Subject: "alice", Mode: "admin"}

// wantEvents fails unless the store recorded exactly the events want, in order.
func wantEvents(t *testing.T, got []event.Event, want ...event.Event) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got %+v\nwant %+v", got, want)
	}
}

// wantTold fails unless the dependents were told exactly want, in order (why, when they were not).
func wantTold(t *testing.T, d *directorytest.Dependents, why string, want ...string) {
	t.Helper()
	if told := d.Told(); !slices.Equal(told, want) {
		t.Errorf("dependents: got %q, want %q (%s)", told, want, why)
	}
}
