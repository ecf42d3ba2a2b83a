package credential

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// UserCard is one card of a user with the policy it runs under now.
type UserCard struct {
	Card   *credential.OTPCard
	Policy credential.Policy
}

// UserCards are a user's cards, newest first, each with its policy, and the state of the user who
// holds them.
type UserCards struct {
	Holder credential.Holder
	Cards  []UserCard
}

// UserCardChange picks one of a user's cards and changes it; it returns the card to save (nil:
// save nothing) and the events to record.
type UserCardChange func(u UserCards) (*credential.OTPCard, []event.Event, error)

// UserCardUpdater changes one card of a user in a transaction.
type UserCardUpdater interface {
	// UpdateUserCard locks every card of the user and calls fn with them (newest first), their
	// policies and the user's state; when fn returns a card (one of those it was given) it is
	// saved guarded by its loaded version together with the events, all in one transaction;
	// when fn returns none, nothing is saved or recorded. It returns a *fault.NotFoundError when
	// the client or the user does not exist, and fn's error unchanged (nothing is saved then).
	UpdateUserCard(ctx context.Context, clientExtID, userExtID string, fn UserCardChange) error
}

// CellVerifier checks an answer against a card's secret.
type CellVerifier interface {
	// Verify reports in constant time whether value is cell index of the card; an error means
	// the stored secret cannot be used.
	Verify(secret credential.Secret, index int, value string) (bool, error)
}

// pickUsable is the first step of a challenge and of a login, inside the cards' locks: the user
// must be able to authenticate, and the card is the one choice names, or pickCard's when choice is
// the zero value. The clock is read here, under the locks, so that a card's changes keep their
// order in time; pickUsable returns that time.
func pickUsable(u UserCards, userExtID string, choice CardChoice, clock func() time.Time) (UserCard, time.Time, error) {
	if err := u.Holder.CanAuthenticate(); err != nil {
		return UserCard{}, time.Time{}, err
	}
	now := clock()
	if choice != (CardChoice{}) {
		picked, err := choice.chosen(u.Cards, userExtID)
		return picked, now, err
	}
	picked, err := pickCard(u.Cards, userExtID, true, now)
	return picked, now, err
}

// pickCard chooses the card that challenge and login use: the card whose outstanding challenge
// was asked last when wantChallenge is true, else the newest usable card; when none is usable, the newest locked
// one (so the caller hears 423), else the newest card (403). No card at all is not found.
func pickCard(cards []UserCard, userExtID string, wantChallenge bool, now time.Time) (UserCard, error) {
	if len(cards) == 0 {
		return UserCard{}, &fault.NotFoundError{Entity: "OTP credential of user", ExtID: userExtID}
	}
	if wantChallenge {
		// The challenge asked last: a card chosen by the challenge body may be older than another
		// card that still has a challenge outstanding from before.
		var asked *UserCard
		for i, uc := range cards {
			if uc.Card.HasChallenge() && (asked == nil || uc.Card.Snapshot().LastModified.After(asked.Card.Snapshot().LastModified)) {
				asked = &cards[i]
			}
		}
		if asked != nil {
			return *asked, nil
		}
	}
	var locked *UserCard
	for i, uc := range cards {
		err := uc.Card.Usable(now)
		if err == nil {
			return uc, nil
		}
		if errors.Is(err, credential.ErrLocked) && locked == nil {
			locked = &cards[i]
		}
	}
	if locked != nil {
		return *locked, nil
	}
	for _, uc := range cards {
		if uc.Card.State() != credential.StateArchived {
			return uc, nil
		}
	}
	return cards[0], nil
}

// drawIndex returns a uniformly random integer in [0, n) from crypto/rand.
func drawIndex(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("random challenge: %w", err)
	}
	return int(v.Int64()), nil
}
