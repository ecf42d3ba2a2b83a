package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// CardStore keeps OTP cards.
type CardStore struct {
	db *bun.DB
	// The statements of the hot paths, prepared (see preparedQuery).
	byKey, lockByKey, lockUserCards       preparedQuery
	userExists, userCards, userCardsAfter preparedQuery
	bySerial                              preparedQuery
}

// NewCardStore builds the store.
func NewCardStore(db *bun.DB) *CardStore {
	return &CardStore{
		db:             db,
		byKey:          preparedQuery{name: "otp_cards by key", sql: cardByKeySQL},
		lockByKey:      preparedQuery{name: "otp_cards by key for update", sql: lockCardByKeySQL},
		lockUserCards:  preparedQuery{name: "otp_cards of a user for update", sql: lockUserCardsSQL},
		userExists:     preparedQuery{name: "holder of a client", sql: holderSQL},
		userCards:      preparedQuery{name: "otp_cards of a user", sql: userCardsPageSQL},
		userCardsAfter: preparedQuery{name: "otp_cards of a user after a cursor", sql: userCardsPageAfterSQL},
		bySerial:       preparedQuery{name: "otp_cards by serial", sql: cardBySerialSQL},
	}
}

var (
	_ appcredential.CardUpdater  = (*CardStore)(nil)
	_ appcredential.CardCreator  = (*CardStore)(nil)
	_ appcredential.CardReader   = (*CardStore)(nil)
	_ appcredential.CardDeleter  = (*CardStore)(nil)
	_ appcredential.CardPolicies = (*CardStore)(nil)
	_ appcredential.UserPolicies = (*CardStore)(nil)
)

func cardNotFound(key appcredential.CardKey) error {
	return &fault.NotFoundError{Entity: "OTP credential", ExtID: key.ExtID}
}

// cardByKey reads the card under key with q (byKey or lockByKey) on conn.
func (s *CardStore) cardByKey(ctx context.Context, conn bun.IDB, q preparedQuery, key appcredential.CardKey) (*cardRow, error) {
	var rows []cardRow
	if err := q.scan(ctx, s.db, conn, &rows, key.ExtID, key.UserExtID, key.ClientExtID); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, cardNotFound(key)
	}
	return &rows[0], nil
}

// Get returns the card under key.
func (s *CardStore) Get(ctx context.Context, key appcredential.CardKey) (*credential.OTPCard, error) {
	row, err := s.cardByKey(ctx, s.db, s.byKey, key)
	if err != nil {
		return nil, err
	}
	return row.card()
}

// List returns a page of the user's cards, oldest first.
func (s *CardStore) List(ctx context.Context, clientExtID, userExtID string, page listing.Page) (listing.Result[*credential.OTPCard], error) {
	var res listing.Result[*credential.OTPCard]
	if _, err := s.checkUser(ctx, s.db, clientExtID, userExtID); err != nil {
		return res, err
	}
	var rows []cardRow
	q, args := s.userCards, []any{userExtID, clientExtID, page.Limit + 1}
	if page.After != nil {
		q, args = s.userCardsAfter, append(args, page.After.Created.UTC(), page.After.ExtID)
	}
	if err := q.scan(ctx, s.db, s.db, &rows, args...); err != nil {
		return res, err
	}
	cards := make([]*credential.OTPCard, 0, len(rows))
	for _, r := range rows {
		c, err := r.card()
		if err != nil {
			return res, err
		}
		cards = append(cards, c)
	}
	return listing.Trim(cards, page.Limit, func(c *credential.OTPCard) listing.Cursor {
		s := c.Snapshot()
		return listing.Cursor{Created: s.Created, ExtID: s.ExtID}
	}), nil
}

// FindBySerial returns the card with that serial in the client (and of the user, when given), nil
// when there is none; see appcredential.CardReader.
func (s *CardStore) FindBySerial(ctx context.Context, clientExtID, userExtID string, serial credential.Serial) (*credential.OTPCard, error) {
	// checkUser answers for the client first; with no user asked for, the client is all that counts.
	_, err := s.checkUser(ctx, s.db, clientExtID, userExtID)
	var missing *fault.NotFoundError
	if err != nil && !(userExtID == "" && errors.As(err, &missing) && missing.Entity == "user") {
		return nil, err
	}
	var rows []cardRow
	if err := s.bySerial.scan(ctx, s.db, s.db, &rows, string(serial), clientExtID, userExtID); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].card()
}

// Create saves a new card and its events, holding the holder's row lock while admit judges the
// user's state and the cards it holds, so that concurrent creates cannot exceed the limit.
func (s *CardStore) Create(ctx context.Context, card *credential.OTPCard, events []event.Event, admit func(credential.Holder, int) error) error {
	row := newCardRow(card)
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		holder, err := lockHolder(ctx, tx, row.ClientExtID, row.UserExtID)
		if err != nil {
			return err
		}
		if err := sharePolicy(ctx, tx, row.ClientExtID, row.PolicyExtID); err != nil {
			return err
		}
		held, err := tx.NewSelect().Model((*cardRow)(nil)).
			Where("user_ext_id = ?", row.UserExtID).Where("state <> ?", string(credential.StateArchived)).
			Count(ctx)
		if err != nil {
			return translate(err)
		}
		if err := admit(holder, int(held)); err != nil {
			return err
		}
		if err := insertCard(ctx, tx, &row); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// insertCard inserts a new card; a taken extId or serial number is fault.ErrDuplicate.
func insertCard(ctx context.Context, tx bun.Tx, row *cardRow) error {
	_, err := tx.NewInsert().Model(row).Exec(ctx)
	switch {
	case err == nil:
		return nil
	case isConstraint(err, uniqueViolation, serialIndex):
		// 60 random bits: about one create in 10^12 at a million cards.
		return fmt.Errorf("%w: the serial number drawn for the new card is taken; try again", fault.ErrDuplicate)
	case isCode(err, uniqueViolation):
		return fmt.Errorf("%w: an OTP credential with extId %s exists", fault.ErrDuplicate, row.ExtID)
	}
	return translate(err)
}

// Update changes one card under its row lock; see appcredential.CardUpdater.
func (s *CardStore) Update(ctx context.Context, key appcredential.CardKey, fn appcredential.CardChange) error {
	return s.change(ctx, key, fn, updateCard)
}

// Delete removes one card under its row lock; see appcredential.CardDeleter.
func (s *CardStore) Delete(ctx context.Context, key appcredential.CardKey, fn appcredential.CardChange) error {
	return s.change(ctx, key, fn, func(ctx context.Context, tx bun.Tx, _ *cardRow, _ *credential.OTPCard) error {
		_, err := tx.NewDelete().Model((*cardRow)(nil)).Where("ext_id = ?", key.ExtID).Exec(ctx)
		return translate(err)
	})
}

// change reads the card under key with its row lock, passes it to fn and writes fn's outcome with
// write (given the row as loaded) and fn's events, in one transaction.
func (s *CardStore) change(ctx context.Context, key appcredential.CardKey, fn appcredential.CardChange,
	write func(ctx context.Context, tx bun.Tx, loaded *cardRow, card *credential.OTPCard) error) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		loaded, err := s.cardByKey(ctx, tx, s.lockByKey, key)
		if err != nil {
			return err
		}
		card, err := loaded.card()
		if err != nil {
			return err
		}
		events, err := fn(card)
		if err != nil {
			return err
		}
		if err := write(ctx, tx, loaded, card); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

// updateCard saves card if it changed since it was loaded (every change moves the version, but
// the lifecycle job's announcements do not), with its grid only when the grid is new, guarded by
// the version it was loaded at.
func updateCard(ctx context.Context, tx bun.Tx, loaded *cardRow, card *credential.OTPCard) error {
	row := newCardRow(card)
	if row.Version == loaded.Version && row.CloseAnnounced == loaded.CloseAnnounced && row.ExpiryAnnounced == loaded.ExpiryAnnounced {
		return nil
	}
	query, args := updateCardStateSQL, []any{row.State, row.StateChangeReason, row.StateChangeDetail,
		row.ValidFrom, row.ValidTo, row.LastSuccessfulLogin, row.LastFailedLogin, row.SuccessfulLoginCount,
		row.FailedLoginCount, row.ModificationComment, row.Uses, row.Challenge, row.LockedUntil, row.ResumeState,
		row.LastModified, row.Version, row.PolicyExtID, row.SuccessorExtID, row.RenewedAt,
		row.CloseAnnounced, row.ExpiryAnnounced}
	if row.Scheme != loaded.Scheme || !bytes.Equal(row.Salt, loaded.Salt) || !bytes.Equal(row.Verifiers, loaded.Verifiers) {
		query, args = updateCardWithGridSQL, append(args, row.Rows, row.Cols, row.CellLength, row.Charset,
			row.Coordinate, row.Scheme, row.Salt, row.Verifiers, row.Serial)
	}
	res, err := execPrepared(ctx, tx, "otp_cards update", query, append(args, row.ExtID, loaded.Version)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: credential %s moved past version %d", fault.ErrVersionConflict, row.ExtID, loaded.Version)
	}
	return nil
}

// PolicyOfCard returns the current policy of the card under key and the state of its user.
func (s *CardStore) PolicyOfCard(ctx context.Context, key appcredential.CardKey) (credential.Policy, credential.Holder, error) {
	var row struct {
		policyRow   `bun:",extend"`
		HolderState string `bun:"holder_state"`
	}
	q := s.db.NewSelect().Model(&row).ColumnExpr("policy_row.*").ColumnExpr("h.state AS holder_state").
		Join("JOIN otp_cards AS c ON c.policy_ext_id = policy_row.ext_id").
		Join("JOIN holders AS h ON h.ext_id = c.user_ext_id").
		Where("c.ext_id = ?", key.ExtID).Where("c.user_ext_id = ?", key.UserExtID).
		Where("c.client_ext_id = ?", key.ClientExtID)
	if err := selectOne(ctx, q, cardNotFound(key)); err != nil {
		return credential.Policy{}, 0, err
	}
	p, err := row.policy()
	return p, credential.HolderOf(row.HolderState), err
}

// PolicyForUser returns the policy a new card of the user gets.
func (s *CardStore) PolicyForUser(ctx context.Context, clientExtID, userExtID, policyExtID string) (credential.Policy, error) {
	if _, err := s.checkUser(ctx, s.db, clientExtID, userExtID); err != nil {
		return credential.Policy{}, err
	}
	return s.clientPolicy(ctx, clientExtID, policyExtID)
}

// clientPolicy returns the client's policy with that extId, or its default policy when
// policyExtID is empty, or an error wrapping credential.ErrUnknownPolicy.
func (s *CardStore) clientPolicy(ctx context.Context, clientExtID, policyExtID string) (credential.Policy, error) {
	var row policyRow
	q := s.db.NewSelect().Model(&row).Where("client_ext_id = ?", clientExtID)
	if policyExtID == "" {
		q = q.Where("default_policy")
	} else {
		q = q.Where("ext_id = ?", policyExtID)
	}
	unknown := fmt.Errorf("%w: no OTP card policy %q in client %s", credential.ErrUnknownPolicy, policyExtID, clientExtID)
	if err := selectOne(ctx, q, unknown); err != nil {
		return credential.Policy{}, err
	}
	return row.policy()
}

// checkUser returns a *fault.NotFoundError naming the client or the user that is absent,
// or the user's state.
func (s *CardStore) checkUser(ctx context.Context, conn bun.IDB, clientExtID, userExtID string) (credential.Holder, error) {
	var found []struct {
		Client bool    `bun:"client"`
		User   *string `bun:"usr"`
	}
	if err := s.userExists.scan(ctx, s.db, conn, &found, clientExtID, userExtID); err != nil {
		return 0, err
	}
	if len(found) != 1 {
		return 0, fmt.Errorf("user exists: got %d rows, want 1", len(found))
	}
	if !found[0].Client {
		return 0, &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
	}
	if found[0].User == nil {
		return 0, &fault.NotFoundError{Entity: "user", ExtID: userExtID}
	}
	return credential.HolderOf(*found[0].User), nil
}
