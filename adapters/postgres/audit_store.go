package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/application/audit"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/event"
)

// AuditStore keeps the audit trail in its own append-only table.
type AuditStore struct {
	db *bun.DB
}

// NewAuditStore builds the store.
func NewAuditStore(db *bun.DB) *AuditStore { return &AuditStore{db: db} }

var _ audit.Store = (*AuditStore)(nil)

type auditRow struct {
	bun.BaseModel `bun:"table:audit_events"`

	EventID int64 `bun:"event_id,pk"`
	eventFields
}

// Append records events, each once, with one statement.
func (s *AuditStore) Append(ctx context.Context, events ...event.Stored) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]auditRow, len(events))
	for i, e := range events {
		rows[i] = auditRow{EventID: e.ID, eventFields: fieldsOf(e.Event)}
	}
	if _, err := s.db.NewInsert().Model(&rows).On("CONFLICT (event_id) DO NOTHING").Exec(ctx); err != nil {
		return translate(err)
	}
	return nil
}

// List returns a page of the trail, oldest first.
func (s *AuditStore) List(ctx context.Context, f audit.Filter, page listing.Page) (listing.Result[event.Stored], error) {
	var res listing.Result[event.Stored]
	if f.Clients != nil && len(f.Clients) == 0 {
		return listing.Result[event.Stored]{Items: []event.Stored{}, Limit: page.Limit}, nil
	}
	var rows []auditRow
	q := s.db.NewSelect().Model(&rows).OrderExpr("occurred_at, event_id").Limit(int64(page.Limit) + 1)
	for col, v := range map[string]string{"client_ext_id": f.ClientExtID, "user_ext_id": f.UserExtID,
		"credential_ext_id": f.CredentialExtID, "type": string(f.Type)} {
		if v != "" {
			q = q.Where("? = ?", bun.Ident(col), v)
		}
	}
	if f.Clients != nil {
		q = q.Where("client_ext_id IN (?)", bun.List(f.Clients))
	}
	if !f.Since.IsZero() {
		q = q.Where("occurred_at >= ?", f.Since.UTC())
	}
	if page.After != nil {
		id, err := strconv.ParseInt(page.After.ExtID, 10, 64)
		if err != nil {
			return res, fmt.Errorf("%w: %v", listing.ErrBadCursor, err)
		}
		q = q.Where("(occurred_at, event_id) > (?, ?)", page.After.Created.UTC(), id)
	}
	if err := q.Scan(ctx); err != nil {
		return res, translate(err)
	}
	items := make([]event.Stored, len(rows))
	for i, r := range rows {
		items[i] = event.Stored{ID: r.EventID, Event: r.event()}
	}
	return listing.Trim(items, page.Limit, audit.CursorOf), nil
}
