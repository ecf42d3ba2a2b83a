package httpapi

import (
	"fmt"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/application/audit"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/extid"
)

// auditPath is the base path of otpcard's own API (ext).
const auditPath = "/otpcard/api/v1"

type auditEventJSON struct {
	ID              int64             `json:"id"`
	Type            string            `json:"type"`
	Time            string            `json:"time"`
	Actor           auditActorJSON    `json:"actor"`
	ClientExtID     string            `json:"clientExtId,omitempty"`
	UserExtID       string            `json:"userExtId,omitempty"`
	CredentialExtID string            `json:"credentialExtId,omitempty"`
	PolicyExtID     string            `json:"policyExtId,omitempty"`
	Version         int32             `json:"version"`
	RequestID       string            `json:"requestId,omitempty"`
	Data            map[string]string `json:"data,omitempty"`
}

type auditActorJSON struct {
	Subject string `json:"subject"`
	Mode    string `json:"mode"`
}

func auditWire(e event.Stored) auditEventJSON {
	data := e.Data
	if len(data) == 0 {
		data = nil
	}
	return auditEventJSON{ID: e.ID, Type: string(e.Type), Time: timeJSON(e.Time),
		Actor:       auditActorJSON{e.Actor.Subject, e.Actor.Mode},
		ClientExtID: e.ClientExtID, UserExtID: e.UserExtID, CredentialExtID: e.CredentialExt,
		PolicyExtID: e.PolicyExtID, Version: e.Version, RequestID: e.RequestID, Data: data}
}

// auditFilter reads the query filters clientExtId, userExtId, credentialExtId, type and since.
func auditFilter(c *gin.Context) (audit.Filter, error) {
	var f audit.Filter
	for name, dst := range map[string]*string{"clientExtId": &f.ClientExtID, "userExtId": &f.UserExtID, "credentialExtId": &f.CredentialExtID} {
		if v, ok := c.GetQuery(name); ok {
			if err := extid.Validate(v); err != nil {
				return f, fmt.Errorf("%w: query parameter %s: %v", errInvalidData, name, err)
			}
			*dst = v
		}
	}
	if v, ok := c.GetQuery("type"); ok {
		f.Type = event.Type(v) // the audit trail knows which types exist
	}
	if v, ok := c.GetQuery("since"); ok {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return f, fmt.Errorf("%w: query parameter since must be an RFC 3339 time", errInvalidData)
		}
		f.Since = t
	}
	return f, nil
}

func auditEventsQuery(c *gin.Context) (audit.ListAuditEventsQuery, error) {
	f, page, err := withPage(c, auditFilter)
	return audit.ListAuditEventsQuery{Caller: callerOf(c), Filter: f, Page: page}, err
}

func auditEventsWire(res listing.Result[event.Stored]) listJSON[auditEventJSON] {
	return listOf(res, auditWire)
}
