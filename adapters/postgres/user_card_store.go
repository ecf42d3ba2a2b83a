package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
)

var _ appcredential.UserCardUpdater = (*CardStore)(nil)

// userCardRow is a card with the policy it runs under, read in one statement.
type userCardRow struct {
	cardRow
	Policy      policyRow `bun:"embed:policy__"`
	HolderState string    `bun:"holder_state"`
}

// UpdateUserCard locks the user's cards and changes one; see appcredential.UserCardUpdater.
// Concurrent challenges and logins of one user are serialized by these row locks.
func (s *CardStore) UpdateUserCard(ctx context.Context, clientExtID, userExtID string, fn appcredential.UserCardChange) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		// Locked oldest first, the order every other transaction that locks a user's cards uses
		// (user delete), so that the two can never deadlock; handed out newest first. Each card
		// comes with its policy in the same statement; only the cards are locked, so the policy is the
		// one committed when the statement started: a policy change that commits while this waits
		// for a card's lock applies from the next challenge or login, as if it had committed a
		// moment later.
		var rows []userCardRow
		err := s.lockUserCards.scan(ctx, s.db, tx, &rows, userExtID, clientExtID)
		if err != nil {
			return err
		}
		slices.Reverse(rows)
		var holder credential.Holder
		if len(rows) == 0 {
			if holder, err = s.checkUser(ctx, tx, clientExtID, userExtID); err != nil {
				return err
			}
		} else {
			holder = credential.HolderOf(rows[0].HolderState)
		}
		cards := make([]appcredential.UserCard, len(rows))
		loaded := map[*credential.OTPCard]*cardRow{}
		for i := range rows {
			r := &rows[i]
			policy, err := r.Policy.policy()
			if err != nil {
				return err
			}
			card, err := r.card()
			if err != nil {
				return err
			}
			cards[i] = appcredential.UserCard{Card: card, Policy: policy}
			loaded[card] = &r.cardRow
		}
		changed, events, err := fn(appcredential.UserCards{Holder: holder, Cards: cards})
		if err != nil || changed == nil {
			return err
		}
		before, ok := loaded[changed]
		if !ok {
			return fmt.Errorf("update user card: the callback returned a card it was not given")
		}
		if err := updateCard(ctx, tx, before, changed); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}
