package credential

import (
	"fmt"
	"time"
)

// CardEdit is an admin's change of a card, the PATCH of API.md section 4: members left nil stay
// as they are.
type CardEdit struct {
	// State is the state to go to, through the transition table.
	State *State
	// Comment becomes the modificationComment; an empty one removes it. With a change of state
	// the comment describes that change, so it is removed when the edit carries none.
	Comment *string
}

// EditOutcome tells what an edit changed, and so which event it records.
type EditOutcome int

// The outcomes of Edit.
const (
	// Unchanged: the edit repeats what is stored; nothing changes, not even the version.
	Unchanged EditOutcome = iota
	// CommentChanged: only the modificationComment changed.
	CommentChanged
	// StateChanged: the state changed, through the transition table.
	StateChanged
)

// Edit applies an admin edit at time now. An edit that changes nothing (no members, or the stored
// values again) changes nothing and is no error, even on an archived card (so an admin who retries
// an archive gets the same answer twice). Otherwise it returns ErrArchived for an archived card,
// ErrForbiddenTransition for a change of state outside the table and fault.ErrInvalid for a comment
// longer than MaxCommentLength; nothing changes then.
func (c *OTPCard) Edit(e CardEdit, now time.Time) (EditOutcome, error) {
	if e.Comment != nil {
		if err := ValidateComment(*e.Comment); err != nil {
			return Unchanged, err
		}
	}
	newState := e.State != nil && *e.State != c.s.State
	newComment := e.Comment != nil && *e.Comment != c.s.ModificationComment
	if !newState && !newComment {
		return Unchanged, nil
	}
	if c.s.State == StateArchived {
		return Unchanged, fmt.Errorf("change %s: %w", c.s.ExtID, ErrArchived)
	}
	if !newState {
		c.s.ModificationComment = *e.Comment
		c.touch(now)
		return CommentChanged, nil
	}
	comment := ""
	if e.Comment != nil {
		comment = *e.Comment
	}
	if err := c.ChangeState(*e.State, comment, now); err != nil {
		return Unchanged, err
	}
	return StateChanged, nil
}
