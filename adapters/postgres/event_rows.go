package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/domain/event"
)

type eventRow struct {
	bun.BaseModel `bun:"table:events"`

	ID              int64             `bun:"id,pk,autoincrement"`
	Type            string            `bun:"type"`
	OccurredAt      time.Time         `bun:"occurred_at"`
	ActorSubject    string            `bun:"actor_subject"`
	ActorMode       string            `bun:"actor_mode"`
	ClientExtID     string            `bun:"client_ext_id"`
	UserExtID       string            `bun:"user_ext_id"`
	CredentialExtID string            `bun:"credential_ext_id"`
	PolicyExtID     string            `bun:"policy_ext_id"`
	Version         int32             `bun:"version"`
	RequestID       string            `bun:"request_id"`
	Data            map[string]string `bun:"data,type:jsonb"`
}

// insertEvents records events inside the caller's transaction.
func insertEvents(ctx context.Context, db bun.IDB, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	rows := make([]eventRow, len(events))
	for i, e := range events {
		data := e.Data
		if data == nil {
			data = map[string]string{}
		}
		rows[i] = eventRow{Type: string(e.Type), OccurredAt: e.Time.UTC(), ActorSubject: e.Actor.Subject,
			ActorMode: e.Actor.Mode, ClientExtID: e.ClientExtID, UserExtID: e.UserExtID,
			CredentialExtID: e.CredentialExt, PolicyExtID: e.PolicyExtID, Version: e.Version,
			RequestID: e.RequestID, Data: data}
	}
	// No RETURNING: the ids are not needed here, and a statement without a result set goes to
	// the server in one round trip instead of a prepare and an execute.
	if _, err := db.NewInsert().Model(&rows).Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("record events: %w", translate(err))
	}
	return nil
}
