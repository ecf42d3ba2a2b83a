package credential

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

// IssueChallenge asks a user for one cell of their card (API.md section 6).
type IssueChallenge struct {
	cards UserCardUpdater
	frame caller.Frame
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
	c, clientExtID, userExtID := cmd.Caller, cmd.ClientExtID, cmd.UserExtID
	req := uc.Access(clientExtID, userExtID)
	return caller.Run(ctx, uc.frame, "IssueChallenge", c, req, func(ctx context.Context) (ChallengeIssued, error) {
		var out ChallengeIssued
		err := uc.cards.UpdateUserCard(ctx, clientExtID, userExtID, func(u UserCards) (CardsChange, error) {
			picked, now, err := pickUsable(u, userExtID, cmd.Card, uc.frame.Now)
			if err != nil {
				return CardsChange{}, err
			}
			ch, err := picked.Card.IssueChallenge(now, picked.Policy.Parameters.ChallengeRules(), drawIndex)
			if err != nil {
				return CardsChange{}, err
			}
			out = ChallengeIssued{Label: ch.Label, Card: picked.Card}
			if !ch.New {
				return CardsChange{}, nil
			}
			ev := cardEvent(credential.CardChallengeIssued, picked.Card, c.Meta())
			ev.Data["challenge"] = ch.Label
			return changeOf(picked.Card, ev), nil
		})
		return out, fault.Wrap(err, "challenge user %s", userExtID)
	})
}
