package directory_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var before = now.Add(-time.Hour)

func version(v int32) *int32 { return &v }

// acmeAt is the client acme, created an hour ago and now at version v.
func acmeAt(v int32) directory.Client {
	return directory.Client{ExtID: "acme", Name: "Acme", Remarks: "r", Created: before, LastModified: before, Version: v}
}

func TestChangeClient(t *testing.T) {
	for _, tt := range []struct {
		name    string
		caller  caller.Caller
		version *int32
	}{
		{"ClientModify without version", admin(access.ClientModify), nil},
		{"inside the data room at the version", adminIn("acme"), version(3)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newClientStore(acmeAt(3))
			got, err := newClients(s).ChangeClient.Do(context.Background(), app.ChangeClientCommand{Caller: tt.caller, ExtID: "acme", Version: tt.version, Change: directory.ClientChange{Name: directory.To("Acme 2"), Comment: "renamed"}})
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			want := acmeAt(4)
			want.Name, want.LastModified = "Acme 2", now
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(s.stored("acme"), want) {
				t.Errorf("returned %+v, stored %+v; want both %+v", got, s.stored("acme"), want)
			}
			wantEvents(t, s.Recorded(), event.Event{Type: directory.ClientChanged, Time: now, Actor: alice,
				ClientExtID: "acme", Version: 4, RequestID: "req-1", Data: map[string]string{"modificationComment": "renamed"}})
			wantTold(t, s.deps, "the printing module keeps the client's names", "ClientSaved acme v4")
		})
	}
}

func TestChangeClientRefusals(t *testing.T) {
	rename := directory.ClientChange{Name: directory.To("Acme 2")}
	tests := []struct {
		name      string
		caller    caller.Caller
		extID     string
		version   *int32
		change    directory.ClientChange
		wantErr   error
		wantStore bool
	}{
		{"without ClientModify", admin(access.ClientView, access.ClientCreate, access.ClientDelete), "acme", nil, rename, access.ErrPermissionDenied, false},
		{"Helpdesk", caller.Caller{Principal: access.NewAdmin("h", []string{"Helpdesk"}, nil, nil)}, "acme", nil, rename, access.ErrPermissionDenied, false},
		{"outside the data room", adminIn("other"), "acme", nil, rename, access.ErrDataroomDenied, false},
		{"empty data room", adminIn(), "acme", nil, rename, access.ErrDataroomDenied, false},
		{"self-admin", self("user-a"), "acme", nil, rename, access.ErrPermissionDenied, false},
		{"unknown client", admin(access.ClientModify), "nope", nil, rename, fault.ErrNotFound, true},
		{"stale version", admin(access.ClientModify), "acme", version(2), rename, fault.ErrVersionConflict, true},
		{"future version", admin(access.ClientModify), "acme", version(4), rename, fault.ErrVersionConflict, true},
		{"name cleared", admin(access.ClientModify), "acme", nil, directory.ClientChange{Name: directory.To("")}, fault.ErrInvalid, true},
		{"bad language", admin(access.ClientModify), "acme", nil,
			directory.ClientChange{DisplayName: directory.To(map[string]string{"xyz": "x"})}, fault.ErrInvalid, true},
		{"name taken", admin(access.ClientModify), "acme", nil, directory.ClientChange{Name: directory.To("Taken")}, fault.ErrDuplicate, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newClientStore(acmeAt(3), directory.Client{ExtID: "taken", Name: "Taken", Version: 1})
			_, err := newClients(s).ChangeClient.Do(context.Background(), app.ChangeClientCommand{Caller: tt.caller, ExtID: tt.extID, Version: tt.version, Change: tt.change})
			refused(t, err, tt.wantErr)
			wantConsulted(t, s, "Update", tt.wantStore)
			if !reflect.DeepEqual(s.stored("acme"), acmeAt(3)) || len(s.Recorded()) != 0 {
				t.Errorf("got %+v and %d events, want acme unchanged and no event", s.stored("acme"), len(s.Recorded()))
			}
		})
	}
}

func TestChangeClientStaleVersionSaysWhich(t *testing.T) {
	s := newClientStore(acmeAt(3))
	_, err := newClients(s).ChangeClient.Do(context.Background(), app.ChangeClientCommand{Caller: admin(access.ClientModify), ExtID: "acme", Version: version(1), Change: directory.ClientChange{}})
	var vc *fault.VersionConflictError
	if !errors.As(err, &vc) || vc.Given != 1 || vc.Current != 3 || vc.Entity != "client" {
		t.Fatalf("got %v, want a VersionConflictError given 1, current 3, of a client", err)
	}
}

func TestDeleteClient(t *testing.T) {
	for _, c := range []caller.Caller{admin(access.ClientDelete), adminIn("acme")} {
		s := newClientStore(acmeAt(5))
		if _, err := newClients(s).DeleteClient.Do(context.Background(), app.DeleteClientCommand{Caller: c, ExtID: "acme"}); err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if _, ok := s.Client("acme"); ok {
			t.Errorf("acme: still stored, want it gone")
		}
		wantTold(t, s.deps, "its policies go there", "ClientDeleting acme by alice")
		wantEvents(t, s.Recorded(),
			event.Event{Type: directory.ClientDeleted, Time: now, Actor: alice, ClientExtID: "acme", Version: 5, RequestID: "req-1"})
	}
}

func TestDeleteClientRefusals(t *testing.T) {
	tests := []struct {
		name      string
		caller    caller.Caller
		extID     string
		users     int
		wantErr   error
		wantStore bool
	}{
		{"without ClientDelete", admin(access.ClientView, access.ClientModify, access.ClientCreate), "acme", 0, access.ErrPermissionDenied, false},
		{"ClientRoot", caller.Caller{Principal: access.NewAdmin("a", []string{"ClientRoot"}, nil, nil)}, "acme", 0, access.ErrPermissionDenied, false},
		{"outside the data room", adminIn("other"), "acme", 0, access.ErrDataroomDenied, false},
		{"self-admin", self("user-a"), "acme", 0, access.ErrPermissionDenied, false},
		{"unknown client", admin(access.ClientDelete), "nope", 0, fault.ErrNotFound, true},
		{"one user", admin(access.ClientDelete), "acme", 1, directory.ErrHasDependents, true},
		{"many users", admin(access.ClientDelete), "acme", 40, directory.ErrHasDependents, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newClientStore(acmeAt(1))
			for i := range tt.users {
				id := fmt.Sprint("user-", i)
				s.AddUser(directory.User{ExtID: id, ClientExtID: "acme", LoginID: id, State: directory.UserActive, Version: 1})
			}
			_, err := newClients(s).DeleteClient.Do(context.Background(), app.DeleteClientCommand{Caller: tt.caller, ExtID: tt.extID})
			refused(t, err, tt.wantErr)
			wantConsulted(t, s, "Delete", tt.wantStore)
			if _, ok := s.Client("acme"); !ok || len(s.deps.Told()) != 0 || len(s.Recorded()) != 0 {
				t.Errorf("got acme stored %v, dependents told %q, %d events; want true, nothing, 0", ok, s.deps.Told(), len(s.Recorded()))
			}
		})
	}
}
