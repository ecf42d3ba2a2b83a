package directory_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// jdoeAt is user-a of client-a, loginId jdoe, at version v.
func jdoeAt(v int32) directory.User {
	return directory.User{ExtID: "user-a", ClientExtID: "client-a", LoginID: "jdoe", State: directory.UserActive,
		Contacts: directory.Contacts{Email: "jd@example.com"}, Created: before, LastModified: before, Version: v}
}

// usersOf is a store with client-a holding jdoe at version 2 and another user, and client-b with
// a user of loginId jdoe too.
func usersOf() userFixture {
	s := newUserStore("client-a", "client-b")
	for _, u := range []directory.User{jdoeAt(2),
		{ExtID: "user-b", ClientExtID: "client-a", LoginID: "taken", State: directory.UserActive, Version: 1},
		{ExtID: "user-c", ClientExtID: "client-b", LoginID: "jdoe", State: directory.UserActive, Version: 1}} {
		s.AddUser(u)
	}
	return s
}

func TestChangeUser(t *testing.T) {
	for _, c := range []caller.Caller{admin(access.UserModify), adminIn("client-a")} {
		s := usersOf()
		got, err := newUsers(s).ChangeUser.Do(context.Background(), app.ChangeUserCommand{Caller: c, ClientExtID: "client-a", UserExtID: "user-a", Version: version(2), Change: directory.UserChange{
			Name: directory.To(directory.Name{FirstName: "Jane"}), State: directory.To(directory.UserDisabled)}})
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		want := jdoeAt(3)
		want.Name, want.State, want.LastModified = directory.Name{FirstName: "Jane"}, directory.UserDisabled, now
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(s.stored("client-a", "user-a"), want) {
			t.Errorf("returned %+v, stored %+v; want both %+v", got, s.stored("client-a", "user-a"), want)
		}
		wantEvents(t, s.Recorded(), event.Event{Type: directory.UserChanged, Time: now, Actor: alice,
			ClientExtID: "client-a", UserExtID: "user-a", Version: 3, RequestID: "req-1"})
	}
}

func TestChangeUserLoginIDOfAnotherClient(t *testing.T) {
	s := usersOf()
	got, err := newUsers(s).ChangeUser.Do(context.Background(), app.ChangeUserCommand{Caller: admin(access.UserModify), ClientExtID: "client-b", UserExtID: "user-c", Version: nil, Change: directory.UserChange{LoginID: directory.To("taken")}})
	if err != nil || got.LoginID != "taken" || got.Version != 2 {
		t.Fatalf("got %+v, %v; want loginId taken at version 2 (unique per client only)", got, err)
	}
}

func TestChangeUserRefusals(t *testing.T) {
	email := directory.UserChange{Contacts: directory.To(directory.Contacts{Email: "new@example.com"})}
	tests := []struct {
		name           string
		caller         caller.Caller
		client, user   string
		version        *int32
		change         directory.UserChange
		wantErr        error
		wantStoreCalls bool
	}{
		{"without UserModify", admin(access.UserView, access.UserCreate, access.UserDelete), "client-a", "user-a", nil, email, access.ErrPermissionDenied, false},
		{"Helpdesk", caller.Caller{Principal: access.NewAdmin("h", []string{"Helpdesk"}, nil, nil)}, "client-a", "user-a", nil, email, access.ErrPermissionDenied, false},
		{"outside the data room", adminIn("client-b"), "client-a", "user-a", nil, email, access.ErrDataroomDenied, false},
		{"self-admin on itself", self("user-a"), "client-a", "user-a", nil, email, access.ErrPermissionDenied, false},
		{"self-admin on another", self("user-b"), "client-a", "user-a", nil, email, access.ErrPermissionDenied, false},
		{"unknown user", admin(access.UserModify), "client-a", "nope", nil, email, fault.ErrNotFound, true},
		{"user of another client", admin(access.UserModify), "client-b", "user-a", nil, email, fault.ErrNotFound, true},
		{"stale version", admin(access.UserModify), "client-a", "user-a", version(1), email, fault.ErrVersionConflict, true},
		{"invalid email", admin(access.UserModify), "client-a", "user-a", nil,
			directory.UserChange{Contacts: directory.To(directory.Contacts{Email: "nope"})}, fault.ErrInvalid, true},
		{"mobile not E.164", admin(access.UserModify), "client-a", "user-a", nil,
			directory.UserChange{Contacts: directory.To(directory.Contacts{Mobile: "0791234567"})}, fault.ErrInvalid, true},
		{"loginId taken in the client", admin(access.UserModify), "client-a", "user-a", nil,
			directory.UserChange{LoginID: directory.To("taken")}, fault.ErrDuplicate, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := usersOf()
			_, err := newUsers(s).ChangeUser.Do(context.Background(), app.ChangeUserCommand{Caller: tt.caller, ClientExtID: tt.client, UserExtID: tt.user, Version: tt.version, Change: tt.change})
			refused(t, err, tt.wantErr)
			wantConsulted(t, s, "Update", tt.wantStoreCalls)
			if got := s.stored("client-a", "user-a"); !reflect.DeepEqual(got, jdoeAt(2)) || len(s.Recorded()) != 0 {
				t.Errorf("got %+v and %d events, want user-a unchanged and no event", got, len(s.Recorded()))
			}
		})
	}
}

func TestDeleteUser(t *testing.T) {
	for _, c := range []caller.Caller{admin(access.UserDelete), adminIn("client-a")} {
		s := usersOf()
		if _, err := newUsers(s).DeleteUser.Do(context.Background(), app.DeleteUserCommand{Caller: c, ClientExtID: "client-a", UserExtID: "user-a"}); err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if _, ok := s.User("client-a", "user-a"); ok || s.UserCount() != 2 {
			t.Errorf("got user-a stored %v, %d users; want false, 2", ok, s.UserCount())
		}
		wantTold(t, s.deps, "its cards go there, with their events", "UserDeleting user-a by alice")
		wantEvents(t, s.Recorded(), event.Event{Type: directory.UserDeleted, Time: now, Actor: alice,
			ClientExtID: "client-a", UserExtID: "user-a", Version: 2, RequestID: "req-1"})
	}
}

// TestDeleteUserFailsWithItsDependents: when a dependent refuses (the cards cannot be deleted),
// the user stays, and no event is recorded.
func TestDeleteUserFailsWithItsDependents(t *testing.T) {
	s := usersOf()
	boom := errors.New("card store down")
	s.deps.Refuse(boom)
	_, err := newUsers(s).DeleteUser.Do(context.Background(), app.DeleteUserCommand{Caller: admin(access.UserDelete),
		ClientExtID: "client-a", UserExtID: "user-a"})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the dependent's error", err)
	}
	if s.UserCount() != 3 || len(s.Recorded()) != 0 {
		t.Errorf("got %d users and %d events, want 3 and none", s.UserCount(), len(s.Recorded()))
	}
}

func TestDeleteUserRefusals(t *testing.T) {
	tests := []userCase{
		{"without UserDelete", admin(access.UserView, access.UserModify, access.CredentialDelete), "client-a", "user-a", access.ErrPermissionDenied, false},
		{"Auditor", caller.Caller{Principal: access.NewAdmin("a", []string{"Auditor"}, nil, nil)}, "client-a", "user-a", access.ErrPermissionDenied, false},
		{"outside the data room", adminIn("client-b"), "client-a", "user-a", access.ErrDataroomDenied, false},
		{"self-admin on itself", self("user-a"), "client-a", "user-a", access.ErrPermissionDenied, false},
		{"unknown user", admin(access.UserDelete), "client-a", "nope", fault.ErrNotFound, true},
		{"user of another client", admin(access.UserDelete), "client-b", "user-a", fault.ErrNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := usersOf()
			_, err := newUsers(s).DeleteUser.Do(context.Background(), app.DeleteUserCommand{Caller: tt.caller, ClientExtID: tt.client, UserExtID: tt.user})
			refused(t, err, tt.wantErr)
			wantConsulted(t, s, "Delete", tt.wantStore)
			if s.UserCount() != 3 || len(s.Recorded()) != 0 {
				t.Errorf("got %d users, %d events; want 3, 0", s.UserCount(), len(s.Recorded()))
			}
		})
	}
}

func TestListUsers(t *testing.T) {
	s := newUserStore("client-a", "client-b")
	for i, id := range []string{"u3", "u1", "u2"} {
		u := directory.User{ExtID: id, ClientExtID: "client-a", LoginID: "l-" + id, Created: before.Add(time.Duration(i) * time.Minute)}
		s.AddUser(u)
	}
	s.AddUser(directory.User{ExtID: "other", ClientExtID: "client-b", LoginID: "l-u1"})
	uc := newUsers(s)
	got := storetest.PageAll(t, 2, func(page listing.Page) (listing.Result[directory.User], error) {
		return uc.ListUsers.Do(context.Background(), app.ListUsersQuery{Caller: admin(access.UserView), ClientExtID: "client-a", Filter: app.UserFilter{}, Page: page})
	}, func(u directory.User) string { return u.ExtID })
	if want := []string{"u3", "u1", "u2"}; !slices.Equal(got, want) {
		t.Errorf("pages: got %v, want %v in creation order", got, want)
	}
	res, err := uc.ListUsers.Do(context.Background(), app.ListUsersQuery{Caller: adminIn("client-a"), ClientExtID: "client-a", Filter: app.UserFilter{LoginID: "l-u1"}, Page: listing.Page{Limit: 10}})
	if err != nil || len(res.Items) != 1 || res.Items[0].ExtID != "u1" || s.LastFilter().LoginID != "l-u1" {
		t.Errorf("loginId filter: got %+v, %v (store filter %+v), want u1 alone", res.Items, err, s.LastFilter())
	}
}

func TestListUsersRefusals(t *testing.T) {
	tests := []struct {
		name      string
		caller    caller.Caller
		client    string
		wantErr   error
		wantStore bool
	}{
		{"without UserView", admin(access.ClientView, access.CredentialView), "client-a", access.ErrPermissionDenied, false},
		{"outside the data room", adminIn("client-b"), "client-a", access.ErrDataroomDenied, false},
		{"empty data room", adminIn(), "client-a", access.ErrDataroomDenied, false},
		{"self-admin", self("user-a"), "client-a", access.ErrPermissionDenied, false},
		{"unknown client", admin(access.UserView), "nope", fault.ErrNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := usersOf()
			_, err := newUsers(s).ListUsers.Do(context.Background(), app.ListUsersQuery{Caller: tt.caller, ClientExtID: tt.client, Filter: app.UserFilter{}, Page: listing.Page{Limit: 10}})
			refused(t, err, tt.wantErr)
			wantConsulted(t, s, "List", tt.wantStore)
		})
	}
}

// TestUserChangesReachTheDependents: a user created or changed is told to the dependents (who
// holds cards, and whether the user may authenticate); a change that changes nothing is not;
// when a dependent refuses, the change fails whole.
func TestUserChangesReachTheDependents(t *testing.T) {
	s := usersOf()
	uc := newUsers(s)
	ctx, c := context.Background(), admin(access.UserCreate, access.UserModify)
	if _, err := uc.CreateUser.Do(ctx, app.CreateUserCommand{Caller: c,
		User: directory.User{ExtID: "new", ClientExtID: "client-a", LoginID: "new"}}); err != nil {
		t.Fatal(err)
	}
	disable := directory.UserChange{State: directory.To(directory.UserDisabled)}
	for range 2 { // the second time changes nothing
		if _, err := uc.ChangeUser.Do(ctx, app.ChangeUserCommand{Caller: c, ClientExtID: "client-a", UserExtID: "user-a",
			Change: disable}); err != nil {
			t.Fatal(err)
		}
	}
	wantTold(t, s.deps, "a change that changes nothing is not told", "UserSaved new active", "UserSaved user-a disabled")
	refused := errors.New("holder store down")
	s.deps.Refuse(refused)
	_, err := uc.ChangeUser.Do(ctx, app.ChangeUserCommand{Caller: c, ClientExtID: "client-a", UserExtID: "user-a",
		Change: directory.UserChange{State: directory.To(directory.UserActive)}})
	if !errors.Is(err, refused) {
		t.Fatalf("got %v, want the dependent's error", err)
	}
	if got := s.stored("client-a", "user-a").State; got != directory.UserDisabled {
		t.Errorf("state after the refused change: got %s, want disabled", got)
	}
}
