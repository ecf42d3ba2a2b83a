package credential

import (
	"fmt"
	"time"
)

// Comment sets the card's modificationComment (an empty comment removes it) at time now and
// changes nothing else: an admin PATCH that carries no stateName. It returns ErrArchived for an
// archived card, which can no longer be written, and ErrInvalid for a comment longer than
// MaxCommentLength; nothing changes then.
func (c *OTPCard) Comment(comment string, now time.Time) error {
	if c.s.State == StateArchived {
		return fmt.Errorf("comment on %s: %w", c.s.ExtID, ErrArchived)
	}
	if err := ValidateComment(comment); err != nil {
		return err
	}
	c.s.ModificationComment = comment
	c.touch(now)
	return nil
}
