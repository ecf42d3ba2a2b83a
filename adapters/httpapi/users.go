package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

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

func (s *server) createUser(c *gin.Context) {
	clientID, err := pathID(c, "clientExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body struct {
		userFields
		ExtID               *string `json:"extId"`
		ModificationComment string  `json:"modificationComment"`
		Version             version `json:"version"`
	}
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	if body.userFields.ExtID, err = requestedExtID(body.ExtID); err != nil {
		s.writeError(c, err)
		return
	}
	in, err := userOf(clientID, body.userFields)
	if err != nil {
		s.writeError(c, err)
		return
	}
	user, err := s.Users.CreateUser(c.Request.Context(), callerOf(c), in)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.Header("Location", corePath+"/"+user.ClientExtID+"/users/"+user.ExtID)
	c.JSON(http.StatusCreated, userWire(user))
}

func (s *server) getUser(c *gin.Context) {
	clientID, err := pathID(c, "clientExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	userID, err := pathID(c, "userExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	user, err := s.Users.GetUser(c.Request.Context(), callerOf(c), clientID, userID)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, userWire(user))
}
