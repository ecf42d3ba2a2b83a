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
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// newClients is the directory's use cases on the client store s and its dependents.
func newClients(s clientFixture) app.UseCases {
	return app.New(app.Deps{Clients: s, Users: s.UserStore(), Dependents: []app.Dependents{s.deps}, Now: clock, Tracer: tracer})
}

func TestCreateClient(t *testing.T) {
	for _, c := range []caller.Caller{admin(access.ClientCreate), adminIn("acme")} {
		s := newClientStore()
		got, err := newClients(s).CreateClient.Do(context.Background(), app.CreateClientCommand{Caller: c, Client: directory.Client{ExtID: "acme", Name: "Acme", DisplayName: map[string]string{"EN": "Acme Ltd"}}})
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if got.ExtID != "acme" || got.Name != "Acme" || got.Version != 1 || !got.Created.Equal(now) || !got.LastModified.Equal(now) {
			t.Errorf("got %+v, want acme at version 1 created %v", got, now)
		}
		if stored := s.stored("acme"); !reflect.DeepEqual(stored, got) {
			t.Errorf("stored: got %+v, want %+v", stored, got)
		}
		wantTold(t, s.deps, "its default policy comes from there; then the copies of what is printed", "ClientCreated acme by alice", "ClientSaved acme v1")
		wantEvents(t, s.Recorded(),
			event.Event{Type: directory.ClientCreated, Time: now, Actor: alice, ClientExtID: "acme", Version: 1, RequestID: "req-1"})
	}
}

// TestCreateClientOutsideTheDataRoom: a caller with a data room creates only the clients named in
// it; a client it does not name, or one whose extId would be generated, is refused and nothing
// is stored (API.md section 2).
func TestCreateClientOutsideTheDataRoom(t *testing.T) {
	for _, in := range []directory.Client{{ExtID: "acme", Name: "Acme"}, {Name: "Generated"}} {
		s := newClientStore()
		_, err := newClients(s).CreateClient.Do(context.Background(), app.CreateClientCommand{Caller: adminIn("other"), Client: in})
		if !errors.Is(err, access.ErrDataroomDenied) {
			t.Errorf("create %q in the data room [other]: got %v, want ErrDataroomDenied", in.ExtID, err)
		}
		if s.ClientCount() != 0 || len(s.Recorded()) != 0 {
			t.Errorf("stored %d clients and %d events, want none", s.ClientCount(), len(s.Recorded()))
		}
	}
}

// TestCreateClientFailsWithItsDependents: when a dependent refuses (the default policy cannot be
// stored), the client is not created either.
func TestCreateClientFailsWithItsDependents(t *testing.T) {
	s := newClientStore()
	boom := errors.New("policy store down")
	s.deps.Refuse(boom)
	_, err := newClients(s).CreateClient.Do(context.Background(), app.CreateClientCommand{Caller: admin(access.ClientCreate),
		Client: directory.Client{ExtID: "acme", Name: "Acme"}})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the dependent's error", err)
	}
	if s.ClientCount() != 0 || len(s.Recorded()) != 0 {
		t.Errorf("got %d clients and %d events, want none", s.ClientCount(), len(s.Recorded()))
	}
}

func TestCreateClientGeneratesExtID(t *testing.T) {
	s := newClientStore()
	got, err := newClients(s).CreateClient.Do(context.Background(), app.CreateClientCommand{Caller: admin(access.ClientCreate), Client: directory.Client{Name: "Acme"}})
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if told := s.deps.Told(); len(got.ExtID) != 36 || !slices.Equal(told, []string{"ClientCreated " + got.ExtID + " by alice", "ClientSaved " + got.ExtID + " v1"}) {
		t.Errorf("got extId %q and dependents told %q, want a generated UUID, and the dependents told of it", got.ExtID, told)
	}
}

func TestCreateClientRefusals(t *testing.T) {
	tests := []createRefusal[directory.Client]{
		{"without ClientCreate", admin(access.ClientView, access.ClientModify, access.ClientDelete),
			directory.Client{Name: "New"}, access.ErrPermissionDenied},
		{"ClientRoot", caller.Caller{Principal: access.NewAdmin("alice", []string{"ClientRoot"}, nil, nil)},
			directory.Client{Name: "New"}, access.ErrPermissionDenied},
		{"self-admin", self("user-a"), directory.Client{Name: "New"}, access.ErrPermissionDenied},
		{"no name", admin(access.ClientCreate), directory.Client{}, fault.ErrInvalid},
		{"bad extId", admin(access.ClientCreate), directory.Client{ExtID: "a/b", Name: "New"}, fault.ErrInvalid},
		{"bad display name language", admin(access.ClientCreate),
			directory.Client{Name: "New", DisplayName: map[string]string{"english": "x"}}, fault.ErrInvalid},
		{"duplicate name", admin(access.ClientCreate), directory.Client{Name: "Taken"}, fault.ErrDuplicate},
		{"duplicate extId", admin(access.ClientCreate), directory.Client{ExtID: "taken", Name: "New"}, fault.ErrDuplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newClientStore(directory.Client{ExtID: "taken", Name: "Taken"})
			_, err := newClients(s).CreateClient.Do(context.Background(), app.CreateClientCommand{Caller: tt.caller, Client: tt.in})
			refused(t, err, tt.wantErr)
			if s.ClientCount() != 1 || len(s.deps.Told()) != 0 || len(s.Recorded()) != 0 {
				t.Errorf("got %d clients, dependents told %q, %d events; want 1, nothing, 0", s.ClientCount(), s.deps.Told(), len(s.Recorded()))
			}
		})
	}
}

func TestGetClient(t *testing.T) {
	acme := directory.Client{ExtID: "acme", Name: "Acme", Version: 3}
	tests := []struct {
		name      string
		caller    caller.Caller
		extID     string
		wantErr   error
		wantStore bool
	}{
		{"admin", admin(access.ClientView), "acme", nil, true},
		{"inside the data room", adminIn("acme"), "acme", nil, true},
		{"without ClientView", admin(access.ClientModify, access.UserView), "acme", access.ErrPermissionDenied, false},
		{"outside the data room", adminIn("other"), "acme", access.ErrDataroomDenied, false},
		{"empty data room", adminIn(), "acme", access.ErrDataroomDenied, false},
		{"self-admin", self("user-a"), "acme", access.ErrPermissionDenied, false},
		{"unknown client", admin(access.ClientView), "nope", fault.ErrNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newClientStore(acme)
			got, err := newClients(s).GetClient.Do(context.Background(), app.GetClientQuery{Caller: tt.caller, ExtID: tt.extID})
			wantConsulted(t, s, "Get", tt.wantStore)
			if !refused(t, err, tt.wantErr) && !reflect.DeepEqual(got, acme) {
				t.Fatalf("got %+v, want %+v", got, acme)
			}
		})
	}
}

func TestListClients(t *testing.T) {
	clients := []directory.Client{
		{ExtID: "a", Name: "A", Created: now.Add(-3 * time.Hour)},
		{ExtID: "b", Name: "B", Created: now.Add(-2 * time.Hour)},
		{ExtID: "c", Name: "C", Created: now.Add(-time.Hour)},
	}
	tests := []struct {
		name     string
		caller   caller.Caller
		wantOnly []string // nil: every client
		want     []string
	}{
		{"no data room", admin(access.ClientView), nil, []string{"a", "b", "c"}},
		{"data room", adminIn("c", "a", "zz"), []string{"c", "a", "zz"}, []string{"a", "c"}},
		{"empty data room", adminIn(), []string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newClientStore(clients...)
			res, err := newClients(s).ListClients.Do(context.Background(), app.ListClientsQuery{Caller: tt.caller, Page: listing.Page{Limit: 10}})
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if (s.LastOnly() == nil) != (tt.wantOnly == nil) || !slices.Equal(s.LastOnly(), tt.wantOnly) {
				t.Errorf("store filter: got %#v, want %#v", s.LastOnly(), tt.wantOnly)
			}
			var got []string
			for _, c := range res.Items {
				got = append(got, c.ExtID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("items: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListClientsPages(t *testing.T) {
	s := newClientStore(directory.Client{ExtID: "a", Created: now.Add(-2 * time.Hour)}, directory.Client{ExtID: "b", Created: now.Add(-time.Hour)})
	uc := newClients(s)
	first, err := uc.ListClients.Do(context.Background(), app.ListClientsQuery{Caller: admin(access.ClientView), Page: listing.Page{Limit: 1}})
	if err != nil || len(first.Items) != 1 || first.Items[0].ExtID != "a" || first.Next == nil {
		t.Fatalf("first page: got %+v, %v; want [a] and a cursor", first, err)
	}
	second, err := uc.ListClients.Do(context.Background(), app.ListClientsQuery{Caller: admin(access.ClientView), Page: listing.Page{Limit: 1, After: first.Next}})
	if err != nil || len(second.Items) != 1 || second.Items[0].ExtID != "b" || second.Next != nil {
		t.Fatalf("second page: got %+v, %v; want [b] and no cursor", second, err)
	}
}

func TestListClientsRefusals(t *testing.T) {
	for _, c := range []caller.Caller{admin(access.UserView), self("user-a")} {
		s := newClientStore(directory.Client{ExtID: "a"})
		_, err := newClients(s).ListClients.Do(context.Background(), app.ListClientsQuery{Caller: c, Page: listing.Page{Limit: 10}})
		if !errors.Is(err, access.ErrPermissionDenied) {
			t.Errorf("%s: got %v, want an error wrapping ErrPermissionDenied", c.Principal.Mode(), err)
		}
		wantConsulted(t, s, "List", false)
	}
}
