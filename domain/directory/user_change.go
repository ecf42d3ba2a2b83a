package directory

import (
	"time"

	"github.com/otpcard/otpcard/domain/fault"
)

// UserChange is a partial change of a user: members not Set stay as they are; a Set nested
// member (name, contacts, address, validity, properties) replaces the stored one whole. The extId
// and the client never change.
type UserChange struct {
	LoginID         Optional[string]
	State           Optional[UserState]
	Name            Optional[Name]
	Contacts        Optional[Contacts]
	LanguageCode    Optional[string]
	Remarks         Optional[string]
	IsTechnicalUser Optional[*bool]
	Sex             Optional[string]
	Gender          Optional[string]
	BirthDate       Optional[string]
	Address         Optional[Address]
	Validity        Optional[Validity]
	Properties      Optional[map[string]string]
	// Comment is the modification comment, recorded with the change's event, not on the user.
	Comment string
}

// CheckVersion returns a *fault.VersionConflictError when given is set and differs from the user's
// version.
func (u User) CheckVersion(given *int32) error { return fault.CheckVersion("user", given, u.Version) }

// Change applies ch, validates the result, sets lastModified to now and bumps the version by one,
// and reports whether anything changed: a change that repeats the stored values leaves the user
// as it is, version included (API.md section 1). lastModified never goes backwards. On error the
// user is left as it was.
func (u *User) Change(ch UserChange, now time.Time) (bool, error) {
	if err := checkComment(ch.Comment); err != nil {
		return false, err
	}
	next := *u
	ch.LoginID.applyTo(&next.LoginID)
	ch.State.applyTo(&next.State)
	ch.Name.applyTo(&next.Name)
	ch.Contacts.applyTo(&next.Contacts)
	ch.LanguageCode.applyTo(&next.LanguageCode)
	ch.Remarks.applyTo(&next.Remarks)
	ch.Sex.applyTo(&next.Sex)
	ch.Gender.applyTo(&next.Gender)
	ch.BirthDate.applyTo(&next.BirthDate)
	ch.Address.applyTo(&next.Address)
	ch.Validity.applyTo(&next.Validity)
	if ch.IsTechnicalUser.Set {
		next.IsTechnicalUser = nil
		if v := ch.IsTechnicalUser.Value; v != nil {
			b := *v
			next.IsTechnicalUser = &b
		}
	}
	applyMapTo(ch.Properties, &next.Properties)
	return commit(u, next, User.validate, func(next *User) {
		next.LastModified, next.Version = later(now, u.LastModified), u.Version+1
	})
}
