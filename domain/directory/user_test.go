package directory_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/directory"
)

func TestNewUserDefaults(t *testing.T) {
	yes := true
	in := directory.User{
		ClientExtID: "client-a", LoginID: "jdoe", Name: directory.Name{Title: "Dr", FirstName: "Jane", FamilyName: "Doe"},
		Contacts:     directory.Contacts{Email: "jane@example.com", Mobile: "+41791234567", Telephone: "+41441234567"},
		LanguageCode: "de", Remarks: "r", IsTechnicalUser: &yes, Sex: "x", Gender: "female", BirthDate: "1990-02-28",
		Address:    directory.Address{AddressLine1: "l1", City: "Zürich", CountryCode: "CH", PostOfficeBoxNumber: "12"},
		Properties: map[string]string{"k": "v"},
	}
	u, err := directory.NewUser(in, t0)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if !uuidV4.MatchString(u.ExtID) {
		t.Errorf("ExtID: got %q, want a generated v4 UUID", u.ExtID)
	}
	if u.State != directory.UserActive || u.Version != 1 || !u.Created.Equal(t0) || !u.LastModified.Equal(t0) {
		t.Errorf("got state %q version %d created %v modified %v, want active, 1, %v, %v",
			u.State, u.Version, u.Created, u.LastModified, t0, t0)
	}
	want := in
	want.ExtID, want.State, want.Created, want.LastModified, want.Version = u.ExtID, directory.UserActive, t0, t0, 1
	if u.Name != want.Name || u.Contacts != want.Contacts || u.Address != want.Address || u.BirthDate != want.BirthDate ||
		u.Gender != want.Gender || u.Sex != want.Sex || u.IsTechnicalUser != want.IsTechnicalUser || !maps.Equal(u.Properties, want.Properties) {
		t.Errorf("got %+v, want the input kept: %+v", u, want)
	}
}

func TestNewUserValidation(t *testing.T) {
	at := func(d time.Duration) *time.Time { x := t0.Add(d); return &x }
	props := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprint("k", i)] = "v"
		}
		return m
	}
	tests := []struct {
		name      string
		change    func(u *directory.User)
		wantField string // empty: valid
	}{
		{"minimal", func(u *directory.User) {}, ""},
		{"given extId", func(u *directory.User) { u.ExtID = "user-1" }, ""},
		{"bad extId", func(u *directory.User) { u.ExtID = "user/1" }, "extId"},
		{"no loginId", func(u *directory.User) { u.LoginID = "" }, "loginId"},
		{"blank loginId", func(u *directory.User) { u.LoginID = "  " }, "loginId"},
		{"loginId 255", func(u *directory.User) { u.LoginID = strings.Repeat("ß", 255) }, ""},
		{"loginId 256", func(u *directory.User) { u.LoginID = strings.Repeat("ß", 256) }, "loginId"},
		{"disabled", func(u *directory.User) { u.State = directory.UserDisabled }, ""},
		{"archived", func(u *directory.User) { u.State = directory.UserArchived }, ""},
		{"unknown state", func(u *directory.User) { u.State = "locked" }, "userState"},
		{"state with capital", func(u *directory.User) { u.State = "Active" }, "userState"},
		{"female", func(u *directory.User) { u.Gender = "female" }, ""},
		{"male", func(u *directory.User) { u.Gender = "male" }, ""},
		{"other", func(u *directory.User) { u.Gender = "other" }, ""},
		{"Female", func(u *directory.User) { u.Gender = "Female" }, "gender"},
		{"diverse", func(u *directory.User) { u.Gender = "diverse" }, "gender"},
		{"email", func(u *directory.User) { u.Contacts.Email = "jane.doe+x@example.co.uk" }, ""},
		{"email without @", func(u *directory.User) { u.Contacts.Email = "not-an-email" }, "contacts.email"},
		{"email with name", func(u *directory.User) { u.Contacts.Email = "Jane <jane@example.com>" }, "contacts.email"},
		{"email in brackets", func(u *directory.User) { u.Contacts.Email = "<jane@example.com>" }, "contacts.email"},
		{"email with trailing space", func(u *directory.User) { u.Contacts.Email = "jane@example.com " }, "contacts.email"},
		{"two @", func(u *directory.User) { u.Contacts.Email = "a@b@c" }, "contacts.email"},
		{"mobile", func(u *directory.User) { u.Contacts.Mobile = "+41791234567" }, ""},
		{"mobile shortest", func(u *directory.User) { u.Contacts.Mobile = "+12" }, ""},
		{"mobile 15 digits", func(u *directory.User) { u.Contacts.Mobile = "+123456789012345" }, ""},
		{"mobile 16 digits", func(u *directory.User) { u.Contacts.Mobile = "+1234567890123456" }, "contacts.mobile"},
		{"mobile one digit", func(u *directory.User) { u.Contacts.Mobile = "+1" }, "contacts.mobile"},
		{"mobile plus only", func(u *directory.User) { u.Contacts.Mobile = "+" }, "contacts.mobile"},
		{"mobile national", func(u *directory.User) { u.Contacts.Mobile = "0791234567" }, "contacts.mobile"},
		{"mobile leading zero", func(u *directory.User) { u.Contacts.Mobile = "+041791234567" }, "contacts.mobile"},
		{"mobile spaces", func(u *directory.User) { u.Contacts.Mobile = "+41 79 123 45 67" }, "contacts.mobile"},
		{"mobile dashes", func(u *directory.User) { u.Contacts.Mobile = "+41-79-1234567" }, "contacts.mobile"},
		{"mobile letters", func(u *directory.User) { u.Contacts.Mobile = "+4179CALLME" }, "contacts.mobile"},
		{"telephone", func(u *directory.User) { u.Contacts.Telephone = "+41441234567" }, ""},
		{"telephone national", func(u *directory.User) { u.Contacts.Telephone = "044 123 45 67" }, "contacts.telephone"},
		{"telephone 00 prefix", func(u *directory.User) { u.Contacts.Telephone = "0041441234567" }, "contacts.telephone"},
		{"birthDate", func(u *directory.User) { u.BirthDate = "1990-02-28" }, ""},
		{"birthDate leap day", func(u *directory.User) { u.BirthDate = "2000-02-29" }, ""},
		{"birthDate not a day", func(u *directory.User) { u.BirthDate = "1990-02-30" }, "birthDate"},
		{"birthDate dotted", func(u *directory.User) { u.BirthDate = "28.02.1990" }, "birthDate"},
		{"birthDate short month", func(u *directory.User) { u.BirthDate = "1990-2-28" }, "birthDate"},
		{"birthDate with time", func(u *directory.User) { u.BirthDate = "1990-02-28T00:00:00Z" }, "birthDate"},
		{"languageCode", func(u *directory.User) { u.LanguageCode = "EN" }, ""},
		{"languageCode three letters", func(u *directory.User) { u.LanguageCode = "deu" }, "languageCode"},
		{"languageCode one letter", func(u *directory.User) { u.LanguageCode = "d" }, "languageCode"},
		{"validity ordered", func(u *directory.User) { u.Validity = directory.Validity{From: at(0), To: at(time.Hour)} }, ""},
		{"validity of an instant", func(u *directory.User) { u.Validity = directory.Validity{From: at(0), To: at(0)} }, ""},
		{"validity from only", func(u *directory.User) { u.Validity = directory.Validity{From: at(0)} }, ""},
		{"validity to only", func(u *directory.User) { u.Validity = directory.Validity{To: at(0)} }, ""},
		{"validity reversed", func(u *directory.User) { u.Validity = directory.Validity{From: at(time.Hour), To: at(0)} }, "validity"},
		{"100 properties", func(u *directory.User) { u.Properties = props(100) }, ""},
		{"101 properties", func(u *directory.User) { u.Properties = props(101) }, "properties"},
		{"empty property name", func(u *directory.User) { u.Properties = map[string]string{"": "v"} }, "properties"},
		{"property name 256 bytes", func(u *directory.User) { u.Properties = map[string]string{strings.Repeat("k", 256): "v"} }, "properties"},
		{"property value 4001 bytes", func(u *directory.User) { u.Properties = map[string]string{"k": strings.Repeat("v", 4001)} }, "properties"},
		{"title 256", func(u *directory.User) { u.Name.Title = strings.Repeat("t", 256) }, "name.title"},
		{"firstName 256", func(u *directory.User) { u.Name.FirstName = strings.Repeat("f", 256) }, "name.firstName"},
		{"familyName 256", func(u *directory.User) { u.Name.FamilyName = strings.Repeat("f", 256) }, "name.familyName"},
		{"remarks 4001", func(u *directory.User) { u.Remarks = strings.Repeat("r", 4001) }, "remarks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := directory.User{ClientExtID: "client-a", LoginID: "jdoe"}
			tt.change(&in)
			u, err := directory.NewUser(in, t0)
			if tt.wantField != "" {
				checkInvalidField(t, err, tt.wantField)
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if in.ExtID != "" && u.ExtID != in.ExtID {
				t.Errorf("ExtID: got %q, want %q", u.ExtID, in.ExtID)
			}
			if in.State != "" && u.State != in.State {
				t.Errorf("State: got %q, want %q", u.State, in.State)
			}
		})
	}
}
