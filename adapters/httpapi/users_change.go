package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/directory"
)

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

// changeUser is PATCH /{clientExtId}/users/{userExtId}.
func (s *server) changeUser(c *gin.Context) {
	clientID, userID, err := userPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	var body userPatchJSON
	if err := decodeBody(c, &body); err != nil {
		s.writeError(c, err)
		return
	}
	ch, err := body.change()
	if err != nil {
		s.writeError(c, err)
		return
	}
	user, err := s.Users.ChangeUser(c.Request.Context(), callerOf(c), clientID, userID, body.Version.value, ch)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, userWire(user))
}

// deleteUser is DELETE /{clientExtId}/users/{userExtId}; the user's OTP cards go too.
func (s *server) deleteUser(c *gin.Context) {
	clientID, userID, err := userPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if err := s.Users.DeleteUser(c.Request.Context(), callerOf(c), clientID, userID); err != nil {
		s.writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// listUsers is GET /clients/{clientExtId}/users with the optional loginId filter.
func (s *server) listUsers(c *gin.Context) {
	clientID, err := pathID(c, "clientExtId")
	if err != nil {
		s.writeError(c, err)
		return
	}
	page, err := pageOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	filter, err := userFilterOf(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	res, err := s.Users.ListUsers(c.Request.Context(), callerOf(c), clientID, filter, page)
	if err != nil {
		s.writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(res, page, userWire))
}

// maxLoginIDFilter is the longest loginId filter: no user's loginId is longer (domain/directory).
const maxLoginIDFilter = 255

// userFilterOf reads the loginId query parameter: at most one, not empty, valid UTF-8 without
// NUL (PostgreSQL text cannot hold either), no longer than a loginId can be.
func userFilterOf(c *gin.Context) (appdirectory.UserFilter, error) {
	values, ok := c.GetQueryArray("loginId")
	if !ok {
		return appdirectory.UserFilter{}, nil
	}
	if len(values) != 1 || values[0] == "" || !utf8.ValidString(values[0]) || strings.ContainsRune(values[0], 0) ||
		utf8.RuneCountInString(values[0]) > maxLoginIDFilter {
		return appdirectory.UserFilter{}, fmt.Errorf("%w: loginId must be given once, as a non-empty string of at most %d characters",
			errInvalidData, maxLoginIDFilter)
	}
	return appdirectory.UserFilter{LoginID: values[0]}, nil
}
