package credential

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// ChangeOTPCardState is the admin PATCH of an OTP credential (API.md section 4): a state change
// from the transition table, or only a new modificationComment.
type ChangeOTPCardState struct {
	cards CardUpdater
	frame caller.Frame
}

// ChangeStateCommand asks for a state change, a new comment, or both; members left nil stay.
type ChangeStateCommand struct {
	Caller caller.Caller
	Key    CardKey
	// StateName is the state to go to; nil leaves the state alone.
	StateName *string
	// Comment becomes the modificationComment; empty removes it, nil leaves it (but a change of
	// state without a comment removes the old one: it described the previous change).
	Comment *string
	// Version, when set, must equal the stored version.
	Version *int32
}

// Do changes the card and returns it as stored. An edit that changes nothing returns the card as
// it is, with no new version and no event. A state change records otp-card.state-changed, a new
// comment alone otp-card.changed. Errors: access errors, fault.ErrInvalid (a comment too
// long), credential.ErrUnknownState, *fault.NotFoundError, *fault.VersionConflictError,
// credential.ErrArchived, credential.ErrForbiddenTransition.
func (uc *ChangeOTPCardState) Do(ctx context.Context, cmd ChangeStateCommand) (*credential.OTPCard, error) {
	req := access.Request{
		Client: cmd.Key.ClientExtID, User: cmd.Key.UserExtID,
		Rights: []access.Right{access.CredentialModify, access.CredentialChangeState},
		Self:   access.SelfNone,
	}
	return caller.Run(ctx, uc.frame, "ChangeOTPCardState", cmd.Caller, req, func(ctx context.Context) (*credential.OTPCard, error) {
		edit, err := cmd.edit()
		if err != nil {
			return nil, err
		}
		var changed *credential.OTPCard
		err = uc.cards.Update(ctx, cmd.Key, func(card *credential.OTPCard) ([]event.Event, error) {
			if err := card.CheckVersion(cmd.Version); err != nil {
				return nil, err
			}
			from := card.State()
			outcome, err := card.Edit(edit, uc.frame.Now())
			if err != nil {
				return nil, err
			}
			changed = card
			switch outcome {
			case credential.StateChanged:
				return []event.Event{stateChanged(card, from, cmd.Caller)}, nil
			case credential.CommentChanged:
				ev := cardEvent(credential.CardChanged, card, cmd.Caller.Meta())
				ev.Data["modificationComment"] = card.Snapshot().ModificationComment
				return []event.Event{ev}, nil
			}
			return nil, nil
		})
		return changed, fault.Wrap(err, "change state of otp card %s", cmd.Key.ExtID)
	})
}

// edit is the change the command asks for, once its comment and state name are valid.
func (cmd ChangeStateCommand) edit() (credential.CardEdit, error) {
	edit := credential.CardEdit{Comment: cmd.Comment}
	if cmd.Comment != nil {
		if err := credential.ValidateComment(*cmd.Comment); err != nil {
			return edit, err
		}
	}
	if cmd.StateName != nil {
		to, err := credential.ParseState(*cmd.StateName)
		if err != nil {
			return edit, err
		}
		edit.State = &to
	}
	return edit, nil
}

// stateChanged is the otp-card.state-changed event of a PATCH or a retirement: from, to and the
// reason.
func stateChanged(card *credential.OTPCard, from credential.State, c caller.Caller) event.Event {
	return stateChangedBy(card, from, c.Meta())
}

// stateChangedBy records a change of state by the actor of meta.
func stateChangedBy(card *credential.OTPCard, from credential.State, meta event.Meta) event.Event {
	ev := cardEvent(credential.CardStateChanged, card, meta)
	ev.Data = map[string]string{"from": string(from), "to": string(card.State()),
		"reason": card.Snapshot().StateChangeReason}
	return ev
}
