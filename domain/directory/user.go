package directory

import (
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/otpcard/otpcard/domain/extid"
)

// UserState is a user's life-cycle state.
type UserState string

// The user states.
const (
	UserActive   UserState = "active"
	UserDisabled UserState = "disabled"
	UserArchived UserState = "archived"
)

// Name is a person's name.
type Name struct {
	Title, FirstName, FamilyName string
}

// Contacts are a user's contact addresses. Phone numbers are E.164.
type Contacts struct {
	Email, Mobile, Telephone string
}

// Address is a postal address, stored as given.
type Address struct {
	AddressLine1, AddressLine2, PostalCode, City, Street, HouseNumber, CountryCode,
	DwellingNumber, PostOfficeBoxText, PostOfficeBoxNumber, Locality string
}

// Validity bounds when a user may act; nil ends are open.
type Validity struct {
	From, To *time.Time
}

// User is a person in a client.
type User struct {
	ExtID, ClientExtID, LoginID string
	State                       UserState
	Name                        Name
	Contacts                    Contacts
	LanguageCode, Remarks       string
	IsTechnicalUser             *bool
	Sex, Gender                 string
	// BirthDate is a calendar date, YYYY-MM-DD.
	BirthDate    string
	Address      Address
	Validity     Validity
	Properties   map[string]string
	Created      time.Time
	LastModified time.Time
	Version      int32
}

// NewUser validates a fresh user of a client; an empty extId is generated, an empty state is
// active.
func NewUser(u User, now time.Time) (User, error) {
	if u.ExtID == "" {
		u.ExtID = extid.New()
	}
	if err := extid.Validate(u.ExtID); err != nil {
		return User{}, &InvalidFieldError{"extId", err.Error()}
	}
	if u.State == "" {
		u.State = UserActive
	}
	if err := u.validate(); err != nil {
		return User{}, err
	}
	u.Created, u.LastModified, u.Version = now, now, 1
	return u, nil
}

func (u User) validate() error {
	if strings.TrimSpace(u.LoginID) == "" {
		return &InvalidFieldError{"loginId", "is required"}
	}
	checks := []error{
		maxLen("loginId", u.LoginID, 255),
		maxLen("remarks", u.Remarks, 4000),
		maxLen("name.title", u.Name.Title, 255),
		maxLen("name.firstName", u.Name.FirstName, 255),
		maxLen("name.familyName", u.Name.FamilyName, 255),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	switch u.State {
	case UserActive, UserDisabled, UserArchived:
	default:
		return &InvalidFieldError{"userState", "must be active, disabled or archived"}
	}
	switch u.Gender {
	case "", "female", "male", "other":
	default:
		return &InvalidFieldError{"gender", "must be female, male or other"}
	}
	if u.Contacts.Email != "" {
		a, err := mail.ParseAddress(u.Contacts.Email)
		if err != nil || a.Address != u.Contacts.Email || a.Name != "" {
			return &InvalidFieldError{"contacts.email", "is not an email address"}
		}
	}
	if u.Contacts.Mobile != "" && !isE164(u.Contacts.Mobile) {
		return &InvalidFieldError{"contacts.mobile", "must be an E.164 number such as +41791234567"}
	}
	if u.Contacts.Telephone != "" && !isE164(u.Contacts.Telephone) {
		return &InvalidFieldError{"contacts.telephone", "must be an E.164 number such as +41441234567"}
	}
	if u.BirthDate != "" {
		if _, err := time.Parse(time.DateOnly, u.BirthDate); err != nil {
			return &InvalidFieldError{"birthDate", "must be a date YYYY-MM-DD"}
		}
	}
	if u.LanguageCode != "" && !isLanguage(u.LanguageCode) {
		return &InvalidFieldError{"languageCode", "must be a two-letter language code"}
	}
	if f, t := u.Validity.From, u.Validity.To; f != nil && t != nil && t.Before(*f) {
		return &InvalidFieldError{"validity", "to lies before from"}
	}
	if len(u.Properties) > 100 {
		return &InvalidFieldError{"properties", "at most 100 properties"}
	}
	for k, v := range u.Properties {
		if k == "" || len(k) > 255 || len(v) > 4000 {
			return &InvalidFieldError{"properties", fmt.Sprintf("property %.40q: names are 1-255 bytes, values at most 4000", k)}
		}
	}
	return nil
}

// isE164 accepts + followed by 2-15 digits, the first not zero.
func isE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
