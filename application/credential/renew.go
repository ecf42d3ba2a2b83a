package credential

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// RenewOTPCard issues the successor of a card (API.md section 10.3).
type RenewOTPCard struct {
	policies CardPolicies
	cards    UserCardUpdater
	hasher   CellHasher
	frame    caller.Frame
	// maxAuthAge is the freshness a self-admin caller needs.
	maxAuthAge time.Duration
}

// RenewCommand asks for the successor of the card under Key.
type RenewCommand struct {
	Caller caller.Caller
	Key    CardKey
	// ExtID names the successor; empty: generated.
	ExtID string
	// Version, when set, must equal the stored version of the card renewed.
	Version *int32
	// Comment is the successor's modificationComment.
	Comment string
}

// Access is what a caller needs to renew a card of the user: as for replace, CredentialModify and
// CredentialView, or being that user with a fresh self-admin token.
func (uc *RenewOTPCard) Access(clientExtID, userExtID string) access.Request {
	return reissueAccess(clientExtID, userExtID, uc.maxAuthAge)
}

// Do issues the successor and returns it with its cells in clear. The card renewed records the
// link (a new version) and retires at once when its policy allows no fallback. Errors: access
// errors, access.ErrUserNotUsable (the user is archived), *fault.NotFoundError,
// *fault.VersionConflictError, credential.ErrArchived, credential.ErrForbiddenTransition (the card
// is neither initial nor active, or has its successor), credential.ErrTooManyCards,
// fault.ErrDuplicate (the successor's extId is taken), fault.ErrInvalid.
func (uc *RenewOTPCard) Do(ctx context.Context, cmd RenewCommand) (Issued, error) {
	req := uc.Access(cmd.Key.ClientExtID, cmd.Key.UserExtID)
	return caller.Run(ctx, uc.frame, "RenewOTPCard", cmd.Caller, req, func(ctx context.Context) (Issued, error) {
		if err := credential.ValidateComment(cmd.Comment); err != nil {
			return Issued{}, err
		}
		issued, err := uc.renew(ctx, cmd)
		return issued, fault.Wrap(err, "renew otp card %s", cmd.Key.ExtID)
	})
}

// renew generates the successor's cells under the card's policy, outside any transaction, then
// links the two cards in one.
func (uc *RenewOTPCard) renew(ctx context.Context, cmd RenewCommand) (Issued, error) {
	policy, grid, clear, err := reissueGrid(ctx, uc.policies, uc.hasher, cmd.Key)
	if err != nil {
		return Issued{}, err
	}
	var issued Issued
	err = uc.cards.RenewUserCard(ctx, cmd.Key.ClientExtID, cmd.Key.UserExtID, func(u UserCards) (CardsChange, error) {
		change, successor, err := renewal{key: cmd.Key, policy: policy, grid: grid, extID: cmd.ExtID, version: cmd.Version,
			comment: cmd.Comment, meta: cmd.Caller.Meta()}.apply(u, uc.frame.Now())
		issued = Issued{Card: successor, Clear: clear, ChallengeSize: policy.Parameters.ChallengeSize}
		return change, err
	})
	return issued, err
}

// renewal is one renewal decided inside the user's locks: the card under key gets its successor,
// generated under policy with grid.
type renewal struct {
	key     CardKey
	policy  credential.Policy
	grid    credential.Grid
	extID   string
	version *int32
	comment string
	meta    event.Meta
	// data goes into the renewal's events besides their own (a job's jobId).
	data map[string]string
}

// apply renews the card among the user's cards and returns the change to save with the successor.
func (r renewal) apply(u UserCards, now time.Time) (CardsChange, *credential.OTPCard, error) {
	if err := u.Holder.CanReceiveCards(); err != nil {
		return CardsChange{}, nil, err
	}
	var card *credential.OTPCard
	held := 0
	for _, c := range u.Cards {
		if c.Card.ExtID() == r.key.ExtID {
			card = c.Card
		}
		if c.Card.State() != credential.StateArchived {
			held++
		}
	}
	if card == nil {
		return CardsChange{}, nil, &fault.NotFoundError{Entity: "OTP credential", ExtID: r.key.ExtID}
	}
	for _, c := range u.Cards { // a successor out of service no longer holds the card back
		card.DropSuccessor(c.Card)
	}
	if err := card.CheckVersion(r.version); err != nil {
		return CardsChange{}, nil, err
	}
	from := card.State()
	successor, err := card.Renew(credential.NewCard{ExtID: r.extID, Lifetime: r.policy.Parameters.CredentialLifetime},
		r.grid, r.comment, r.policy.Parameters.FallbackAllowed, now)
	if err != nil {
		return CardsChange{}, nil, err
	}
	if held >= MaxCardsPerUser {
		return CardsChange{}, nil, fmt.Errorf("%w: the user holds %d cards that are not archived", credential.ErrTooManyCards, held)
	}
	renewed := cardEvent(credential.CardRenewed, successor, r.meta)
	renewed.Data["predecessorExtId"] = card.ExtID()
	events := []event.Event{renewed}
	if card.State() != from {
		renewed.Data["predecessorRetired"] = "true" // no fallback: the old card stopped working now
		events = append(events, stateChangedBy(card, from, r.meta))
	}
	for i := range events {
		maps.Copy(events[i].Data, r.data)
	}
	return CardsChange{Changed: []*credential.OTPCard{card}, New: successor, Events: events}, successor, nil
}
