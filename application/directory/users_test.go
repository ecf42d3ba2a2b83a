package directory_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// newUsers is the directory's use cases on the user store s and its dependents.
func newUsers(s userFixture) app.UseCases {
	return app.New(app.Deps{Clients: s.ClientStore(), Users: s, Dependents: []app.Dependents{s.deps}, Now: clock, Tracer: tracer})
}

func TestCreateUser(t *testing.T) {
	for _, c := range []caller.Caller{admin(access.UserCreate), adminIn("client-a")} {
		s := newUserStore("client-a")
		got, err := newUsers(s).CreateUser.Do(context.Background(), app.CreateUserCommand{Caller: c, User: directory.User{ExtID: "user-a", ClientExtID: "client-a", LoginID: "jdoe", Gender: "other"}})
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if got.ExtID != "user-a" || got.State != directory.UserActive || got.Version != 1 || !got.Created.Equal(now) {
			t.Errorf("got %+v, want user-a, active, version 1, created %v", got, now)
		}
		if stored := s.stored("client-a", "user-a"); !reflect.DeepEqual(stored, got) {
			t.Errorf("stored: got %+v, want %+v", stored, got)
		}
		wantEvents(t, s.Recorded(), event.Event{Type: directory.UserCreated, Time: now, Actor: alice,
			ClientExtID: "client-a", UserExtID: "user-a", Version: 1, RequestID: "req-1"})
	}
}

func TestCreateUserRefusals(t *testing.T) {
	tests := []createRefusal[directory.User]{
		{"without UserCreate", admin(access.UserView, access.UserModify), directory.User{ClientExtID: "client-a", LoginID: "new"}, access.ErrPermissionDenied},
		{"self-admin", self("user-a"), directory.User{ClientExtID: "client-a", LoginID: "new"}, access.ErrPermissionDenied},
		{"outside the data room", adminIn("client-b"), directory.User{ClientExtID: "client-a", LoginID: "new"}, access.ErrDataroomDenied},
		{"no loginId", admin(access.UserCreate), directory.User{ClientExtID: "client-a"}, fault.ErrInvalid},
		{"bad mobile", admin(access.UserCreate), directory.User{ClientExtID: "client-a", LoginID: "new",
			Contacts: directory.Contacts{Mobile: "079 123 45 67"}}, fault.ErrInvalid},
		{"unknown client", admin(access.UserCreate), directory.User{ClientExtID: "nope", LoginID: "new"}, fault.ErrNotFound},
		{"duplicate loginId", admin(access.UserCreate), directory.User{ClientExtID: "client-a", LoginID: "taken"}, fault.ErrDuplicate},
		{"duplicate extId", admin(access.UserCreate), directory.User{ExtID: "user-a", ClientExtID: "client-a", LoginID: "new"}, fault.ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newUserStore("client-a", "client-b")
			s.AddUser(directory.User{ExtID: "user-a", ClientExtID: "client-a", LoginID: "taken"})
			_, err := newUsers(s).CreateUser.Do(context.Background(), app.CreateUserCommand{Caller: tt.caller, User: tt.in})
			refused(t, err, tt.wantErr)
			if s.UserCount() != 1 || len(s.Recorded()) != 0 {
				t.Errorf("got %d users and %d events, want 1 and 0", s.UserCount(), len(s.Recorded()))
			}
		})
	}
}

func TestCreateUserSameLoginIDInAnotherClient(t *testing.T) {
	s := newUserStore("client-a", "client-b")
	s.AddUser(directory.User{ExtID: "user-a", ClientExtID: "client-a", LoginID: "jdoe"})
	if _, err := newUsers(s).CreateUser.Do(context.Background(), app.CreateUserCommand{Caller: admin(access.UserCreate), User: directory.User{ClientExtID: "client-b", LoginID: "jdoe"}}); err != nil {
		t.Fatalf("got %v, want nil", err)
	}
}

func TestGetUser(t *testing.T) {
	jane := directory.User{ExtID: "user-a", ClientExtID: "client-a", LoginID: "jdoe", State: directory.UserActive, Version: 2}
	tests := []userCase{
		{"admin", admin(access.UserView), "client-a", "user-a", nil, true},
		{"inside the data room", adminIn("client-a"), "client-a", "user-a", nil, true},
		{"the user itself", self("user-a"), "client-a", "user-a", nil, true},
		{"without UserView", admin(access.CredentialView, access.ClientView), "client-a", "user-a", access.ErrPermissionDenied, false},
		{"outside the data room", adminIn("client-b"), "client-a", "user-a", access.ErrDataroomDenied, false},
		{"another user", self("user-b"), "client-a", "user-a", access.ErrPermissionDenied, false},
		{"another user that does not exist", self("user-b"), "client-a", "nobody", access.ErrPermissionDenied, false},
		{"unknown user", admin(access.UserView), "client-a", "nobody", fault.ErrNotFound, true},
		{"user under another client", admin(access.UserView), "client-b", "user-a", fault.ErrNotFound, true},
		{"self under another client", self("user-a"), "client-b", "user-a", fault.ErrNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newUserStore("client-a", "client-b")
			s.AddUser(jane)
			got, err := newUsers(s).GetUser.Do(context.Background(), app.GetUserQuery{Caller: tt.caller, ClientExtID: tt.client, UserExtID: tt.user})
			wantConsulted(t, s, "Get", tt.wantStore)
			if !refused(t, err, tt.wantErr) && !reflect.DeepEqual(got, jane) {
				t.Fatalf("got %+v, want %+v", got, jane)
			}
		})
	}
}
