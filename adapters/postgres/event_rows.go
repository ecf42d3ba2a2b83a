package postgres

import (
	"context"
	"fmt"
	"strings"
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
func insertEvents(ctx context.Context, tx bun.Tx, events []event.Event) error {
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
	// A statement with values as arguments: its text depends only on the number of events, so it
	// is prepared once per connection (one round trip, no planning per insert).
	var b strings.Builder
	b.WriteString(`INSERT INTO "events" ("type", "occurred_at", "actor_subject", "actor_mode", "client_ext_id", ` +
		`"user_ext_id", "credential_ext_id", "policy_ext_id", "version", "request_id", "data") VALUES `)
	args := make([]any, 0, 11*len(rows))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11)
		args = append(args, r.Type, r.OccurredAt, r.ActorSubject, r.ActorMode, r.ClientExtID, r.UserExtID,
			r.CredentialExtID, r.PolicyExtID, r.Version, r.RequestID, r.Data)
	}
	if _, err := execPrepared(ctx, tx, "events insert", b.String(), args...); err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	return nil
}
