package httpapi

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	appdirectory "github.com/otpcard/otpcard/application/directory"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/directory"
)

type userNameJSON struct {
	Title      string `json:"title,omitempty"`
	FirstName  string `json:"firstName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

type userContactsJSON struct {
	Email     string `json:"email,omitempty"`
	Mobile    string `json:"mobile,omitempty"`
	Telephone string `json:"telephone,omitempty"`
}

type userAddressJSON struct {
	AddressLine1        string `json:"addressline1,omitempty"`
	AddressLine2        string `json:"addressline2,omitempty"`
	PostalCode          string `json:"postalCode,omitempty"`
	City                string `json:"city,omitempty"`
	Street              string `json:"street,omitempty"`
	HouseNumber         string `json:"houseNumber,omitempty"`
	CountryCode         string `json:"countryCode,omitempty"`
	DwellingNumber      string `json:"dwellingNumber,omitempty"`
	PostOfficeBoxText   string `json:"postOfficeBoxText,omitempty"`
	PostOfficeBoxNumber string `json:"postOfficeBoxNumber,omitempty"`
	Locality            string `json:"locality,omitempty"`
}

type validityJSON struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// userFields are the members a user shares between requests and responses.
type userFields struct {
	ExtID           string            `json:"extId,omitempty"`
	LoginID         string            `json:"loginId"`
	UserState       string            `json:"userState,omitempty"`
	Name            *userNameJSON     `json:"name,omitempty"`
	Contacts        *userContactsJSON `json:"contacts,omitempty"`
	LanguageCode    string            `json:"languageCode,omitempty"`
	Remarks         string            `json:"remarks,omitempty"`
	IsTechnicalUser *bool             `json:"isTechnicalUser,omitempty"`
	Sex             string            `json:"sex,omitempty"`
	Gender          string            `json:"gender,omitempty"`
	BirthDate       string            `json:"birthDate,omitempty"`
	Address         *userAddressJSON  `json:"address,omitempty"`
	Validity        *validityJSON     `json:"validity,omitempty"`
	Properties      map[string]string `json:"properties,omitempty"`
}

type userJSON struct {
	userFields
	ClientExtID  string `json:"clientExtId"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Version      int32  `json:"version"`
}

func userWire(u directory.User) userJSON {
	f := userFields{ExtID: u.ExtID, LoginID: u.LoginID, UserState: string(u.State),
		LanguageCode: u.LanguageCode, Remarks: u.Remarks, IsTechnicalUser: u.IsTechnicalUser,
		Sex: u.Sex, Gender: u.Gender, BirthDate: u.BirthDate, Properties: u.Properties}
	if u.Name != (directory.Name{}) {
		f.Name = &userNameJSON{u.Name.Title, u.Name.FirstName, u.Name.FamilyName}
	}
	if u.Contacts != (directory.Contacts{}) {
		f.Contacts = &userContactsJSON{u.Contacts.Email, u.Contacts.Mobile, u.Contacts.Telephone}
	}
	if a := u.Address; a != (directory.Address{}) {
		f.Address = &userAddressJSON{a.AddressLine1, a.AddressLine2, a.PostalCode, a.City, a.Street,
			a.HouseNumber, a.CountryCode, a.DwellingNumber, a.PostOfficeBoxText, a.PostOfficeBoxNumber, a.Locality}
	}
	if u.Validity.From != nil || u.Validity.To != nil {
		f.Validity = &validityJSON{}
		if u.Validity.From != nil {
			f.Validity.From = timeJSON(*u.Validity.From)
		}
		if u.Validity.To != nil {
			f.Validity.To = timeJSON(*u.Validity.To)
		}
	}
	return userJSON{userFields: f, ClientExtID: u.ClientExtID, Created: timeJSON(u.Created),
		LastModified: timeJSON(u.LastModified), Version: u.Version}
}

// userOf turns a request body into a user of the client.
func userOf(clientExtID string, f userFields) (directory.User, error) {
	u := directory.User{ExtID: f.ExtID, ClientExtID: clientExtID, LoginID: f.LoginID,
		State: directory.UserState(f.UserState), LanguageCode: f.LanguageCode, Remarks: f.Remarks,
		IsTechnicalUser: f.IsTechnicalUser, Sex: f.Sex, Gender: f.Gender, BirthDate: f.BirthDate,
		Properties: f.Properties}
	if f.Name != nil {
		u.Name = nameOf(*f.Name)
	}
	if f.Contacts != nil {
		u.Contacts = contactsOf(*f.Contacts)
	}
	if f.Address != nil {
		u.Address = addressOf(*f.Address)
	}
	if f.Validity != nil {
		var err error
		if u.Validity, err = validityOf(*f.Validity); err != nil {
			return u, err
		}
	}
	return u, nil
}

func nameOf(n userNameJSON) directory.Name {
	return directory.Name{Title: n.Title, FirstName: n.FirstName, FamilyName: n.FamilyName}
}

func contactsOf(c userContactsJSON) directory.Contacts {
	return directory.Contacts{Email: c.Email, Mobile: c.Mobile, Telephone: c.Telephone}
}

func addressOf(a userAddressJSON) directory.Address {
	return directory.Address{AddressLine1: a.AddressLine1, AddressLine2: a.AddressLine2,
		PostalCode: a.PostalCode, City: a.City, Street: a.Street, HouseNumber: a.HouseNumber,
		CountryCode: a.CountryCode, DwellingNumber: a.DwellingNumber,
		PostOfficeBoxText: a.PostOfficeBoxText, PostOfficeBoxNumber: a.PostOfficeBoxNumber, Locality: a.Locality}
}

func validityOf(v validityJSON) (directory.Validity, error) {
	var out directory.Validity
	var err error
	if out.From, err = parseOptionalTime("validity.from", v.From); err != nil {
		return out, err
	}
	out.To, err = parseOptionalTime("validity.to", v.To)
	return out, err
}

func parseOptionalTime(field, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s must be an RFC 3339 time", errInvalidData, field)
	}
	t = t.UTC()
	return &t, nil
}

func usersWire(res listing.Result[directory.User]) listJSON[userJSON] { return listOf(res, userWire) }

func userLocation(u directory.User) string {
	return corePath + "/" + u.ClientExtID + "/users/" + u.ExtID
}

// createUserBody is the body of POST /{clientExtId}/users.
type createUserBody struct {
	userFields
	ExtID               *string `json:"extId"`
	ModificationComment string  `json:"modificationComment"`
	Version             version `json:"version"`
}

func createUserCommand(c *gin.Context) (appdirectory.CreateUserCommand, error) {
	clientID, body, err := withBody[createUserBody](c, clientPath)
	if err != nil {
		return appdirectory.CreateUserCommand{}, err
	}
	if body.userFields.ExtID, err = requestedExtID(body.ExtID); err != nil {
		return appdirectory.CreateUserCommand{}, err
	}
	user, err := userOf(clientID, body.userFields)
	return appdirectory.CreateUserCommand{Caller: callerOf(c), User: user}, err
}

func getUserQuery(c *gin.Context) (appdirectory.GetUserQuery, error) {
	u, err := userPath(c)
	return appdirectory.GetUserQuery{Caller: callerOf(c), ClientExtID: u.client, UserExtID: u.id}, err
}

// maxLoginIDFilter is the longest loginId filter: no user's loginId is longer (domain/directory).
const maxLoginIDFilter = 255

// listUsersQuery reads GET /clients/{clientExtId}/users: the page and the loginId filter, given
// at most once, not empty, valid UTF-8 without NUL (PostgreSQL text cannot hold either), no longer
// than a loginId can be.
func listUsersQuery(c *gin.Context) (appdirectory.ListUsersQuery, error) {
	clientID, page, err := withPage(c, clientPath)
	if err != nil {
		return appdirectory.ListUsersQuery{}, err
	}
	q := appdirectory.ListUsersQuery{Caller: callerOf(c), ClientExtID: clientID, Page: page}
	values, ok := c.GetQueryArray("loginId")
	if !ok {
		return q, nil
	}
	if len(values) != 1 || values[0] == "" || !utf8.ValidString(values[0]) || strings.ContainsRune(values[0], 0) ||
		utf8.RuneCountInString(values[0]) > maxLoginIDFilter {
		return q, fmt.Errorf("%w: loginId must be given once, as a non-empty string of at most %d characters",
			errInvalidData, maxLoginIDFilter)
	}
	q.Filter.LoginID = values[0]
	return q, nil
}

// userPatchJSON is the body of PATCH /{clientExtId}/users/{userExtId}: members present replace
// the stored ones whole, null clears them, absent ones stay.
type userPatchJSON struct {
	LoginID             optional[string]            `json:"loginId"`
	UserState           optional[string]            `json:"userState"`
	Name                optional[userNameJSON]      `json:"name"`
	Contacts            optional[userContactsJSON]  `json:"contacts"`
	LanguageCode        optional[string]            `json:"languageCode"`
	Remarks             optional[string]            `json:"remarks"`
	IsTechnicalUser     optional[bool]              `json:"isTechnicalUser"`
	Sex                 optional[string]            `json:"sex"`
	Gender              optional[string]            `json:"gender"`
	BirthDate           optional[string]            `json:"birthDate"`
	Address             optional[userAddressJSON]   `json:"address"`
	Validity            optional[validityJSON]      `json:"validity"`
	Properties          optional[map[string]string] `json:"properties"`
	ModificationComment string                      `json:"modificationComment"`
	Version             version                     `json:"version"`
}

// change turns the body into the domain's partial change.
func (b userPatchJSON) change() (directory.UserChange, error) {
	ch := directory.UserChange{
		LoginID:         patched(b.LoginID, same),
		State:           patched(b.UserState, func(s string) directory.UserState { return directory.UserState(s) }),
		Name:            patched(b.Name, nameOf),
		Contacts:        patched(b.Contacts, contactsOf),
		LanguageCode:    patched(b.LanguageCode, same),
		Remarks:         patched(b.Remarks, same),
		IsTechnicalUser: patched(b.IsTechnicalUser, func(v bool) *bool { return &v }),
		Sex:             patched(b.Sex, same),
		Gender:          patched(b.Gender, same),
		BirthDate:       patched(b.BirthDate, same),
		Address:         patched(b.Address, addressOf),
		Properties:      patched(b.Properties, same),
		Comment:         b.ModificationComment,
	}
	if b.Validity.set {
		ch.Validity = directory.To(directory.Validity{})
		if !b.Validity.null {
			v, err := validityOf(b.Validity.value)
			if err != nil {
				return ch, err
			}
			ch.Validity = directory.To(v)
		}
	}
	return ch, nil
}

func changeUserCommand(c *gin.Context) (appdirectory.ChangeUserCommand, error) {
	u, body, err := withBody[userPatchJSON](c, userPath)
	if err != nil {
		return appdirectory.ChangeUserCommand{}, err
	}
	ch, err := body.change()
	return appdirectory.ChangeUserCommand{Caller: callerOf(c), ClientExtID: u.client, UserExtID: u.id,
		Version: body.Version.value, Change: ch}, err
}

func deleteUserCommand(c *gin.Context) (appdirectory.DeleteUserCommand, error) {
	u, err := userPath(c)
	return appdirectory.DeleteUserCommand{Caller: callerOf(c), ClientExtID: u.client, UserExtID: u.id}, err
}
