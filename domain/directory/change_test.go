package directory_test

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/fault"
)

var t1 = t0.Add(time.Hour)

func ptr[T any](v T) *T { return &v }

func TestCheckVersion(t *testing.T) {
	c := directory.Client{ExtID: "acme", Name: "Acme", Version: 4}
	u := directory.User{ExtID: "jdoe", LoginID: "jdoe", Version: 7}
	tests := []struct {
		name    string
		check   func() error
		wantMsg string // empty: no conflict
	}{
		{"client without version", func() error { return c.CheckVersion(nil) }, ""},
		{"client at its version", func() error { return c.CheckVersion(ptr[int32](4)) }, ""},
		{"client stale", func() error { return c.CheckVersion(ptr[int32](3)) }, "version 3 is stale; the client is at version 4"},
		{"client ahead", func() error { return c.CheckVersion(ptr[int32](5)) }, "version 5 is stale; the client is at version 4"},
		{"client negative", func() error { return c.CheckVersion(ptr[int32](-1)) }, "version -1 is stale; the client is at version 4"},
		{"user without version", func() error { return u.CheckVersion(nil) }, ""},
		{"user at its version", func() error { return u.CheckVersion(ptr[int32](7)) }, ""},
		{"user stale", func() error { return u.CheckVersion(ptr[int32](1)) }, "version 1 is stale; the user is at version 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check()
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var vc *fault.VersionConflictError
			if !errors.As(err, &vc) || !errors.Is(err, fault.ErrVersionConflict) {
				t.Fatalf("got %v, want a *VersionConflictError wrapping ErrVersionConflict", err)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message: got %q, want %q", err.Error(), tt.wantMsg)
			}
		})
	}
}

// changeCase is one change C of a client or a user E: what it sets on the stored entity, or the
// field it refuses.
type changeCase[E, C any] struct {
	name      string
	change    C
	want      func(e *E) // applied to the stored entity; version and time are checked apart
	wantField string     // empty: valid
}

// runChanges applies each case's change at t1 to the entity as stored. A refused change must name
// its field and leave the entity unchanged. A valid one must leave the entity as the case wants it,
// moved on by next (its version and time), unless it repeats the stored values: then nothing
// changes, the version included. check, when set, looks at every changed entity too.
func runChanges[E, C any](t *testing.T, stored func() E, change func(*E, C, time.Time) (bool, error), next func(*E),
	check func(t *testing.T, e E), cases []changeCase[E, C]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			e := stored()
			changed, err := change(&e, tt.change, t1)
			if tt.wantField != "" {
				checkInvalidField(t, err, tt.wantField)
				if !reflect.DeepEqual(e, stored()) {
					t.Errorf("after a refused change: got %+v, want it unchanged %+v", e, stored())
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			want := stored()
			tt.want(&want)
			wantChanged := !reflect.DeepEqual(want, stored())
			if wantChanged {
				next(&want)
			}
			if !reflect.DeepEqual(e, want) || changed != wantChanged {
				t.Errorf("got\n %+v (changed %v)\nwant\n %+v (changed %v)", e, changed, want, wantChanged)
			}
			if check != nil {
				check(t, e)
			}
		})
	}
}

func TestClientChange(t *testing.T) {
	stored := func() directory.Client {
		return directory.Client{ExtID: "acme", Name: "Acme", DisplayName: map[string]string{"EN": "Acme Ltd", "DE": "Acme AG"},
			Remarks: "old", Created: t0, LastModified: t0, Version: 3}
	}
	next := func(c *directory.Client) { c.Version, c.LastModified = 4, t1 }
	runChanges(t, stored, (*directory.Client).Change, next, nil, []changeCase[directory.Client, directory.ClientChange]{
		{"nothing set keeps every member", directory.ClientChange{}, func(*directory.Client) {}, ""},
		{"name", directory.ClientChange{Name: directory.To("Acme 2")}, func(c *directory.Client) { c.Name = "Acme 2" }, ""},
		{"remarks", directory.ClientChange{Remarks: directory.To("new")}, func(c *directory.Client) { c.Remarks = "new" }, ""},
		{"remarks cleared", directory.ClientChange{Remarks: directory.To("")}, func(c *directory.Client) { c.Remarks = "" }, ""},
		{"displayName replaced whole", directory.ClientChange{DisplayName: directory.To(map[string]string{"FR": "Acme SA"})},
			func(c *directory.Client) { c.DisplayName = map[string]string{"FR": "Acme SA"} }, ""},
		{"displayName cleared by nil", directory.ClientChange{DisplayName: directory.To[map[string]string](nil)},
			func(c *directory.Client) { c.DisplayName = nil }, ""},
		{"displayName cleared by an empty map", directory.ClientChange{DisplayName: directory.To(map[string]string{})},
			func(c *directory.Client) { c.DisplayName = nil }, ""},
		{"all members", directory.ClientChange{Name: directory.To("B"), Remarks: directory.To("r"), DisplayName: directory.To(map[string]string{"en": "b"}),
			Comment: strings.Repeat("é", directory.MaxCommentLength)},
			func(c *directory.Client) { c.Name, c.Remarks, c.DisplayName = "B", "r", map[string]string{"en": "b"} }, ""},
		{"name cleared", directory.ClientChange{Name: directory.To("")}, nil, "name"},
		{"name blank", directory.ClientChange{Name: directory.To("  ")}, nil, "name"},
		{"name 256 characters", directory.ClientChange{Name: directory.To(strings.Repeat("n", 256))}, nil, "name"},
		{"displayName bad language", directory.ClientChange{DisplayName: directory.To(map[string]string{"english": "x"})}, nil, "displayName"},
		{"remarks 4001 characters", directory.ClientChange{Remarks: directory.To(strings.Repeat("r", 4001))}, nil, "remarks"},
		{"comment too long", directory.ClientChange{Comment: strings.Repeat("c", directory.MaxCommentLength+1)}, nil, "modificationComment"},
	})
}

func TestClientChangeCopiesTheDisplayName(t *testing.T) {
	c := directory.Client{ExtID: "acme", Name: "Acme", Version: 1}
	in := map[string]string{"EN": "Acme"}
	if _, err := c.Change(directory.ClientChange{DisplayName: directory.To(in)}, t1); err != nil {
		t.Fatal(err)
	}
	in["EN"] = "changed later"
	if got := c.DisplayName["EN"]; got != "Acme" {
		t.Errorf("displayName after the caller's map changed: got %q, want %q", got, "Acme")
	}
}

func TestClientChangeBumpsByOneEachTime(t *testing.T) {
	c := directory.Client{ExtID: "acme", Name: "Acme", Created: t0, LastModified: t0, Version: 1}
	for i := range 5 {
		at := t0.Add(time.Duration(i+1) * time.Minute)
		if _, err := c.Change(directory.ClientChange{Remarks: directory.To(fmt.Sprint("r", i))}, at); err != nil {
			t.Fatal(err)
		}
		if c.Version != int32(i+2) || !c.LastModified.Equal(at) || !c.Created.Equal(t0) {
			t.Fatalf("change %d: got version %d modified %v created %v, want %d, %v, %v", i+1, c.Version, c.LastModified, c.Created, i+2, at, t0)
		}
	}
}

func TestClientCheckDeletable(t *testing.T) {
	c := directory.Client{ExtID: "acme", Name: "Acme"}
	if err := c.CheckDeletable(0); err != nil {
		t.Errorf("no users: got %v, want nil", err)
	}
	for _, n := range []int{1, 2, 1000} {
		if err := c.CheckDeletable(n); !errors.Is(err, directory.ErrHasDependents) {
			t.Errorf("%d users: got %v, want ErrHasDependents", n, err)
		}
	}
}

func TestUserChange(t *testing.T) {
	yes, no := true, false
	from, to := t0, t0.Add(24*time.Hour)
	stored := func() directory.User {
		return directory.User{ExtID: "jdoe", ClientExtID: "acme", LoginID: "jdoe", State: directory.UserActive,
			Name:     directory.Name{Title: "Dr", FirstName: "Jane", FamilyName: "Doe"},
			Contacts: directory.Contacts{Email: "jane@example.com", Mobile: "+41791234567"},
			Address:  directory.Address{City: "Bern", CountryCode: "CH"}, LanguageCode: "de", Remarks: "r",
			IsTechnicalUser: &no, Sex: "f", Gender: "female", BirthDate: "1990-02-28",
			Validity: directory.Validity{From: &from}, Properties: map[string]string{"k": "v"},
			Created: t0, LastModified: t0, Version: 2}
	}
	identity := func(t *testing.T, u directory.User) {
		t.Helper()
		if u.ExtID != "jdoe" || u.ClientExtID != "acme" || !u.Created.Equal(t0) {
			t.Errorf("identity: got %s of %s created %v, want jdoe of acme created %v", u.ExtID, u.ClientExtID, u.Created, t0)
		}
	}
	next := func(u *directory.User) { u.Version, u.LastModified = 3, t1 }
	runChanges(t, stored, (*directory.User).Change, next, identity, []changeCase[directory.User, directory.UserChange]{
		{"nothing set keeps every member", directory.UserChange{}, func(*directory.User) {}, ""},
		{"loginId", directory.UserChange{LoginID: directory.To("jane")}, func(u *directory.User) { u.LoginID = "jane" }, ""},
		{"disabled", directory.UserChange{State: directory.To(directory.UserDisabled)}, func(u *directory.User) { u.State = directory.UserDisabled }, ""},
		{"archived", directory.UserChange{State: directory.To(directory.UserArchived)}, func(u *directory.User) { u.State = directory.UserArchived }, ""},
		{"name replaced whole", directory.UserChange{Name: directory.To(directory.Name{FirstName: "Janet"})},
			func(u *directory.User) { u.Name = directory.Name{FirstName: "Janet"} }, ""},
		{"contacts replaced whole", directory.UserChange{Contacts: directory.To(directory.Contacts{Telephone: "+41441234567"})},
			func(u *directory.User) { u.Contacts = directory.Contacts{Telephone: "+41441234567"} }, ""},
		{"contacts cleared", directory.UserChange{Contacts: directory.To(directory.Contacts{})},
			func(u *directory.User) { u.Contacts = directory.Contacts{} }, ""},
		{"address replaced whole", directory.UserChange{Address: directory.To(directory.Address{Street: "Main"})},
			func(u *directory.User) { u.Address = directory.Address{Street: "Main"} }, ""},
		{"validity replaced whole", directory.UserChange{Validity: directory.To(directory.Validity{To: &to})},
			func(u *directory.User) { u.Validity = directory.Validity{To: &to} }, ""},
		{"properties replaced whole", directory.UserChange{Properties: directory.To(map[string]string{"a": "b"})},
			func(u *directory.User) { u.Properties = map[string]string{"a": "b"} }, ""},
		{"properties cleared", directory.UserChange{Properties: directory.To[map[string]string](nil)},
			func(u *directory.User) { u.Properties = nil }, ""},
		{"isTechnicalUser true", directory.UserChange{IsTechnicalUser: directory.To(&yes)}, func(u *directory.User) { u.IsTechnicalUser = &yes }, ""},
		{"isTechnicalUser cleared", directory.UserChange{IsTechnicalUser: directory.To[*bool](nil)}, func(u *directory.User) { u.IsTechnicalUser = nil }, ""},
		{"scalars", directory.UserChange{LanguageCode: directory.To("EN"), Remarks: directory.To(""), Sex: directory.To("m"),
			Gender: directory.To("male"), BirthDate: directory.To("2000-02-29")},
			func(u *directory.User) {
				u.LanguageCode, u.Remarks, u.Sex, u.Gender, u.BirthDate = "EN", "", "m", "male", "2000-02-29"
			}, ""},
		{"comment of 1024 characters", directory.UserChange{Comment: strings.Repeat("😀", 1024)}, func(*directory.User) {}, ""},
		{"loginId cleared", directory.UserChange{LoginID: directory.To("")}, nil, "loginId"},
		{"loginId 256", directory.UserChange{LoginID: directory.To(strings.Repeat("l", 256))}, nil, "loginId"},
		{"state cleared", directory.UserChange{State: directory.To[directory.UserState]("")}, nil, "userState"},
		{"state unknown", directory.UserChange{State: directory.To[directory.UserState]("locked")}, nil, "userState"},
		{"email invalid", directory.UserChange{Contacts: directory.To(directory.Contacts{Email: "no-at"})}, nil, "contacts.email"},
		{"mobile not E.164", directory.UserChange{Contacts: directory.To(directory.Contacts{Mobile: "079 123 45 67"})}, nil, "contacts.mobile"},
		{"telephone not E.164", directory.UserChange{Contacts: directory.To(directory.Contacts{Telephone: "+0441234567"})}, nil, "contacts.telephone"},
		{"gender invalid", directory.UserChange{Gender: directory.To("x")}, nil, "gender"},
		{"birthDate invalid", directory.UserChange{BirthDate: directory.To("1990-02-30")}, nil, "birthDate"},
		{"languageCode invalid", directory.UserChange{LanguageCode: directory.To("deu")}, nil, "languageCode"},
		{"validity to before the stored from", directory.UserChange{Validity: directory.To(directory.Validity{From: &to, To: &from})}, nil, "validity"},
		{"properties with an empty name", directory.UserChange{Properties: directory.To(map[string]string{"": "v"})}, nil, "properties"},
		{"firstName 256", directory.UserChange{Name: directory.To(directory.Name{FirstName: strings.Repeat("f", 256)})}, nil, "name.firstName"},
		{"comment too long", directory.UserChange{Comment: strings.Repeat("c", 1025)}, nil, "modificationComment"},
	})
}

func TestUserChangeCopiesWhatItKeeps(t *testing.T) {
	u := directory.User{ExtID: "jdoe", ClientExtID: "acme", LoginID: "jdoe", State: directory.UserActive, Version: 1}
	props, tech := map[string]string{"k": "v"}, true
	if _, err := u.Change(directory.UserChange{Properties: directory.To(props), IsTechnicalUser: directory.To(&tech)}, t1); err != nil {
		t.Fatal(err)
	}
	props["k"], tech = "changed later", false
	if !maps.Equal(u.Properties, map[string]string{"k": "v"}) || u.IsTechnicalUser == nil || !*u.IsTechnicalUser {
		t.Errorf("after the caller's values changed: got properties %v technical %v, want {k: v} and true", u.Properties, u.IsTechnicalUser)
	}
}

// TestChangeTimeNeverGoesBackwards: a change whose clock reads earlier than the last change is
// recorded at the last change's time, so an entity's history stays in order.
func TestChangeTimeNeverGoesBackwards(t *testing.T) {
	c := directory.Client{ExtID: "acme", Name: "Acme", Created: t0, LastModified: t1, Version: 2}
	if _, err := c.Change(directory.ClientChange{Remarks: directory.To("late clock")}, t0); err != nil {
		t.Fatal(err)
	}
	u := directory.User{ExtID: "jdoe", ClientExtID: "acme", LoginID: "jdoe", State: directory.UserActive,
		Created: t0, LastModified: t1, Version: 2}
	if _, err := u.Change(directory.UserChange{Remarks: directory.To("late clock")}, t0); err != nil {
		t.Fatal(err)
	}
	if !c.LastModified.Equal(t1) || !u.LastModified.Equal(t1) {
		t.Errorf("lastModified: got client %s, user %s; want both %s", c.LastModified, u.LastModified, t1)
	}
}
