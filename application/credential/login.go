package credential

import (
	"context"
	"fmt"
	"strconv"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// Login checks a user's answer to the outstanding challenge (API.md section 6).
type Login struct {
	cards    UserCardUpdater
	verifier CellVerifier
	frame    caller.Frame
}

// LoginCommand is one answer.
type LoginCommand struct {
	Caller                 caller.Caller
	ClientExtID, UserExtID string
	Challenge, Password    string
	// UpdateLoginInfo moves the success count and date on success.
	UpdateLoginInfo bool
}

// LoginOutcome is the result of a login attempt and the card after it.
type LoginOutcome struct {
	Result credential.LoginResult
	Card   *credential.OTPCard
}

// Access is what a caller needs to answer a challenge of the user: CredentialView and
// CredentialChangeState, admin callers only.
func (uc *Login) Access(clientExtID, userExtID string) access.Request {
	return access.Request{Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.CredentialView, access.CredentialChangeState}}
}

// Do verifies the answer; a wrong answer is an outcome, not an error. Errors: access errors,
// access.ErrUserNotUsable (the user is disabled or archived), *fault.NotFoundError,
// *credential.LockedError, credential.ErrNotUsable, credential.ErrNoChallenge.
func (uc *Login) Do(ctx context.Context, cmd LoginCommand) (LoginOutcome, error) {
	req := uc.Access(cmd.ClientExtID, cmd.UserExtID)
	return caller.Run(ctx, uc.frame, "Login", cmd.Caller, req, func(ctx context.Context) (LoginOutcome, error) {
		var out LoginOutcome
		err := uc.cards.UpdateUserCard(ctx, cmd.ClientExtID, cmd.UserExtID, func(u UserCards) (CardsChange, error) {
			picked, now, err := pickUsable(u, cmd.UserExtID, CardChoice{}, uc.frame.Now)
			if err != nil {
				return CardsChange{}, err
			}
			card, params := picked.Card, picked.Policy.Parameters
			remainingBefore := card.RemainingChallenges()
			secret := card.Snapshot().Grid.Secret()
			var verifyErr error // the first error of the cells verified (a multi-cell challenge verifies several)
			verify := func(i int, canonical string) bool {
				ok, err := uc.verifier.Verify(secret, i, canonical)
				if verifyErr == nil {
					verifyErr = err
				}
				return ok
			}
			res, err := card.Login(cmd.Challenge, cmd.Password, verify, params.Lockout(), cmd.UpdateLoginInfo, now)
			if err != nil {
				return CardsChange{}, err
			}
			if verifyErr != nil {
				return CardsChange{}, fmt.Errorf("verify cell: %w", verifyErr)
			}
			out = LoginOutcome{Result: res, Card: card}
			change := changeOf(card, loginEvents(card, res, remainingBefore, params.LowOnChallenges, cmd.Caller)...)
			if res.TakesOver {
				// The successor's first successful login retires its predecessor (API.md 10.3).
				for _, other := range u.Cards {
					if from := other.Card.State(); other.Card.RetireFor(card, now) {
						change.Changed = append(change.Changed, other.Card)
						change.Events = append(change.Events, stateChanged(other.Card, from, cmd.Caller))
					}
				}
			}
			return change, nil
		})
		return out, fault.Wrap(err, "login user %s", cmd.UserExtID)
	})
}

// loginEvents records the attempt, a lock it caused, and the card running low on challenges.
func loginEvents(card *credential.OTPCard, res credential.LoginResult, remainingBefore, lowThreshold int, c caller.Caller) []event.Event {
	meta := c.Meta()
	t := credential.CardLoginFailed
	if res.Succeeded() {
		t = credential.CardLoginSucceeded
	}
	ev := cardEvent(t, card, meta)
	ev.Data["statusCode"] = strconv.Itoa(res.StatusCode)
	events := []event.Event{ev}
	if res.Locked {
		events = append(events, cardEvent(credential.CardLocked, card, meta))
	}
	if remaining := card.RemainingChallenges(); remainingBefore > lowThreshold && remaining <= lowThreshold {
		low := cardEvent(credential.CardLowOnChallenges, card, meta)
		low.Data["remainingChallenges"] = strconv.Itoa(remaining)
		events = append(events, low)
	}
	return events
}
