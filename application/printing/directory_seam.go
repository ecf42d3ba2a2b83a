package printing

import (
	"context"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/printing"
)

// This file is the printing module's side of its seam with the directory (appdirectory.Dependents):
// the only file of the module that knows the directory. Inside the directory's transactions it
// keeps the module's copies of what letters print (the client's names and print settings, the
// user's name, address and language), so that the printer never reads the directory's tables.

// DirectorySeam keeps Senders and Addressees in step with the directory.
type DirectorySeam struct {
	senders    Senders
	addressees Addressees
}

var _ appdirectory.Dependents = (*DirectorySeam)(nil)

// NewDirectorySeam builds the printing module's side of the seam.
func NewDirectorySeam(s Senders, a Addressees) *DirectorySeam {
	return &DirectorySeam{senders: s, addressees: a}
}

// ClientCreated needs nothing: ClientSaved follows.
func (*DirectorySeam) ClientCreated(context.Context, directory.Client, event.Meta) error { return nil }

// ClientSaved records the client's names and print settings.
func (d *DirectorySeam) ClientSaved(ctx context.Context, c directory.Client) error {
	return d.senders.SaveSender(ctx, printing.Sender{ClientExtID: c.ExtID, Name: c.Name, DisplayName: c.DisplayName,
		Recipients: c.Print.Recipients, HelpdeskContact: c.Print.HelpdeskContact, InPersonHandover: c.Print.InPersonHandover})
}

// ClientDeleting forgets the client's sender; its batches stay until retention.
func (d *DirectorySeam) ClientDeleting(ctx context.Context, c directory.Client, _ event.Meta) error {
	return d.senders.DeleteSender(ctx, c.ExtID)
}

// UserSaved records the user's name, postal address and language.
func (d *DirectorySeam) UserSaved(ctx context.Context, u directory.User) error {
	a := u.Address
	box := a.PostOfficeBoxText
	if a.PostOfficeBoxNumber != "" {
		box = joinWords(box, a.PostOfficeBoxNumber)
	}
	return d.addressees.SaveAddressee(ctx, printing.Addressee{ClientExtID: u.ClientExtID, UserExtID: u.ExtID,
		LanguageCode: u.LanguageCode, Title: u.Name.Title, FirstName: u.Name.FirstName, FamilyName: u.Name.FamilyName,
		Street: a.Street, HouseNumber: a.HouseNumber, AddressLine1: a.AddressLine1, AddressLine2: a.AddressLine2,
		PostOfficeBox: box, PostalCode: a.PostalCode, City: a.City, CountryCode: a.CountryCode})
}

// UserDeleting forgets the user.
func (d *DirectorySeam) UserDeleting(ctx context.Context, u directory.User, _ event.Meta) error {
	return d.addressees.DeleteAddressee(ctx, u.ClientExtID, u.ExtID)
}

func joinWords(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}
