package directorytest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// RunUserStoreContract runs the contract of app.UserStore (UserCreator, UserReader, UserChanger,
// UserStates) against the stores newHarness returns, one fresh harness per case.
func RunUserStoreContract(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	storetest.Run(t, newHarness, userCases)
}

// fullUser is a user of client acme with every field set.
func fullUser(t *testing.T) directory.User {
	t.Helper()
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)
	yes := true
	u, err := directory.NewUser(directory.User{
		ExtID: "alice", ClientExtID: "acme", LoginID: "alice@acme", State: directory.UserDisabled,
		Name:     directory.Name{Title: "Dr.", FirstName: "Alice", FamilyName: "Muster"},
		Contacts: directory.Contacts{Email: "alice@example.com", Mobile: "+41791234567", Telephone: "+41441234567"},
		Address: directory.Address{AddressLine1: "c/o Acme", AddressLine2: "Floor 3", PostalCode: "8001",
			City: "Zürich", Street: "Bahnhofstrasse", HouseNumber: "1a", CountryCode: "CH", DwellingNumber: "12",
			PostOfficeBoxText: "Postfach", PostOfficeBoxNumber: "42", Locality: "Kreis 1"},
		Validity:        directory.Validity{From: &from, To: &to},
		Properties:      map[string]string{"department": "R&D", "quote": `"x" \ y`},
		IsTechnicalUser: &yes, Sex: "female", Gender: "female", BirthDate: "1990-02-28",
		LanguageCode: "de", Remarks: "line one\nline two",
	}, base)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// listUserIDs pages through the client's users, limit at a time.
func listUserIDs(t *testing.T, h Harness, client string, filter app.UserFilter, limit int) []string {
	t.Helper()
	return storetest.PageAll(t, limit, func(p listing.Page) (listing.Result[directory.User], error) {
		return h.Users.List(t.Context(), client, filter, p)
	}, func(u directory.User) string { return u.ExtID })
}

// change is an update callback that applies ch at(60) and records one user.changed event.
func change(ch directory.UserChange) func(context.Context, *directory.User) ([]event.Event, error) {
	return func(_ context.Context, u *directory.User) ([]event.Event, error) {
		if _, err := u.Change(ch, at(60)); err != nil {
			return nil, err
		}
		return []event.Event{entityEvent(directory.UserChanged, u.ClientExtID, u.ExtID, u.Version)}, nil
	}
}

var userCases = []contractCase{
	{Name: "UserCreator/saves the user and its events and runs within", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		u := fullUser(t)
		events := []event.Event{entityEvent(directory.UserCreated, "acme", "alice", 1)}
		ran := 0
		if err := h.Users.Create(t.Context(), u, events, func(context.Context) error { ran++; return nil }); err != nil {
			t.Fatalf("create: got %v, want nil", err)
		}
		if ran != 1 {
			t.Errorf("within: ran %d times, want once", ran)
		}
		wantUser(t, h, u)
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "UserCreator/keeps times in UTC to the microsecond", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		created := time.Date(2026, 11, 26, 22, 30, 0, 123_456_789, time.FixedZone("CET", 60*60))
		u := createUser(t, h, "acme", "alice", "alice", created)
		u.Created, u.LastModified = base, base
		wantUser(t, h, u)
	}},
	{Name: "UserCreator/in an unknown client is a NotFoundError naming the client", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		u := newUser(t, "nowhere", "alice", "alice", base)
		err := h.Users.Create(t.Context(), u, []event.Event{entityEvent(directory.UserCreated, "nowhere", "alice", 1)},
			func(context.Context) error { t.Error("within: ran for an unknown client, want not run"); return nil })
		storetest.WantNotFound(t, err, "client", "nowhere")
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserCreator/refuses a taken extId, or a loginId taken in the client, with ErrDuplicate", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		alice := createUser(t, h, "acme", "alice", "alice", base)
		for _, dup := range []directory.User{
			newUser(t, "acme", "alice", "alice-2", at(1)),   // extId, same client
			newUser(t, "globex", "alice", "alice-3", at(1)), // extId, other client: extIds are unique across clients
			newUser(t, "acme", "alice-4", "alice", at(1)),   // loginId in the client
		} {
			err := h.Users.Create(t.Context(), dup, []event.Event{entityEvent(directory.UserCreated, dup.ClientExtID, dup.ExtID, 1)},
				func(context.Context) error { t.Errorf("within: ran for duplicate %+v, want not run", dup); return nil })
			storetest.WantErr(t, err, fault.ErrDuplicate)
		}
		wantUser(t, h, alice)
		storetest.WantEvents(t, h.Recorded(t), nil)
		if got := listUserIDs(t, h, "globex", app.UserFilter{}, 10); len(got) != 0 {
			t.Errorf("users of globex: got %v, want none", got)
		}
		createUser(t, h, "globex", "galice", "alice", base) // the loginId is unique per client only
	}},
	{Name: "UserCreator/returns within's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		u := newUser(t, "acme", "alice", "alice", base)
		err := h.Users.Create(t.Context(), u, []event.Event{entityEvent(directory.UserCreated, "acme", "alice", 1)},
			func(context.Context) error { return errRefused })
		storetest.WantErr(t, err, errRefused)
		_, err = h.Users.Get(t.Context(), "acme", "alice")
		storetest.WantNotFound(t, err, "user", "alice")
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserReader/Get of a user not in that client is a NotFoundError naming the user", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		createUser(t, h, "acme", "alice", "alice", base)
		for _, tt := range []struct{ client, user string }{{"acme", "bob"}, {"globex", "alice"}, {"nowhere", "alice"}} {
			_, err := h.Users.Get(t.Context(), tt.client, tt.user)
			storetest.WantNotFound(t, err, "user", tt.user)
		}
	}},
	{Name: "UserReader/Create and Get share nothing with the caller", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		u := fullUser(t)
		want := fullUser(t)
		if err := h.Users.Create(t.Context(), u, nil, noWithin); err != nil {
			t.Fatal(err)
		}
		u.Properties["department"], *u.IsTechnicalUser = "changed after Create", false
		got, err := h.Users.Get(t.Context(), "acme", "alice")
		if err != nil {
			t.Fatal(err)
		}
		got.Properties["department"], *got.IsTechnicalUser = "changed after Get", false
		wantUser(t, h, want)
	}},
	{Name: "UserReader/List pages the client's users oldest first, then by extId", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		for _, u := range []struct {
			extID string
			at    int
		}{{"u5", 0}, {"u2", 1}, {"u1", 1}, {"u4", 2}, {"u3", 2}, {"u0", 3}} {
			createUser(t, h, "acme", u.extID, "login-"+u.extID, at(u.at))
		}
		createUser(t, h, "globex", "other", "login-u1", base)
		want := []string{"u5", "u1", "u2", "u3", "u4", "u0"}
		for _, limit := range []int{1, 2, 4, 6, 100} {
			if got := listUserIDs(t, h, "acme", app.UserFilter{}, limit); !slices.Equal(got, want) {
				t.Errorf("limit %d: got %v, want %v", limit, got, want)
			}
		}
		res, err := h.Users.List(t.Context(), "acme", app.UserFilter{}, listing.Page{Limit: 10,
			After: &listing.Cursor{Created: at(1), ExtID: "u1x"}})
		var got []string
		for _, u := range res.Items {
			got = append(got, u.ExtID)
		}
		if want := []string{"u2", "u3", "u4", "u0"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("after a cursor between u1 and u2: got %v (%v), want %v", got, err, want)
		}
	}},
	{Name: "UserReader/List filters by the exact loginId", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		createClient(t, h, "empty", "Empty", base)
		createUser(t, h, "acme", "alice", "alice", at(0))
		createUser(t, h, "acme", "alice2", "Alice", at(1))
		createUser(t, h, "acme", "bob", "bob", at(2))
		createUser(t, h, "globex", "galice", "alice", at(3))
		for _, tt := range []struct {
			client, loginID string
			want            []string
		}{
			{"acme", "", []string{"alice", "alice2", "bob"}},
			{"acme", "alice", []string{"alice"}},
			{"acme", "Alice", []string{"alice2"}},
			{"acme", "ali", nil},
			{"acme", "alice%", nil},
			{"globex", "alice", []string{"galice"}},
			{"globex", "bob", nil},
			{"empty", "", nil},
		} {
			if got := listUserIDs(t, h, tt.client, app.UserFilter{LoginID: tt.loginID}, 10); !slices.Equal(got, tt.want) {
				t.Errorf("client %s, loginId %q: got %v, want %v", tt.client, tt.loginID, got, tt.want)
			}
		}
	}},
	{Name: "UserReader/List searches extId exactly and a prefix of loginId, names and e-mail in any case", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		for i, u := range []directory.User{
			{ExtID: "u1", LoginID: "Alice.M", Name: directory.Name{FirstName: "Alice", FamilyName: "Meier"}, Contacts: directory.Contacts{Email: "am@bank.ch"}},
			{ExtID: "u2", LoginID: "bob", Name: directory.Name{FirstName: "Bob", FamilyName: "Müller"}, Contacts: directory.Contacts{Email: "Bob@Bank.ch"}},
			{ExtID: "mei", LoginID: "carol", Name: directory.Name{FirstName: "Carol", FamilyName: "Stein"}},
			{ExtID: "u4", LoginID: "dan_x", Name: directory.Name{FirstName: "Dan"}},
		} {
			nu := newUser(t, "acme", u.ExtID, u.LoginID, at(i))
			nu.Name, nu.Contacts = u.Name, u.Contacts
			if err := h.Users.Create(t.Context(), nu, nil, noWithin); err != nil {
				t.Fatal(err)
			}
		}
		createUser(t, h, "globex", "g1", "alice", at(5))
		for _, tt := range []struct {
			search string
			want   []string
		}{
			{"alice", []string{"u1"}},      // loginId and first name, once
			{"mei", []string{"u1", "mei"}}, // family name, and an extId that is exactly it
			{"MEI", []string{"u1"}},        // extIds are matched in their own case
			{"m", []string{"u1", "u2"}},    // family names Meier and Müller
			{"müller", []string{"u2"}},     // a prefix in any case, beyond ASCII
			{"bob@bank", []string{"u2"}},   // e-mail
			{"dan_", []string{"u4"}},       // _ is a character, not a wildcard
			{"d%", nil},                    // % too
			{"u", nil},                     // an extId is matched exactly, not by prefix
			{"stein", []string{"mei"}},     // family name
			{"zz", nil},
		} {
			if got := listUserIDs(t, h, "acme", app.UserFilter{Search: tt.search}, 10); !slices.Equal(got, tt.want) {
				t.Errorf("search %q: got %v, want %v", tt.search, got, tt.want)
			}
		}
	}},
	{Name: "UserReader/List of an unknown client is a NotFoundError naming the client", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		_, err := h.Users.List(t.Context(), "nowhere", app.UserFilter{}, listing.Page{Limit: 10})
		storetest.WantNotFound(t, err, "client", "nowhere")
	}},
	{Name: "UserChanger/Update saves fn's change with its events", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		alice := createUser(t, h, "acme", "alice", "alice", base)
		createUser(t, h, "globex", "carol", "carol", base)
		type key struct{}
		ctx := context.WithValue(t.Context(), key{}, "the caller's")
		want := alice
		ev := entityEvent(directory.UserChanged, "acme", "alice", 2)
		err := h.Users.Update(ctx, "acme", "alice", func(ctx context.Context, u *directory.User) ([]event.Event, error) {
			if ctx.Value(key{}) != "the caller's" {
				t.Error("fn: got a context without the caller's values, want one derived from it")
			}
			if !reflect.DeepEqual(*u, alice) {
				t.Errorf("fn: got %+v, want the stored %+v", *u, alice)
			}
			// carol is a loginId of another client only.
			if _, err := u.Change(directory.UserChange{LoginID: directory.To("carol"), State: directory.To(directory.UserDisabled),
				Properties: directory.To(map[string]string{"k": "v"})}, at(60)); err != nil {
				return nil, err
			}
			want = *u
			return []event.Event{ev}, nil
		})
		if err != nil {
			t.Fatalf("update: got %v, want nil", err)
		}
		if want.Version != 2 || want.LoginID != "carol" {
			t.Fatalf("changed user: got %+v, want loginId carol at version 2", want)
		}
		wantUser(t, h, want)
		storetest.WantEvents(t, h.Recorded(t), []event.Event{ev})
	}},
	{Name: "UserChanger/Update saves nothing when fn leaves the version", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		alice := createUser(t, h, "acme", "alice", "alice", base)
		err := h.Users.Update(t.Context(), "acme", "alice", func(_ context.Context, u *directory.User) ([]event.Event, error) {
			u.Remarks = "not saved: the version stays"
			return []event.Event{entityEvent(directory.UserChanged, "acme", "alice", 1)}, nil
		})
		if err != nil {
			t.Fatalf("update: got %v, want nil", err)
		}
		wantUser(t, h, alice)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserChanger/Update returns fn's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		alice := createUser(t, h, "acme", "alice", "alice", base)
		err := h.Users.Update(t.Context(), "acme", "alice", func(_ context.Context, u *directory.User) ([]event.Event, error) {
			u.LoginID, u.Version = "mutated", u.Version+1
			return []event.Event{entityEvent(directory.UserChanged, "acme", "alice", 2)}, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		stale := int32(7)
		err = h.Users.Update(t.Context(), "acme", "alice", func(_ context.Context, u *directory.User) ([]event.Event, error) {
			return nil, u.CheckVersion(&stale)
		})
		var vc *fault.VersionConflictError
		if !errors.As(err, &vc) || vc.Given != 7 || vc.Current != 1 || vc.Entity != "user" {
			t.Errorf("stale version: got %v, want fn's *fault.VersionConflictError given 7, current 1", err)
		}
		err = h.Users.Update(t.Context(), "acme", "alice", change(directory.UserChange{Contacts: directory.To(directory.Contacts{Email: "x"})}))
		storetest.WantErr(t, err, fault.ErrInvalid)
		wantUser(t, h, alice)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserChanger/Update of a user not in that client is a NotFoundError; fn is not called", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		createUser(t, h, "acme", "alice", "alice", base)
		for _, tt := range []struct{ client, user string }{{"acme", "nobody"}, {"globex", "alice"}} {
			err := h.Users.Update(t.Context(), tt.client, tt.user, func(context.Context, *directory.User) ([]event.Event, error) {
				t.Errorf("fn: called for %s/%s, want not called", tt.client, tt.user)
				return nil, nil
			})
			storetest.WantNotFound(t, err, "user", tt.user)
		}
	}},
	{Name: "UserChanger/Update refuses a loginId taken in the client with ErrDuplicate", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		alice := createUser(t, h, "acme", "alice", "alice", base)
		createUser(t, h, "acme", "bob", "bob", base)
		err := h.Users.Update(t.Context(), "acme", "alice", change(directory.UserChange{LoginID: directory.To("bob")}))
		storetest.WantErr(t, err, fault.ErrDuplicate)
		wantUser(t, h, alice)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserChanger/Delete calls fn with the user, then deletes it with fn's events", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		alice := createUser(t, h, "acme", "alice", "alice", base)
		bob := createUser(t, h, "acme", "bob", "bob", base)
		ev := entityEvent(directory.UserDeleted, "acme", "alice", 1)
		var seen []directory.User
		err := h.Users.Delete(t.Context(), "acme", "alice", func(_ context.Context, u directory.User) ([]event.Event, error) {
			seen = append(seen, u)
			return []event.Event{ev}, nil
		})
		if err != nil {
			t.Fatalf("delete: got %v, want nil", err)
		}
		if len(seen) != 1 || !reflect.DeepEqual(seen[0], alice) {
			t.Errorf("fn: got %+v, want one call with %+v", seen, alice)
		}
		_, err = h.Users.Get(t.Context(), "acme", "alice")
		storetest.WantNotFound(t, err, "user", "alice")
		wantUser(t, h, bob)
		storetest.WantEvents(t, h.Recorded(t), []event.Event{ev})
		createUser(t, h, "acme", "alice-2", "alice", base) // the loginId is free again
	}},
	{Name: "UserChanger/Delete returns fn's error unchanged and keeps the user", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		alice := createUser(t, h, "acme", "alice", "alice", base)
		err := h.Users.Delete(t.Context(), "acme", "alice", func(context.Context, directory.User) ([]event.Event, error) {
			return []event.Event{entityEvent(directory.UserDeleted, "acme", "alice", 1)}, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		wantUser(t, h, alice)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "UserChanger/Delete of a user not in that client is a NotFoundError; fn is not called", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		alice := createUser(t, h, "acme", "alice", "alice", base)
		for _, tt := range []struct{ client, user string }{{"acme", "nobody"}, {"globex", "alice"}} {
			err := h.Users.Delete(t.Context(), tt.client, tt.user, func(context.Context, directory.User) ([]event.Event, error) {
				t.Errorf("fn: called for %s/%s, want not called", tt.client, tt.user)
				return nil, nil
			})
			storetest.WantNotFound(t, err, "user", tt.user)
		}
		wantUser(t, h, alice)
	}},
	{Name: "UserStates/tells the state of a user of any client", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		createUser(t, h, "acme", "alice", "alice", base)
		carol := newUser(t, "globex", "carol", "carol", base)
		carol.State = directory.UserArchived
		if err := h.Users.Create(t.Context(), carol, nil, noWithin); err != nil {
			t.Fatal(err)
		}
		if err := h.Users.Update(t.Context(), "acme", "alice", change(directory.UserChange{State: directory.To(directory.UserDisabled)})); err != nil {
			t.Fatal(err)
		}
		for user, want := range map[string]directory.UserState{"alice": directory.UserDisabled, "carol": directory.UserArchived} {
			if got, err := h.Users.UserState(t.Context(), user); err != nil || got != want {
				t.Errorf("state of %s: got %q (%v), want %q", user, got, err, want)
			}
		}
		_, err := h.Users.UserState(t.Context(), "nobody")
		storetest.WantNotFound(t, err, "user", "nobody")
	}},
}
