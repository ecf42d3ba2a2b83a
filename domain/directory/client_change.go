package directory

import (
	"fmt"
	"time"

	"github.com/otpcard/otpcard/domain/fault"
)

// ClientChange is a partial change of a client: members not Set stay as they are. The extId
// never changes.
type ClientChange struct {
	Name        Optional[string]
	DisplayName Optional[map[string]string]
	Remarks     Optional[string]
	// Comment is the modification comment, recorded with the change's event, not on the client.
	Comment string
}

// CheckVersion returns a *fault.VersionConflictError when given is set and differs from the client's
// version.
func (c Client) CheckVersion(given *int32) error {
	return fault.CheckVersion("client", given, c.Version)
}

// Change applies ch, validates the result, sets lastModified to now and bumps the version by one,
// and reports whether anything changed: a change that repeats the stored values leaves the client
// as it is, version included (API.md section 1). lastModified never goes backwards. On error the
// client is left as it was.
func (c *Client) Change(ch ClientChange, now time.Time) (bool, error) {
	if err := checkComment(ch.Comment); err != nil {
		return false, err
	}
	next := *c
	ch.Name.applyTo(&next.Name)
	ch.Remarks.applyTo(&next.Remarks)
	applyMapTo(ch.DisplayName, &next.DisplayName)
	return commit(c, next, Client.validate, func(next *Client) {
		next.LastModified, next.Version = later(now, c.LastModified), c.Version+1
	})
}

// CheckDeletable refuses to delete a client that still has users: their credentials and
// history hang on it. Its policies go with it.
func (c Client) CheckDeletable(users int) error {
	if users > 0 {
		return fmt.Errorf("%w: client %s still has users (%d); delete them first", ErrHasDependents, c.ExtID, users)
	}
	return nil
}
