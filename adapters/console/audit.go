package console

import (
	"context"
	"sort"
	"time"

	"github.com/otpcard/otpcard/application/audit"
	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
)

// auditWindow is how far back the user's audit page looks.
const auditWindow = 30 * 24 * time.Hour

// auditLine is one event of a user's audit trail as the page shows it.
type auditLine struct {
	Time, Type, Actor, Credential string
	Data                          []string
}

// userAudit reads the user's audit trail of the last auditWindow, newest first, at most 200
// events (right AuditView, the caller's data room).
func userAudit(ctx context.Context, uc *audit.ListAuditEvents, c caller.Caller, client, user string, now time.Time) ([]auditLine, bool, error) {
	res, err := uc.Do(ctx, audit.ListAuditEventsQuery{Caller: c,
		Filter: audit.Filter{ClientExtID: client, UserExtID: user, Since: now.Add(-auditWindow)}, Page: listing.Page{Limit: 200}})
	if err != nil {
		return nil, false, err
	}
	lines := make([]auditLine, 0, len(res.Items))
	for i := len(res.Items) - 1; i >= 0; i-- {
		e := res.Items[i]
		var data []string
		for k, v := range e.Data {
			data = append(data, k+"="+v)
		}
		sort.Strings(data)
		lines = append(lines, auditLine{Time: stamp(e.Time), Type: string(e.Type), Actor: e.Actor.Subject + " (" + e.Actor.Mode + ")",
			Credential: e.CredentialExt, Data: data})
	}
	return lines, res.Next != nil, nil
}
