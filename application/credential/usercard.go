package credential

import (
	"context"
	"crypto/rand"
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

// CardsChange is what a change of a user's cards saves: the cards it changed (each one of those
// it was given, saved guarded by the version it was loaded at), a new card (a renewal's
// successor; only RenewUserCard saves one) and the events to record.
type CardsChange struct {
	Changed []*credential.OTPCard
	New     *credential.OTPCard
	Events  []event.Event
}

// UserCardChange picks among a user's cards and changes them.
type UserCardChange func(u UserCards) (CardsChange, error)

// UserCardUpdater changes the cards of a user in a transaction.
type UserCardUpdater interface {
	// UpdateUserCard locks every card of the user and calls fn with them (newest first), their
	// policies and the user's state; the cards fn changed are saved, each guarded by its loaded
	// version, together with the events, all in one transaction; a change with no card saves
	// nothing and records nothing. It returns a *fault.NotFoundError when the client or the user
	// does not exist, and fn's error unchanged (nothing is saved then).
	UpdateUserCard(ctx context.Context, clientExtID, userExtID string, fn UserCardChange) error
	// RenewUserCard is UpdateUserCard that also holds the user's row lock, as a create does, so
	// that fn may judge the two-card limit, and saves the change's new card too.
	RenewUserCard(ctx context.Context, clientExtID, userExtID string, fn UserCardChange) error
}

// changeOf is the change of one card with its events; no change when card is nil.
func changeOf(card *credential.OTPCard, events ...event.Event) CardsChange {
	if card == nil {
		return CardsChange{}
	}
	return CardsChange{Changed: []*credential.OTPCard{card}, Events: events}
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

// pickCard is the card that challenge and login use (credential.PickCard), or a
// *fault.NotFoundError when the user has none.
func pickCard(cards []UserCard, userExtID string, wantChallenge bool, now time.Time) (UserCard, error) {
	all := make([]*credential.OTPCard, len(cards))
	rules := make([]credential.ChallengeRules, len(cards))
	for i, uc := range cards {
		all[i], rules[i] = uc.Card, uc.Policy.Parameters.ChallengeRules()
	}
	i := credential.PickCard(all, rules, wantChallenge, now)
	if i < 0 {
		return UserCard{}, &fault.NotFoundError{Entity: "OTP credential of user", ExtID: userExtID}
	}
	return cards[i], nil
}

// drawIndex returns a uniformly random integer in [0, n) from crypto/rand.
func drawIndex(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("random challenge: %w", err)
	}
	return int(v.Int64()), nil
}
