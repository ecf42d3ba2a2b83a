package postgres

import (
	"context"
	"fmt"
	"slices"
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

// eventsPerInsert bounds one INSERT's rows: 11 arguments each stay well below PostgreSQL's
// 65535 parameters, and the statements a connection prepares stay few (one per row count).
const eventsPerInsert = 64

// insertEvents records events inside the caller's transaction. Each statement carries the values
// as arguments, so its text depends only on the number of events: it is prepared once per
// connection (one round trip, no planning per insert).
func insertEvents(ctx context.Context, tx bun.Tx, events []event.Event) error {
	for chunk := range slices.Chunk(events, eventsPerInsert) {
		var b strings.Builder
		b.WriteString(`INSERT INTO "events" ("type", "occurred_at", "actor_subject", "actor_mode", "client_ext_id", ` +
			`"user_ext_id", "credential_ext_id", "policy_ext_id", "version", "request_id", "data") VALUES `)
		args := make([]any, 0, 11*len(chunk))
		for i, e := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
				n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11)
			data := e.Data
			if data == nil {
				data = map[string]string{}
			}
			args = append(args, string(e.Type), e.Time.UTC(), e.Actor.Subject, e.Actor.Mode, e.ClientExtID,
				e.UserExtID, e.CredentialExt, e.PolicyExtID, e.Version, e.RequestID, data)
		}
		if _, err := execPrepared(ctx, tx, "events insert", b.String(), args...); err != nil {
			return fmt.Errorf("record events: %w", err)
		}
	}
	return nil
}
