package postgres_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/domain/directory"
)

func TestUserStoreProfileRoundTrip(t *testing.T) {
	db := openDB(t)
	createClient(t, db, "acme", "Acme", base)
	store := postgres.NewUserStore(db)

	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)
	yes, no := true, false
	tests := []struct {
		name string
		user directory.User
	}{
		{"every field", directory.User{
			ExtID: "alice", ClientExtID: "acme", LoginID: "alice@acme", State: directory.UserDisabled,
			Name:     directory.Name{Title: "Dr.", FirstName: "Alice", FamilyName: "Muster"},
			Contacts: directory.Contacts{Email: "alice@example.com", Mobile: "+41791234567", Telephone: "+41441234567"},
			Address: directory.Address{AddressLine1: "c/o Acme", AddressLine2: "Floor 3", PostalCode: "8001",
				City: "Zürich", Street: "Bahnhofstrasse", HouseNumber: "1a", CountryCode: "CH",
				DwellingNumber: "12", PostOfficeBoxText: "Postfach", PostOfficeBoxNumber: "42", Locality: "Kreis 1"},
			Validity:        directory.Validity{From: &from, To: &to},
			Properties:      map[string]string{"department": "R&D", "costCenter": "4711", "quote": `"x" \ y`},
			IsTechnicalUser: &yes, Sex: "female", Gender: "female", BirthDate: "1990-02-28",
			LanguageCode: "de", Remarks: "line one\nline two",
		}},
		{"technical user false", directory.User{ExtID: "svc", ClientExtID: "acme", LoginID: "svc", IsTechnicalUser: &no}},
		{"only the required fields", directory.User{ExtID: "bare", ClientExtID: "acme", LoginID: "bare"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := directory.NewUser(tt.user, base)
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Create(t.Context(), want, userEvents(want), noWithin); err != nil {
				t.Fatalf("create: got %v, want nil", err)
			}
			got, err := store.Get(t.Context(), "acme", want.ExtID)
			if err != nil {
				t.Fatalf("get: got %v, want nil", err)
			}
			assertTime(t, "created", got.Created, base)
			assertTime(t, "lastModified", got.LastModified, base)
			got.Created, got.LastModified = want.Created, want.LastModified
			if !reflect.DeepEqual(got, want) {
				t.Errorf("user:\n got %+v\nwant %+v", got, want)
			}
			if n := count(t, db, "SELECT count(*) FROM events WHERE type = 'user.created' AND user_ext_id = ?", want.ExtID); n != 1 {
				t.Errorf("user.created events: got %d, want 1", n)
			}
		})
	}
}
