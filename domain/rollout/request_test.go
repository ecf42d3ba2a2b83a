package rollout_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

// users returns n distinct well-formed userExtIds: user-1, user-2, ...
func users(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user-%d", i+1)
	}
	return out
}

// wantValid fails unless err is nil (want == "") or wraps fault.ErrInvalid and, when want is not
// "-", mentions want.
func wantValid(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("got error %v, want nil", err)
	case want == "":
		return
	case err == nil:
		t.Fatalf("got nil, want an error wrapping fault.ErrInvalid (%s)", want)
	case !errors.Is(err, fault.ErrInvalid):
		t.Fatalf("got %v, want an error wrapping fault.ErrInvalid", err)
	case want != "-" && !strings.Contains(err.Error(), want):
		t.Errorf("got %q, want a message mentioning %q", err, want)
	}
	if f, ok := fault.Of(err); !ok || f.Code() != "errors.invalidData" {
		t.Errorf("got code %v, want errors.invalidData", f)
	}
}

// TestRequestValidateAccepts: the requests section 11.1 allows are accepted.
func TestRequestValidateAccepts(t *testing.T) {
	for _, tt := range []struct {
		name string
		req  rollout.Request
	}{
		{"issue to users", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-a", "user-b"}}},
		{"renew of users", rollout.Request{Kind: rollout.KindRenew, Users: []string{"user-a"}}},
		{"issue to users without a card", rollout.Request{Kind: rollout.KindIssue, Selection: rollout.UsersWithoutCard}},
		{"renew of cards low on challenges", rollout.Request{Kind: rollout.KindRenew, Selection: rollout.CardsLowOnChallenges}},
		{"renew of cards close to expiration", rollout.Request{Kind: rollout.KindRenew, Selection: rollout.CardsCloseToExpiration}},
		{"issue to users under a policy", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-a"}, PolicyExtID: "policy-a"}},
		{"issue to a selection under a policy", rollout.Request{Kind: rollout.KindIssue, Selection: rollout.UsersWithoutCard, PolicyExtID: "policy-a"}},
		{"renew of a selection under a policy", rollout.Request{Kind: rollout.KindRenew, Selection: rollout.CardsCloseToExpiration, PolicyExtID: "policy-a"}},
		{"every extId character", rollout.Request{Kind: rollout.KindIssue, Users: []string{"AZaz09._~:-"}}},
		{"a 64-character extId", rollout.Request{Kind: rollout.KindIssue, Users: []string{strings.Repeat("u", 64)}}},
		{"exactly 10000 users", rollout.Request{Kind: rollout.KindIssue, Users: users(rollout.MaxUsers)}},
		{"users that differ only in case", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-a", "USER-A"}}},
		{"a comment of 1024 characters", rollout.Request{Kind: rollout.KindIssue, Users: []string{"u"}, Comment: strings.Repeat("x", 1024)}},
		{"a comment of 1024 two-byte characters", rollout.Request{Kind: rollout.KindIssue, Users: []string{"u"}, Comment: strings.Repeat("é", 1024)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantValid(t, tt.req.Validate(), "")
		})
	}
}

// TestRequestValidateRefuses: every other request is 400 errors.invalidData (API.md section 14).
func TestRequestValidateRefuses(t *testing.T) {
	one := []string{"user-a"}
	for _, tt := range []struct {
		name string
		req  rollout.Request
		// want is a word the message must hold ("-": any message).
		want string
	}{
		{"no kind", rollout.Request{Users: one}, "kind"},
		{"an unknown kind", rollout.Request{Kind: "delete", Users: one}, "kind"},
		{"a kind in the wrong case", rollout.Request{Kind: "Issue", Users: one}, "kind"},
		{"import as JSON", rollout.Request{Kind: rollout.KindImport, Users: one}, "text/csv"},
		{"import as JSON without users", rollout.Request{Kind: rollout.KindImport}, "text/csv"},
		{"both users and selection", rollout.Request{Kind: rollout.KindIssue, Users: one, Selection: rollout.UsersWithoutCard}, "not both"},
		{"neither users nor selection", rollout.Request{Kind: rollout.KindIssue}, "users or selection"},
		{"empty users", rollout.Request{Kind: rollout.KindIssue, Users: []string{}}, "empty"},
		{"a duplicate user", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-a", "user-b", "user-a"}}, "users[2]"},
		{"10001 users", rollout.Request{Kind: rollout.KindIssue, Users: users(rollout.MaxUsers + 1)}, "10000"},
		{"an empty userExtId", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-a", ""}}, "users[1]"},
		{"a userExtId with a space", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user a"}}, "users[0]"},
		{"a userExtId with a slash", rollout.Request{Kind: rollout.KindIssue, Users: []string{"../user"}}, "users[0]"},
		{"a userExtId with a non-ASCII letter", rollout.Request{Kind: rollout.KindIssue, Users: []string{"jürg"}}, "users[0]"},
		{"a 65-character userExtId", rollout.Request{Kind: rollout.KindIssue, Users: []string{strings.Repeat("u", 65)}}, "users[0]"},
		{"issue of cards low on challenges", rollout.Request{Kind: rollout.KindIssue, Selection: rollout.CardsLowOnChallenges}, "does not go with"},
		{"issue of cards close to expiration", rollout.Request{Kind: rollout.KindIssue, Selection: rollout.CardsCloseToExpiration}, "does not go with"},
		{"renew of users without a card", rollout.Request{Kind: rollout.KindRenew, Selection: rollout.UsersWithoutCard}, "does not go with"},
		{"an unknown selection", rollout.Request{Kind: rollout.KindIssue, Selection: "everyone"}, "does not go with"},
		{"a selection in the wrong case", rollout.Request{Kind: rollout.KindIssue, Selection: "UsersWithoutCard"}, "does not go with"},
		{"a malformed policyExtId", rollout.Request{Kind: rollout.KindIssue, Users: one, PolicyExtID: "policy a"}, "policyExtId"},
		{"a policyExtId with renew of users", rollout.Request{Kind: rollout.KindRenew, Users: one, PolicyExtID: "policy-a"}, "policyExtId"},
		{"a comment of 1025 characters", rollout.Request{Kind: rollout.KindIssue, Users: one, Comment: strings.Repeat("é", 1025)}, "1024"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantValid(t, tt.req.Validate(), tt.want)
		})
	}
}

// TestRequestValidateShortensALongSelection: a selection is echoed in the message, but never at
// length.
func TestRequestValidateShortensALongSelection(t *testing.T) {
	long := strings.Repeat("s", 5000)
	err := rollout.Request{Kind: rollout.KindIssue, Selection: rollout.Selection(long)}.Validate()
	wantValid(t, err, "does not go with")
	if got := len(err.Error()); got > 400 {
		t.Errorf("got a message of %d bytes, want it to shorten the selection", got)
	}
}
