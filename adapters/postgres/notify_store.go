package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	appnotify "github.com/otpcard/otpcard/application/notify"
)

// NotifyStore keeps the notify module's tables: its copy of the users' addresses and the events
// whose notice has ended; see appnotify.Recipients and appnotify.Deliveries. SaveRecipient and
// DeleteRecipient run inside the directory's transaction when ctx carries it.
type NotifyStore struct {
	db *bun.DB
}

// NewNotifyStore builds the store.
func NewNotifyStore(db *bun.DB) *NotifyStore { return &NotifyStore{db: db} }

var (
	_ appnotify.Recipients = (*NotifyStore)(nil)
	_ appnotify.Deliveries = (*NotifyStore)(nil)
)

type recipientRow struct {
	bun.BaseModel `bun:"table:notify_recipients"`

	UserExtID    string `bun:"user_ext_id,pk"`
	ClientExtID  string `bun:"client_ext_id"`
	Email        string `bun:"email"`
	LanguageCode string `bun:"language_code"`
	FirstName    string `bun:"first_name"`
	FamilyName   string `bun:"family_name"`
}

// SaveRecipient records the user's address; see appnotify.Recipients.
func (s *NotifyStore) SaveRecipient(ctx context.Context, r appnotify.Recipient) error {
	row := recipientRow{UserExtID: r.UserExtID, ClientExtID: r.ClientExtID, Email: r.Email, LanguageCode: r.LanguageCode,
		FirstName: r.FirstName, FamilyName: r.FamilyName}
	_, err := connOf(ctx, s.db).NewInsert().Model(&row).On("CONFLICT (user_ext_id) DO UPDATE").
		Set("client_ext_id = EXCLUDED.client_ext_id, email = EXCLUDED.email, language_code = EXCLUDED.language_code").
		Set("first_name = EXCLUDED.first_name, family_name = EXCLUDED.family_name").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save recipient %s: %w", r.UserExtID, translate(err))
	}
	return nil
}

// DeleteRecipient forgets the user; see appnotify.Recipients.
func (s *NotifyStore) DeleteRecipient(ctx context.Context, clientExtID, userExtID string) error {
	_, err := connOf(ctx, s.db).NewDelete().Model((*recipientRow)(nil)).
		Where("user_ext_id = ?", userExtID).Where("client_ext_id = ?", clientExtID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete recipient %s: %w", userExtID, translate(err))
	}
	return nil
}

// Recipient returns the user's address; see appnotify.Recipients.
func (s *NotifyStore) Recipient(ctx context.Context, clientExtID, userExtID string) (appnotify.Recipient, bool, error) {
	var row recipientRow
	err := s.db.NewSelect().Model(&row).Where("user_ext_id = ?", userExtID).Where("client_ext_id = ?", clientExtID).Scan(ctx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return appnotify.Recipient{}, false, nil
	case err != nil:
		return appnotify.Recipient{}, false, fmt.Errorf("read recipient %s: %w", userExtID, translate(err))
	}
	return appnotify.Recipient{ClientExtID: row.ClientExtID, UserExtID: row.UserExtID, Email: row.Email,
		LanguageCode: row.LanguageCode, FirstName: row.FirstName, FamilyName: row.FamilyName}, true, nil
}

// Ended reports whether the notice of the event has ended; see appnotify.Deliveries.
func (s *NotifyStore) Ended(ctx context.Context, eventID int64) (bool, error) {
	ended, err := s.db.NewSelect().Table("notify_deliveries").Where("event_id = ?", eventID).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("read delivery of event %d: %w", eventID, translate(err))
	}
	return ended, nil
}

// End records how the notice of the event ended; see appnotify.Deliveries.
func (s *NotifyStore) End(ctx context.Context, eventID int64, outcome appnotify.Outcome, at time.Time) error {
	_, err := s.db.NewRaw("INSERT INTO notify_deliveries (event_id, outcome, ended_at) VALUES (?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
		eventID, string(outcome), at.UTC()).Exec(ctx)
	if err != nil {
		return fmt.Errorf("record delivery of event %d: %w", eventID, translate(err))
	}
	return nil
}
