package postgres

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

var _ appcredential.Holders = (*CardStore)(nil)

// SaveHolder records the user as a holder of cards in the client, in that state; see
// appcredential.Holders.
func (s *CardStore) SaveHolder(ctx context.Context, clientExtID, userExtID string, h credential.Holder) error {
	_, err := connOf(ctx, s.db).NewRaw(`INSERT INTO holders (ext_id, client_ext_id, state) VALUES (?, ?, ?) `+
		`ON CONFLICT (ext_id) DO UPDATE SET state = EXCLUDED.state`, userExtID, clientExtID, h.String()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save holder %s: %w", userExtID, translate(err))
	}
	return nil
}

// DeleteHolder deletes the holder's cards and the holder; see appcredential.Holders. The holder's
// row lock comes first, as in Create, then the cards' locks oldest first, as in UpdateUserCard,
// so that none of them can deadlock with this.
func (s *CardStore) DeleteHolder(ctx context.Context, clientExtID, userExtID string, fn func([]*credential.OTPCard) []event.Event) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var locked []string
		err := tx.NewSelect().Table("holders").Column("ext_id").Where("ext_id = ?", userExtID).
			Where("client_ext_id = ?", clientExtID).For("UPDATE").Scan(ctx, &locked)
		if err != nil {
			return translate(err)
		}
		var rows []cardRow
		err = tx.NewSelect().Model(&rows).Where("user_ext_id = ?", userExtID).Where("client_ext_id = ?", clientExtID).
			OrderExpr("created, ext_id").For("UPDATE").Scan(ctx)
		if err != nil {
			return translate(err)
		}
		cards := make([]*credential.OTPCard, len(rows))
		for i, r := range rows {
			if cards[i], err = r.card(); err != nil {
				return err
			}
		}
		if _, err := tx.NewDelete().Model((*cardRow)(nil)).Where("user_ext_id = ?", userExtID).
			Where("client_ext_id = ?", clientExtID).Exec(ctx); err != nil {
			return translate(err)
		}
		if _, err := tx.NewDelete().Table("holders").Where("ext_id = ?", userExtID).
			Where("client_ext_id = ?", clientExtID).Exec(ctx); err != nil {
			return translate(err)
		}
		return insertEvents(ctx, tx, fn(cards))
	})
}
