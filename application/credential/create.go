package credential

import (
	"context"
	"fmt"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
)

// MaxCardsPerUser is how many OTP cards that are not archived a user may hold.
const MaxCardsPerUser = 2

// UserPolicies finds the policy a new card of a user is generated under.
type UserPolicies interface {
	// PolicyForUser returns the client's policy with that extId, or its default policy when
	// policyExtID is empty. It returns a *fault.NotFoundError when the client or the user
	// (in that client) does not exist, and credential.ErrUnknownPolicy for an unknown policy.
	PolicyForUser(ctx context.Context, clientExtID, userExtID, policyExtID string) (credential.Policy, error)
}

// CardCreator saves new cards.
type CardCreator interface {
	// Create saves the card and its events in one transaction that holds the user's row lock:
	// first it calls admit with the user's state and the number of cards the user holds that are
	// not archived, and saves nothing when admit returns an error (which Create returns
	// unchanged). It returns fault.ErrDuplicate when the extId is taken, a *fault.NotFoundError
	// when the user is gone, and credential.ErrUnknownPolicy when the card's policy is not (or no
	// longer) one of the client's.
	Create(ctx context.Context, card *credential.OTPCard, events []event.Event, admit func(holder credential.Holder, held int) error) error
}

// CreateOTPCard issues a new card to a user.
type CreateOTPCard struct {
	policies UserPolicies
	cards    CardCreator
	hasher   CellHasher
	frame    caller.Frame
}

// CreateCommand describes the new card.
type CreateCommand struct {
	Caller                        caller.Caller
	ClientExtID, UserExtID        string
	ExtID, PolicyExtID, StateName string
}

// Access is what a caller needs to create a card for the user: CredentialCreate, CredentialView
// and PolicyConfigurationView, admin callers only.
func (uc *CreateOTPCard) Access(clientExtID, userExtID string) access.Request {
	return access.Request{Client: clientExtID, User: userExtID,
		Rights: []access.Right{access.CredentialCreate, access.CredentialView, access.PolicyConfigurationView}}
}

// Do creates the card and returns it with its cells in clear. Errors: access errors,
// access.ErrUserNotUsable (the user is archived), *fault.NotFoundError,
// credential.ErrUnknownPolicy, credential.ErrUnknownState, credential.ErrForbiddenTransition,
// fault.ErrDuplicate, credential.ErrTooManyCards, fault.ErrInvalid.
func (uc *CreateOTPCard) Do(ctx context.Context, cmd CreateCommand) (Issued, error) {
	req := uc.Access(cmd.ClientExtID, cmd.UserExtID)
	return caller.Run(ctx, uc.frame, "CreateOTPCard", cmd.Caller, req, func(ctx context.Context) (Issued, error) {
		state, err := cmd.state()
		if err != nil {
			return Issued{}, err
		}
		policy, err := uc.policies.PolicyForUser(ctx, cmd.ClientExtID, cmd.UserExtID, cmd.PolicyExtID)
		if err != nil {
			return Issued{}, fault.Wrap(err, "create otp card")
		}
		grid, clear, err := newGrid(ctx, uc.hasher, policy.Parameters.Layout)
		if err != nil {
			return Issued{}, fault.Wrap(err, "create otp card")
		}
		card, err := credential.NewOTPCard(credential.NewCard{
			ExtID: cmd.ExtID, ClientExtID: cmd.ClientExtID, UserExtID: cmd.UserExtID,
			PolicyExtID: policy.ExtID, State: state, Lifetime: policy.Parameters.CredentialLifetime,
		}, grid, uc.frame.Now())
		if err != nil {
			return Issued{}, err
		}
		ev := cardEvent(credential.CardCreated, card, cmd.Caller.Meta())
		err = uc.cards.Create(ctx, card, []event.Event{ev}, cmd.admit)
		return Issued{Card: card, Clear: clear, ChallengeSize: policy.Parameters.ChallengeSize}, fault.Wrap(err, "create otp card")
	})
}

// state is the state the new card starts in, once the command's state name and extIds are valid.
func (cmd CreateCommand) state() (credential.State, error) {
	state := credential.StateInitial
	if cmd.StateName != "" {
		var err error
		if state, err = credential.ParseState(cmd.StateName); err != nil {
			return state, err
		}
	}
	for name, id := range map[string]string{"extId": cmd.ExtID, "policyExtId": cmd.PolicyExtID} {
		if id == "" {
			continue
		}
		if err := extid.Validate(id); err != nil {
			return state, fmt.Errorf("%s: %w", name, err)
		}
	}
	return state, nil
}

// admit lets a new card in, inside the store's transaction: the user may receive cards and holds
// fewer than MaxCardsPerUser that are not archived.
func (cmd CreateCommand) admit(holder credential.Holder, held int) error {
	if err := holder.CanReceiveCards(); err != nil {
		return err
	}
	if held >= MaxCardsPerUser {
		return fmt.Errorf("%w: user %s already holds %d OTP cards that are not archived",
			credential.ErrTooManyCards, cmd.UserExtID, held)
	}
	return nil
}
