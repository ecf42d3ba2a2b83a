package rollout

import (
	"fmt"

	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
)

// Selection names the users or cards a job works on, evaluated when the job is stored.
type Selection string

// The selections of API.md section 11.1.
const (
	UsersWithoutCard       Selection = "usersWithoutCard"
	CardsLowOnChallenges   Selection = "cardsLowOnChallenges"
	CardsCloseToExpiration Selection = "cardsCloseToExpiration"
)

// MaxUsers bounds the users a request names.
const MaxUsers = 10000

// Request asks for a job of kind issue or renew (an import comes as a file).
type Request struct {
	Kind        Kind
	Users       []string
	Selection   Selection
	PolicyExtID string
	Comment     string
}

// Validate applies the rules of API.md section 11.1: exactly one of users and selection, users
// not empty, unique and well-formed, a kind that goes with the selection.
func (r Request) Validate() error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{fault.ErrInvalid}, args...)...)
	}
	switch r.Kind {
	case KindIssue, KindRenew:
	case KindImport:
		return invalid(`an import is a text/csv body, not JSON`)
	default:
		return invalid(`kind must be "issue", "renew" or "import"`)
	}
	switch {
	case r.Users != nil && r.Selection != "":
		return invalid("give users or selection, not both")
	case r.Users == nil && r.Selection == "":
		return invalid("give users or selection")
	case r.Users != nil && len(r.Users) == 0:
		return invalid("users is empty")
	case len(r.Users) > MaxUsers:
		return invalid("users holds more than %d users", MaxUsers)
	}
	seen := make(map[string]bool, len(r.Users))
	for i, u := range r.Users {
		if extid.Validate(u) != nil {
			return invalid("users[%d] is not an extId (1-64 characters of A-Z a-z 0-9 . _ ~ : -)", i)
		}
		if seen[u] {
			return invalid("users[%d] repeats a user", i)
		}
		seen[u] = true
	}
	if r.Selection != "" {
		ok := (r.Kind == KindIssue && r.Selection == UsersWithoutCard) ||
			(r.Kind == KindRenew && (r.Selection == CardsLowOnChallenges || r.Selection == CardsCloseToExpiration))
		if !ok {
			return invalid("selection %q does not go with kind %q (issue: usersWithoutCard; renew: cardsLowOnChallenges or cardsCloseToExpiration)",
				shorten(string(r.Selection)), r.Kind)
		}
	}
	if r.PolicyExtID != "" {
		if extid.Validate(r.PolicyExtID) != nil {
			return invalid("policyExtId is not an extId")
		}
		if r.Kind == KindRenew {
			if r.Users != nil {
				return invalid("a renewal keeps each card's policy: policyExtId goes with a selection only")
			}
		}
	}
	if len([]rune(r.Comment)) > 1024 {
		return invalid("modificationComment is longer than 1024 characters")
	}
	return nil
}

func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
