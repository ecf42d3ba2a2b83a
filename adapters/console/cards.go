package console

import (
	"context"
	"fmt"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

// cardLine is a card as the user's page shows it: never a cell.
type cardLine struct {
	ExtID, Serial, State, ValidTo, LockedUntil string
	Version                                    int32
	Expired                                    bool
	Remaining                                  int
	LastLogin, Predecessor, Successor          string
}

// cardsOf lists the user's cards, newest first (right CredentialView).
func cardsOf(ctx context.Context, uc *appcredential.ListOTPCards, c caller.Caller, client, user string, now time.Time) ([]cardLine, error) {
	res, err := uc.Do(ctx, appcredential.ListCardsQuery{Caller: c, ClientExtID: client, UserExtID: user, Page: listing.Page{Limit: 20}})
	if err != nil {
		return nil, err
	}
	lines := make([]cardLine, 0, len(res.Items))
	for i := len(res.Items) - 1; i >= 0; i-- {
		card := res.Items[i]
		s := card.Snapshot()
		lines = append(lines, cardLine{ExtID: s.ExtID, Serial: string(s.Serial), State: string(s.State), Version: s.Version,
			ValidTo: day(s.ValidTo), Expired: card.Expired(now), Remaining: card.RemainingChallenges(),
			LockedUntil: stamp(s.LockedUntil), LastLogin: stamp(s.LastSuccessfulLogin),
			Predecessor: s.PredecessorExtID, Successor: s.SuccessorExtID})
	}
	return lines, nil
}

// holderOfSerial finds the user who holds the card with that serial in the client (right
// CredentialView); "" when the query is no serial or no card has it.
func holderOfSerial(ctx context.Context, uc *appcredential.FindOTPCardBySerial, c caller.Caller, client, q string) (string, error) {
	serial, err := credential.ParseSerial(q)
	if err != nil {
		return "", nil // not a serial: a search for names
	}
	res, err := uc.Do(ctx, appcredential.FindBySerialQuery{Caller: c, ClientExtID: client, Serial: serial, Page: listing.Page{Limit: 1}})
	if err != nil || len(res.Items) == 0 {
		return "", err
	}
	return res.Items[0].Snapshot().UserExtID, nil
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// Actions lists what the operator may do to the card, by its state: unlock a locked card, disable
// or enable it, archive it; delete is always offered. The use case decides; a button only offers.
func (l cardLine) Actions() []string {
	switch credential.State(l.State) {
	case credential.StateTmpLocked, credential.StateFailLocked:
		return []string{"unlock", "disable", "archive"}
	case credential.StateDisabled:
		return []string{"enable", "archive"}
	case credential.StateArchived:
		return nil
	}
	return []string{"disable", "archive"}
}

// actionStates are the states the console's actions go to.
var actionStates = map[string]credential.State{
	"unlock": credential.StateActive, "enable": credential.StateActive,
	"disable": credential.StateDisabled, "archive": credential.StateArchived,
}

// changeCardState moves the card to the action's state, at the version the operator saw (right
// CredentialModify or CredentialChangeState). An unknown action is fault.ErrInvalid.
func changeCardState(ctx context.Context, uc *appcredential.ChangeOTPCardState, c caller.Caller, key appcredential.CardKey,
	action string, version int32) error {
	to, ok := actionStates[action]
	if !ok {
		return fmt.Errorf("%w: unknown action", fault.ErrInvalid)
	}
	name := string(to)
	_, err := uc.Do(ctx, appcredential.ChangeStateCommand{Caller: c, Key: key, StateName: &name, Version: &version})
	return err
}

// deleteCard deletes the card at the version the operator saw (right CredentialDelete).
func deleteCard(ctx context.Context, uc *appcredential.DeleteOTPCard, c caller.Caller, key appcredential.CardKey, version int32) error {
	_, err := uc.Do(ctx, appcredential.DeleteCardCommand{Caller: c, Key: key, Version: &version})
	return err
}
