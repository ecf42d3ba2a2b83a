package notify

import (
	"context"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// This file is the notify module's side of its seam with the directory (appdirectory.Dependents):
// the only file of the module that knows the directory. Inside the directory's transaction it
// keeps the module's copy of the users' addresses, so that the notifier never reads the
// directory's tables.

// DirectorySeam keeps Recipients in step with the directory's users.
type DirectorySeam struct {
	recipients Recipients
}

var _ appdirectory.Dependents = (*DirectorySeam)(nil)

// NewDirectorySeam builds the notify module's side of the seam.
func NewDirectorySeam(r Recipients) *DirectorySeam { return &DirectorySeam{recipients: r} }

// ClientCreated needs nothing of a new client.
func (*DirectorySeam) ClientCreated(context.Context, directory.Client, event.Meta) error { return nil }

// ClientSaved needs nothing: the module keeps nothing of a client's names or print settings.
func (*DirectorySeam) ClientSaved(context.Context, directory.Client) error { return nil }

// ClientDeleting needs nothing: a client is deleted once it has no users.
func (*DirectorySeam) ClientDeleting(context.Context, directory.Client, event.Meta) error { return nil }

// UserSaved records the user's address, language and name.
func (d *DirectorySeam) UserSaved(ctx context.Context, u directory.User) error {
	return d.recipients.SaveRecipient(ctx, Recipient{ClientExtID: u.ClientExtID, UserExtID: u.ExtID,
		Email: u.Contacts.Email, LanguageCode: u.LanguageCode, FirstName: u.Name.FirstName, FamilyName: u.Name.FamilyName})
}

// UserDeleting forgets the user.
func (d *DirectorySeam) UserDeleting(ctx context.Context, u directory.User, _ event.Meta) error {
	return d.recipients.DeleteRecipient(ctx, u.ClientExtID, u.ExtID)
}
