package credential

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// IssueChallenge asks a user for one cell of their card (API.md section 6).
type IssueChallenge struct {
	cards  UserCardUpdater
	now    Clock
	tracer trace.Tracer
}

// NewIssueChallenge builds the use case.
func NewIssueChallenge(cards UserCardUpdater, now Clock, tracer trace.Tracer) *IssueChallenge {
	return &IssueChallenge{cards: cards, now: now, tracer: tracer}
}

// ChallengeIssued is the answer to a challenge request.
type ChallengeIssued struct {
	// Label is the cell asked for; empty when the card has no cell left to ask.
	Label string
	Card  *credential.OTPCard
}

// Access is what a caller needs to ask a challenge of the user: CredentialView, admin callers
// only.
func (uc *IssueChallenge) Access(clientExtID, userExtID string) access.Request {
	return access.Request{Client: clientExtID, User: userExtID, Rights: []access.Right{access.CredentialView}}
}

// ChallengeCommand asks a challenge of the user.
type ChallengeCommand struct {
	Caller                 caller.Caller
	ClientExtID, UserExtID string
	// Card picks the card to ask; the zero value leaves the choice to the service.
	Card CardChoice
}

// CardChoice names one of a user's cards by extId or by serial number (API.md section 6); at most
// one of them is set.
type CardChoice struct {
	ExtID  string
	Serial credential.Serial
}

// chosen is the user's card the choice names, or a *fault.NotFoundError.
func (ch CardChoice) chosen(cards []UserCard, userExtID string) (UserCard, error) {
	for _, uc := range cards {
		if (ch.ExtID != "" && uc.Card.ExtID() == ch.ExtID) || (ch.Serial != "" && uc.Card.Serial() == ch.Serial) {
			return uc, nil
		}
	}
	name := ch.ExtID
	if name == "" {
		name = ch.Serial.String()
	}
	return UserCard{}, &fault.NotFoundError{Entity: "OTP credential of user " + userExtID, ExtID: name}
}

// Do returns the outstanding challenge of the user's card, or issues a new one. Errors: access
// errors, access.ErrUserNotUsable (the user is disabled or archived), *fault.NotFoundError,
// *credential.LockedError, credential.ErrNotUsable.
func (uc *IssueChallenge) Do(ctx context.Context, cmd ChallengeCommand) (ChallengeIssued, error) {
	ctx, span := uc.tracer.Start(ctx, "IssueChallenge")
	defer span.End()
	c, clientExtID, userExtID := cmd.Caller, cmd.ClientExtID, cmd.UserExtID
	if err := c.Principal.Authorize(uc.Access(clientExtID, userExtID), uc.now()); err != nil {
		return ChallengeIssued{}, err
	}
	var out ChallengeIssued
	err := uc.cards.UpdateUserCard(ctx, clientExtID, userExtID, func(u UserCards) (*credential.OTPCard, []event.Event, error) {
		if err := u.Holder.CanAuthenticate(); err != nil {
			return nil, nil, err
		}
		// The clock is read under the cards' locks, so that a card's changes keep their order in time.
		now := uc.now()
		var picked UserCard
		var err error
		if cmd.Card != (CardChoice{}) {
			picked, err = cmd.Card.chosen(u.Cards, userExtID)
		} else {
			picked, err = pickCard(u.Cards, userExtID, true, now)
		}
		if err != nil {
			return nil, nil, err
		}
		ch, err := picked.Card.IssueChallenge(now, picked.Policy.Parameters.CellReuse, drawIndex)
		if err != nil {
			return nil, nil, err
		}
		out = ChallengeIssued{Label: ch.Label, Card: picked.Card}
		if !ch.New {
			return nil, nil, nil
		}
		ev := cardEvent(credential.CardChallengeIssued, picked.Card, c.Meta())
		ev.Data["challenge"] = ch.Label
		return picked.Card, []event.Event{ev}, nil
	})
	if err != nil {
		return ChallengeIssued{}, fmt.Errorf("challenge user %s: %w", userExtID, err)
	}
	return out, nil
}
