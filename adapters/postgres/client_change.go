package postgres

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var _ appdirectory.ClientChanger = (*ClientStore)(nil)

// Update changes one client under its row lock; see appdirectory.ClientChanger.
func (s *ClientStore) Update(ctx context.Context, extID string, fn func(context.Context, *directory.Client) ([]event.Event, error)) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := lockClient(ctx, tx, extID)
		if err != nil {
			return err
		}
		client := row.client()
		events, err := fn(ctx, &client)
		if err != nil {
			return err
		}
		if client.Version == row.Version {
			return nil // fn changed nothing
		}
		next := newClientRow(client)
		res, err := tx.NewUpdate().Model(&next).Column("name", "display_name", "remarks", "print_settings", "last_modified", "version").
			WherePK().Where("version = ?", row.Version).Exec(ctx)
		if err != nil {
			if isCode(err, uniqueViolation) {
				return fmt.Errorf("%w: a client named %q exists", fault.ErrDuplicate, client.Name)
			}
			return translate(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%w: client %s moved past version %d", fault.ErrVersionConflict, extID, row.Version)
		}
		return insertEvents(ctx, tx, events)
	})
}

// Delete removes a client under its row lock; see appdirectory.ClientChanger. The lock
// conflicts with the key-share lock that inserting a user takes on the client, so no user can be
// added while they are counted. fn's dependents (the client's policies) run in the transaction.
func (s *ClientStore) Delete(ctx context.Context, extID string, fn func(context.Context, appdirectory.ClientRemoval) ([]event.Event, error)) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		row, err := lockClient(ctx, tx, extID)
		if err != nil {
			return err
		}
		users, err := tx.NewSelect().Model((*userRow)(nil)).Where("client_ext_id = ?", extID).Count(ctx)
		if err != nil {
			return translate(err)
		}
		events, err := fn(ctx, appdirectory.ClientRemoval{Client: row.client(), Users: int(users)})
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*clientRow)(nil)).Where("ext_id = ?", extID).Exec(ctx); err != nil {
			return deleteError(err, extID)
		}
		return insertEvents(ctx, tx, events)
	})
}

// deleteError turns a foreign key violation while deleting a client into ErrHasDependents: some
// row still refers to the client.
func deleteError(err error, extID string) error {
	if isCode(err, foreignKeyViolation) {
		return fmt.Errorf("%w: client %s is still referenced", directory.ErrHasDependents, extID)
	}
	return translate(err)
}

func lockClient(ctx context.Context, tx bun.Tx, extID string) (clientRow, error) {
	var row clientRow
	q := tx.NewSelect().Model(&row).Where("ext_id = ?", extID).For("UPDATE")
	return row, selectOne(ctx, q, &fault.NotFoundError{Entity: "client", ExtID: extID})
}
