package postgres

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/application/outbox"
	"github.com/otpcard/otpcard/domain/event"
)

// EventFeed hands committed events to subscribers through per-subscriber cursors.
type EventFeed struct {
	db *bun.DB
}

// NewEventFeed builds the feed.
func NewEventFeed(db *bun.DB) *EventFeed { return &EventFeed{db: db} }

var _ outbox.Feed = (*EventFeed)(nil)

type cursorRow struct {
	bun.BaseModel `bun:"table:event_cursors"`

	Subscriber string `bun:"subscriber,pk"`
	LastTxID   int64  `bun:"last_txid"`
	LastID     int64  `bun:"last_id"`
}

type storedEventRow struct {
	eventRow `bun:",extend"`
	TxID     int64 `bun:"txid"`
}

// Claim delivers the next committed events to one subscriber; see outbox.Feed. Events are read
// only from transactions older than every transaction still running, in (txid, id) order, so an
// event committed late never lands behind the cursor. The cursor row's lock makes one instance at
// a time deliver to a subscriber; the others skip it.
func (f *EventFeed) Claim(ctx context.Context, subscriber string, limit int, deliver func([]event.Stored) (int, error)) (int, error) {
	if _, err := f.db.NewInsert().Model(&cursorRow{Subscriber: subscriber}).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return 0, fmt.Errorf("event cursor: %w", translate(err))
	}
	var accepted int
	var deliverErr error
	err := runInTx(ctx, f.db, func(ctx context.Context, tx bun.Tx) error {
		// An advisory lock, not a row lock: it gives the transaction no xid while it delivers, so
		// a slow subscriber does not hold back the snapshot horizon of the others.
		var claimed bool
		if err := tx.NewRaw("SELECT pg_try_advisory_xact_lock(?, hashtext(?))", cursorLockSpace, subscriber).Scan(ctx, &claimed); err != nil {
			return translate(err)
		}
		if !claimed {
			return nil // another instance is delivering
		}
		var cur cursorRow
		if err := tx.NewSelect().Model(&cur).Where("subscriber = ?", subscriber).Scan(ctx); err != nil {
			return translate(err)
		}
		var rows []storedEventRow
		err := tx.NewSelect().Model(&rows).
			Where("(txid, id) > (?, ?)", cur.LastTxID, cur.LastID).
			Where("txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint").
			OrderExpr("txid, id").Limit(int64(limit)).Scan(ctx)
		if err != nil {
			return translate(err)
		}
		if len(rows) == 0 {
			return nil
		}
		events := make([]event.Stored, len(rows))
		for i, r := range rows {
			events[i] = r.stored()
		}
		accepted, deliverErr = deliver(events)
		if accepted == 0 {
			return nil
		}
		last := rows[accepted-1]
		_, err = tx.NewUpdate().Model(&cursorRow{Subscriber: subscriber, LastTxID: last.TxID, LastID: last.ID}).
			Column("last_txid", "last_id").Set("updated = now()").WherePK().Exec(ctx)
		return translate(err)
	})
	if err != nil {
		return 0, fmt.Errorf("deliver events to %s: %w", subscriber, err)
	}
	if deliverErr != nil {
		return accepted, fmt.Errorf("deliver events to %s: %w", subscriber, deliverErr)
	}
	return accepted, nil
}

func (r storedEventRow) stored() event.Stored {
	return event.Stored{ID: r.ID, Event: r.eventRow.event()}
}

func (r eventRow) event() event.Event {
	return event.Event{Type: event.Type(r.Type), Time: r.OccurredAt.UTC(),
		Actor:       event.Actor{Subject: r.ActorSubject, Mode: r.ActorMode},
		ClientExtID: r.ClientExtID, UserExtID: r.UserExtID, CredentialExt: r.CredentialExtID,
		PolicyExtID: r.PolicyExtID, Version: r.Version, RequestID: r.RequestID, Data: r.Data}
}

// cursorLockSpace is the first key of the advisory locks that guard event cursors.
const cursorLockSpace = 7_301
