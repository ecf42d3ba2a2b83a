package postgres

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/domain/directory"
)

type clientRow struct {
	bun.BaseModel `bun:"table:clients"`

	ExtID        string            `bun:"ext_id,pk"`
	Name         string            `bun:"name"`
	DisplayName  map[string]string `bun:"display_name,type:jsonb"`
	Remarks      string            `bun:"remarks"`
	Print        printSettingsJSON `bun:"print_settings,type:jsonb"`
	Created      time.Time         `bun:"created"`
	LastModified time.Time         `bun:"last_modified"`
	Version      int32             `bun:"version"`
}

func newClientRow(c directory.Client) clientRow {
	dn := c.DisplayName
	if dn == nil {
		dn = map[string]string{}
	}
	return clientRow{ExtID: c.ExtID, Name: c.Name, DisplayName: dn, Remarks: c.Remarks,
		Print:   printSettingsJSON{Recipients: c.Print.Recipients, HelpdeskContact: c.Print.HelpdeskContact, InPersonHandover: c.Print.InPersonHandover},
		Created: c.Created.UTC(), LastModified: c.LastModified.UTC(), Version: c.Version}
}

// printSettingsJSON is how the column print_settings holds a client's print settings.
type printSettingsJSON struct {
	Recipients       []string          `json:"recipients,omitempty"`
	HelpdeskContact  map[string]string `json:"helpdeskContact,omitempty"`
	InPersonHandover bool              `json:"inPersonHandover,omitempty"`
}

func (r clientRow) client() directory.Client {
	dn := r.DisplayName
	if len(dn) == 0 {
		dn = nil
	}
	p := directory.PrintSettings{Recipients: r.Print.Recipients, HelpdeskContact: r.Print.HelpdeskContact, InPersonHandover: r.Print.InPersonHandover}
	if len(p.Recipients) == 0 {
		p.Recipients = nil
	}
	if len(p.HelpdeskContact) == 0 {
		p.HelpdeskContact = nil
	}
	return directory.Client{ExtID: r.ExtID, Name: r.Name, DisplayName: dn, Remarks: r.Remarks, Print: p,
		Created: r.Created.UTC(), LastModified: r.LastModified.UTC(), Version: r.Version}
}

// userProfile is the part of a user kept as one JSON document: fields stored and returned as
// given, never searched.
type userProfile struct {
	Name            directory.Name     `json:"name"`
	Contacts        directory.Contacts `json:"contacts"`
	LanguageCode    string             `json:"languageCode,omitempty"`
	Remarks         string             `json:"remarks,omitempty"`
	IsTechnicalUser *bool              `json:"isTechnicalUser,omitempty"`
	Sex             string             `json:"sex,omitempty"`
	Gender          string             `json:"gender,omitempty"`
	BirthDate       string             `json:"birthDate,omitempty"`
	Address         directory.Address  `json:"address"`
	ValidFrom       *time.Time         `json:"validFrom,omitempty"`
	ValidTo         *time.Time         `json:"validTo,omitempty"`
	Properties      map[string]string  `json:"properties,omitempty"`
}

type userRow struct {
	bun.BaseModel `bun:"table:users"`

	ExtID        string      `bun:"ext_id,pk"`
	ClientExtID  string      `bun:"client_ext_id"`
	LoginID      string      `bun:"login_id"`
	UserState    string      `bun:"user_state"`
	Profile      userProfile `bun:"profile,type:jsonb"`
	Created      time.Time   `bun:"created"`
	LastModified time.Time   `bun:"last_modified"`
	Version      int32       `bun:"version"`
}

func newUserRow(u directory.User) userRow {
	return userRow{ExtID: u.ExtID, ClientExtID: u.ClientExtID, LoginID: u.LoginID, UserState: string(u.State),
		Profile: userProfile{Name: u.Name, Contacts: u.Contacts, LanguageCode: u.LanguageCode,
			Remarks: u.Remarks, IsTechnicalUser: u.IsTechnicalUser, Sex: u.Sex, Gender: u.Gender,
			BirthDate: u.BirthDate, Address: u.Address, ValidFrom: u.Validity.From, ValidTo: u.Validity.To,
			Properties: u.Properties},
		Created: u.Created.UTC(), LastModified: u.LastModified.UTC(), Version: u.Version}
}

func (r userRow) user() directory.User {
	p := r.Profile
	return directory.User{ExtID: r.ExtID, ClientExtID: r.ClientExtID, LoginID: r.LoginID,
		State: directory.UserState(r.UserState), Name: p.Name, Contacts: p.Contacts,
		LanguageCode: p.LanguageCode, Remarks: p.Remarks, IsTechnicalUser: p.IsTechnicalUser,
		Sex: p.Sex, Gender: p.Gender, BirthDate: p.BirthDate, Address: p.Address,
		Validity:   directory.Validity{From: p.ValidFrom, To: p.ValidTo},
		Properties: p.Properties,
		Created:    r.Created.UTC(), LastModified: r.LastModified.UTC(), Version: r.Version}
}
