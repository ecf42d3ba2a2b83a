package directory

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// RecipientChecker tells whether a print recipient is one the batches can be encrypted to.
type RecipientChecker interface {
	// CheckRecipient returns an error unless r is an age X25519 recipient (age1...).
	CheckRecipient(r string) error
}

// GetPrintSettings reads a client's print settings (API.md section 11.2).
type GetPrintSettings struct {
	clients ClientReader
	frame   caller.Frame
}

// GetPrintSettingsQuery names the client.
type GetPrintSettingsQuery struct {
	Caller      caller.Caller
	ClientExtID string
}

// Do returns the settings; a client that never had any has none set (no recipients, no
// contact, no handover). Errors: access errors (right ClientView), *fault.NotFoundError.
func (uc *GetPrintSettings) Do(ctx context.Context, q GetPrintSettingsQuery) (directory.PrintSettings, error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.ClientView}}
	return caller.Run(ctx, uc.frame, "GetPrintSettings", q.Caller, req, func(ctx context.Context) (directory.PrintSettings, error) {
		client, err := uc.clients.Get(ctx, q.ClientExtID)
		return client.Print, fault.Wrap(err, "get print settings")
	})
}

// SetPrintSettings replaces a client's print settings (API.md section 11.2).
type SetPrintSettings struct {
	clients    ClientChanger
	recipients RecipientChecker
	dependents Dependents
	frame      caller.Frame
}

// SetPrintSettingsCommand carries the new settings, whole.
type SetPrintSettingsCommand struct {
	Caller      caller.Caller
	ClientExtID string
	Settings    directory.PrintSettings
	// Version, when set, must equal the client's stored version.
	Version *int32
}

// Do replaces the settings and records client.changed (whoever sets the recipients can read the
// next batch: the audit trail shows who did); settings that repeat the stored ones change
// nothing and record nothing. Errors: access errors (right ClientModify), *fault.NotFoundError,
// *fault.VersionConflictError (a stale client version), fault.ErrInvalid (a recipient that is not age X25519, an unknown language, too many recipients).
func (uc *SetPrintSettings) Do(ctx context.Context, cmd SetPrintSettingsCommand) (directory.PrintSettings, error) {
	req := access.Request{Client: cmd.ClientExtID, Rights: []access.Right{access.ClientModify}}
	return caller.Run(ctx, uc.frame, "SetPrintSettings", cmd.Caller, req, func(ctx context.Context) (directory.PrintSettings, error) {
		var settings directory.PrintSettings
		err := uc.clients.Update(ctx, cmd.ClientExtID, func(ctx context.Context, client *directory.Client) ([]event.Event, error) {
			settings = client.Print
			if err := client.CheckVersion(cmd.Version); err != nil {
				return nil, err
			}
			did, err := client.SetPrintSettings(cmd.Settings, uc.recipients.CheckRecipient, uc.frame.Now())
			settings = client.Print
			if err != nil || !did {
				return nil, err
			}
			ev := entityEvent(directory.ClientChanged, client.LastModified, cmd.Caller.Meta(), client.ExtID, "", client.Version)
			ev.Data = map[string]string{"printSettings": "changed"}
			return []event.Event{ev}, uc.dependents.ClientSaved(ctx, *client)
		})
		return settings, fault.Wrap(err, "set print settings of client %s", cmd.ClientExtID)
	})
}
