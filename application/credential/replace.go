package credential

import (
	"context"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// CardPolicies finds the policy a card is generated under.
type CardPolicies interface {
	// PolicyOfCard returns the current policy of the card under key and the state of the user
	// who holds it, or a *fault.NotFoundError when the card is not under that path.
	PolicyOfCard(ctx context.Context, key CardKey) (credential.Policy, credential.Holder, error)
}

// ReplaceOTPCard gives a credential a newly generated card (API.md section 4.1).
type ReplaceOTPCard struct {
	policies CardPolicies
	cards    CardUpdater
	hasher   CellHasher
	frame    caller.Frame
	// maxAuthAge is the freshness a self-admin caller needs.
	maxAuthAge time.Duration
}

// ReplaceCommand asks for a new card.
type ReplaceCommand struct {
	Caller caller.Caller
	Key    CardKey
	// Version, when set, must equal the stored version.
	Version *int32
	Comment string
}

// Access is what a caller needs to replace a card of the user: CredentialModify and
// CredentialView, or being that user with a fresh self-admin token.
func (uc *ReplaceOTPCard) Access(clientExtID, userExtID string) access.Request {
	return reissueAccess(clientExtID, userExtID, uc.maxAuthAge)
}

// reissueAccess is who may give a user's card new cells, by replace or renewal: CredentialModify
// and CredentialView, or the user with a self-admin token at most maxAuthAge old.
func reissueAccess(clientExtID, userExtID string, maxAuthAge time.Duration) access.Request {
	return access.Request{Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.CredentialModify, access.CredentialView},
		Self:   access.SelfFresh, MaxAuthAge: maxAuthAge}
}

// Do replaces the card. A card whose validity has ended gets a fresh one under its policy's
// lifetime, and the event says so (data.validityRestarted). Errors: access errors,
// access.ErrUserNotUsable (the user is archived), *fault.NotFoundError,
// *fault.VersionConflictError, credential.ErrArchived, fault.ErrInvalid.
func (uc *ReplaceOTPCard) Do(ctx context.Context, cmd ReplaceCommand) (Issued, error) {
	req := uc.Access(cmd.Key.ClientExtID, cmd.Key.UserExtID)
	return caller.Run(ctx, uc.frame, "ReplaceOTPCard", cmd.Caller, req, func(ctx context.Context) (Issued, error) {
		if err := credential.ValidateComment(cmd.Comment); err != nil {
			return Issued{}, err
		}
		issued, err := uc.replace(ctx, cmd)
		return issued, fault.Wrap(err, "replace otp card %s", cmd.Key.ExtID)
	})
}

// replace generates the new card under the card's policy, then saves it in the card's place.
func (uc *ReplaceOTPCard) replace(ctx context.Context, cmd ReplaceCommand) (Issued, error) {
	policy, grid, clear, err := reissueGrid(ctx, uc.policies, uc.hasher, cmd.Key)
	if err != nil {
		return Issued{}, err
	}
	var issued Issued
	err = uc.cards.Update(ctx, cmd.Key, func(card *credential.OTPCard) ([]event.Event, error) {
		if err := card.CheckVersion(cmd.Version); err != nil {
			return nil, err
		}
		restarted, err := card.Replace(grid, cmd.Comment, policy.Parameters.CredentialLifetime, uc.frame.Now())
		if err != nil {
			return nil, err
		}
		issued = Issued{Card: card, Clear: clear, ChallengeSize: policy.Parameters.ChallengeSize}
		ev := cardEvent(credential.CardReplaced, card, cmd.Caller.Meta())
		if restarted {
			s := card.Snapshot()
			ev.Data["validityRestarted"] = "true"
			ev.Data["validFrom"] = s.ValidFrom.UTC().Format(time.RFC3339)
			ev.Data["validTo"] = s.ValidTo.UTC().Format(time.RFC3339)
		}
		return []event.Event{ev}, nil
	})
	return issued, err
}
