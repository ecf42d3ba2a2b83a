package postgres

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// ClientStore keeps clients.
type ClientStore struct {
	db *bun.DB
}

// NewClientStore builds the store.
func NewClientStore(db *bun.DB) *ClientStore { return &ClientStore{db: db} }

var _ appdirectory.ClientStore = (*ClientStore)(nil)

// Create saves a client and its events, and runs within, in one transaction.
func (s *ClientStore) Create(ctx context.Context, c directory.Client, events []event.Event, within appdirectory.Within) error {
	row := newClientRow(c)
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			if isCode(err, uniqueViolation) {
				return fmt.Errorf("%w: a client with that extId or name exists", fault.ErrDuplicate)
			}
			return translate(err)
		}
		if err := insertEvents(ctx, tx, events); err != nil {
			return err
		}
		return within(ctx)
	})
}

// Get returns one client.
func (s *ClientStore) Get(ctx context.Context, extID string) (directory.Client, error) {
	var row clientRow
	q := s.db.NewSelect().Model(&row).Where("ext_id = ?", extID)
	if err := selectOne(ctx, q, &fault.NotFoundError{Entity: "client", ExtID: extID}); err != nil {
		return directory.Client{}, err
	}
	return row.client(), nil
}

// List returns a page of clients, oldest first; with only non-nil, just those.
func (s *ClientStore) List(ctx context.Context, only []string, page listing.Page) (listing.Result[directory.Client], error) {
	var rows []clientRow
	q := s.db.NewSelect().Model(&rows).OrderExpr("created, ext_id").Limit(int64(page.Limit) + 1)
	if only != nil {
		if len(only) == 0 {
			return listing.Result[directory.Client]{Items: []directory.Client{}, Limit: page.Limit}, nil
		}
		q = q.Where("ext_id IN (?)", bun.List(only))
	}
	if page.After != nil {
		q = q.Where("(created, ext_id) > (?, ?)", page.After.Created, page.After.ExtID)
	}
	if err := q.Scan(ctx); err != nil {
		return listing.Result[directory.Client]{}, translate(err)
	}
	clients := make([]directory.Client, len(rows))
	for i, r := range rows {
		clients[i] = r.client()
	}
	return listing.Trim(clients, page.Limit, func(c directory.Client) listing.Cursor {
		return listing.Cursor{Created: c.Created, ExtID: c.ExtID}
	}), nil
}

// UserStore keeps users.
type UserStore struct {
	db *bun.DB
}

// NewUserStore builds the store.
func NewUserStore(db *bun.DB) *UserStore { return &UserStore{db: db} }

var _ appdirectory.UserStore = (*UserStore)(nil)

// Create saves a user and its events in one transaction.
func (s *UserStore) Create(ctx context.Context, u directory.User, events []event.Event, within appdirectory.Within) error {
	row := newUserRow(u)
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&row).Exec(ctx); err != nil {
			switch {
			case isCode(err, uniqueViolation):
				return fmt.Errorf("%w: a user with that extId, or with that loginId in this client, exists", fault.ErrDuplicate)
			case isCode(err, foreignKeyViolation):
				return &fault.NotFoundError{Entity: "client", ExtID: u.ClientExtID}
			}
			return translate(err)
		}
		if err := insertEvents(ctx, tx, events); err != nil {
			return err
		}
		return within(ctx)
	})
}

// Get returns the user of that client.
func (s *UserStore) Get(ctx context.Context, clientExtID, userExtID string) (directory.User, error) {
	var row userRow
	q := s.db.NewSelect().Model(&row).Where("ext_id = ?", userExtID).Where("client_ext_id = ?", clientExtID)
	if err := selectOne(ctx, q, &fault.NotFoundError{Entity: "user", ExtID: userExtID}); err != nil {
		return directory.User{}, err
	}
	return row.user(), nil
}

var _ appdirectory.UserStates = (*UserStore)(nil)

// UserState returns the state of the user with that extId, in whichever client.
func (s *UserStore) UserState(ctx context.Context, userExtID string) (directory.UserState, error) {
	var state string
	q := s.db.NewSelect().Table("users").Column("user_state").Where("ext_id = ?", userExtID)
	if err := selectOne(ctx, q, &fault.NotFoundError{Entity: "user", ExtID: userExtID}, &state); err != nil {
		return "", err
	}
	return directory.UserState(state), nil
}
