package credential_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

var allStates = []credential.State{credential.StateInitial, credential.StateActive, credential.StateTmpLocked,
	credential.StateFailLocked, credential.StateResetCode, credential.StateAdminChanged,
	credential.StateDisabled, credential.StateArchived}

// adminTable is the transition table of API.md section 4 written out pair by pair: the reason an
// allowed change records. Every pair not listed is refused.
var adminTable = map[[2]credential.State]string{
	{credential.StateInitial, credential.StateDisabled}:    credential.ReasonChangedByAdmin,
	{credential.StateActive, credential.StateDisabled}:     credential.ReasonChangedByAdmin,
	{credential.StateTmpLocked, credential.StateDisabled}:  credential.ReasonChangedByAdmin,
	{credential.StateFailLocked, credential.StateDisabled}: credential.ReasonChangedByAdmin,
	{credential.StateDisabled, credential.StateActive}:     credential.ReasonEnabledByAdmin,
	{credential.StateTmpLocked, credential.StateActive}:    credential.ReasonUnlock,
	{credential.StateFailLocked, credential.StateActive}:   credential.ReasonUnlock,

	{credential.StateInitial, credential.StateArchived}:      credential.ReasonArchivedByAdmin,
	{credential.StateActive, credential.StateArchived}:       credential.ReasonArchivedByAdmin,
	{credential.StateTmpLocked, credential.StateArchived}:    credential.ReasonArchivedByAdmin,
	{credential.StateFailLocked, credential.StateArchived}:   credential.ReasonArchivedByAdmin,
	{credential.StateResetCode, credential.StateArchived}:    credential.ReasonArchivedByAdmin,
	{credential.StateAdminChanged, credential.StateArchived}: credential.ReasonArchivedByAdmin,
	{credential.StateDisabled, credential.StateArchived}:     credential.ReasonArchivedByAdmin,
}

// lifecycleCard is a card with history in state (usedCard of otpcard_test.go): 2 failures, an
// outstanding challenge, and for tmp-locked a lock until t0+2h that resumes active.
func lifecycleCard(t *testing.T, state credential.State) credential.Snapshot {
	t.Helper()
	s := usedCard(t, state).Snapshot()
	if state == credential.StateTmpLocked {
		s.ResumeState = credential.StateActive
	} else {
		s.LockedUntil = time.Time{}
	}
	return s
}

// TestChangeStateAllPairs tries every (from, to) pair of the eight states against the table.
func TestChangeStateAllPairs(t *testing.T) {
	now := t0.Add(time.Hour) // the tmp-lock is still running
	if n := len(allStates) * len(allStates); n != 64 {
		t.Fatalf("pairs: got %d, want 64", n)
	}
	for _, from := range allStates {
		for _, to := range allStates {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				before := lifecycleCard(t, from)
				card := credential.RestoreOTPCard(before)
				err := card.ChangeState(to, "by the helpdesk", now)
				reason, allowed := adminTable[[2]credential.State{from, to}]
				switch {
				case from == credential.StateArchived:
					if !errors.Is(err, credential.ErrArchived) {
						t.Fatalf("got %v, want an error wrapping ErrArchived", err)
					}
				case !allowed:
					if !errors.Is(err, credential.ErrForbiddenTransition) {
						t.Fatalf("got %v, want an error wrapping ErrForbiddenTransition", err)
					}
				case err != nil:
					t.Fatalf("got error %v, want the change (reason %s)", err, reason)
				}
				if err != nil {
					if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
						t.Errorf("refused change altered the card:\n got %+v\nwant %+v", got, before)
					}
					return
				}
				want := before
				want.State, want.StateChangeReason, want.StateChangeDetail = to, reason, ""
				want.LockedUntil, want.ResumeState, want.Challenge = time.Time{}, "", nil
				want.ModificationComment, want.LastModified, want.Version = "by the helpdesk", now, before.Version+1
				if reason == credential.ReasonUnlock {
					want.FailedLoginCount = 0
				}
				if got := card.Snapshot(); !reflect.DeepEqual(got, want) {
					t.Errorf("after the change:\n got %+v\nwant %+v", got, want)
				}
			})
		}
	}
}

func TestChangeStateUnlockResetsFailures(t *testing.T) {
	tests := []struct {
		name  string
		state credential.State
		at    time.Time
	}{
		{"fail-locked", credential.StateFailLocked, t0},
		{"tmp-locked, lock running", credential.StateTmpLocked, t0},
		{"tmp-locked, 1 ms before the lock ends", credential.StateTmpLocked, t0.Add(2*time.Hour - ms)},
		// GET still shows tmp-locked; the admin's unlock must not turn into a 422.
		{"tmp-locked, lock already lapsed", credential.StateTmpLocked, t0.Add(3 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := lifecycleCard(t, tt.state)
			snap.FailedLoginCount = 7
			card := credential.RestoreOTPCard(snap)
			if err := card.ChangeState(credential.StateActive, "", tt.at); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			got := card.Snapshot()
			if got.State != credential.StateActive || got.StateChangeReason != credential.ReasonUnlock {
				t.Errorf("state, reason: got %s, %q; want active, unlock", got.State, got.StateChangeReason)
			}
			if got.FailedLoginCount != 0 || !got.LockedUntil.IsZero() || got.ResumeState != "" {
				t.Errorf("failures, lockedUntil, resume: got %d, %v, %q; want 0, zero, empty",
					got.FailedLoginCount, got.LockedUntil, got.ResumeState)
			}
			if !got.LastFailedLogin.Equal(snap.LastFailedLogin) {
				t.Errorf("LastFailedLogin: got %v, want it kept at %v", got.LastFailedLogin, snap.LastFailedLogin)
			}
			// After an unlock the card works again and strict mode starts counting from zero.
			ch, err := card.IssueChallenge(tt.at, credential.ChallengeRules{Size: 1}, drawFirst)
			if err != nil || ch.Label == "" {
				t.Fatalf("IssueChallenge after unlock: got %+v, %v; want a challenge", ch, err)
			}
		})
	}
}

func TestChangeStateLockedThenDisabledThenEnabled(t *testing.T) {
	card := lockoutCard(credential.StateActive, nil)
	for i, at := range []time.Duration{0, time.Second} {
		ch, err := card.IssueChallenge(t0.Add(at), credential.ChallengeRules{Size: 1}, drawFirst)
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if _, err := card.Login(ch.Label, "ZZZZ", newVerify().verify, lockoutDefaults, true, t0.Add(at)); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	now := t0.Add(2 * time.Second)
	if err := card.ChangeState(credential.StateDisabled, "", now); err != nil {
		t.Fatalf("disable a tmp-locked card: %v", err)
	}
	if got := card.Snapshot(); got.FailedLoginCount != 2 || !got.LockedUntil.IsZero() {
		t.Errorf("disabled: got failures %d, lockedUntil %v; want 2 (kept), zero", got.FailedLoginCount, got.LockedUntil)
	}
	if _, err := card.IssueChallenge(now, credential.ChallengeRules{Size: 1}, drawFirst); !errors.Is(err, credential.ErrNotUsable) {
		t.Errorf("IssueChallenge on the disabled card: got %v, want ErrNotUsable", err)
	}
	if err := card.ChangeState(credential.StateActive, "", now); err != nil {
		t.Fatalf("enable: %v", err)
	}
	if got := card.Snapshot(); got.State != credential.StateActive || got.StateChangeReason != credential.ReasonEnabledByAdmin {
		t.Errorf("enabled: got %s, %q; want active, %q", got.State, got.StateChangeReason, credential.ReasonEnabledByAdmin)
	}
	if _, err := card.IssueChallenge(now, credential.ChallengeRules{Size: 1}, drawFirst); err != nil {
		t.Errorf("IssueChallenge on the enabled card: got %v, want nil", err)
	}
}

func TestChangeStateComment(t *testing.T) {
	tests := []struct {
		name    string
		state   credential.State
		comment string
		wantErr error
	}{
		{"1024 characters", credential.StateActive, strings.Repeat("é", 1024), nil},
		{"1025 characters", credential.StateActive, strings.Repeat("é", 1025), fault.ErrInvalid},
		{"archived with a long comment", credential.StateArchived, strings.Repeat("a", 2000), credential.ErrArchived},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := lifecycleCard(t, tt.state)
			card := credential.RestoreOTPCard(before)
			err := card.ChangeState(credential.StateDisabled, tt.comment, t0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
					t.Errorf("card changed:\n got %+v\nwant %+v", got, before)
				}
				return
			}
			if got := card.Snapshot().ModificationComment; got != tt.comment {
				t.Errorf("ModificationComment: got %d bytes, want %d", len(got), len(tt.comment))
			}
		})
	}
}

// TestEditCommentOnly is the PATCH without stateName: the comment changes, the version moves, and
// nothing else, in every state but archived.
func TestEditCommentOnly(t *testing.T) {
	now := t0.Add(time.Hour)
	for _, state := range allStates {
		for _, comment := range []string{"called the user", ""} {
			t.Run(string(state)+"/"+comment, func(t *testing.T) {
				before := lifecycleCard(t, state)
				card := credential.RestoreOTPCard(before)
				outcome, err := card.Edit(credential.CardEdit{Comment: &comment}, now)
				if state == credential.StateArchived {
					if !errors.Is(err, credential.ErrArchived) {
						t.Fatalf("got %v, want an error wrapping ErrArchived", err)
					}
					if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
						t.Errorf("card changed:\n got %+v\nwant %+v", got, before)
					}
					return
				}
				if err != nil || outcome != credential.CommentChanged {
					t.Fatalf("got outcome %v, error %v; want CommentChanged, nil", outcome, err)
				}
				want := before
				want.ModificationComment, want.LastModified, want.Version = comment, now, before.Version+1
				if got := card.Snapshot(); !reflect.DeepEqual(got, want) {
					t.Errorf("after the comment:\n got %+v\nwant %+v", got, want)
				}
			})
		}
	}
}

// TestEditThatChangesNothing: an edit without members, or repeating the stored state and comment,
// changes nothing at all (API.md section 1), in every state, archived included.
func TestEditThatChangesNothing(t *testing.T) {
	now := t0.Add(time.Hour) // a tmp-lock is still running
	for _, state := range allStates {
		before := lifecycleCard(t, state)
		same, comment := before.State, before.ModificationComment
		edits := map[string]credential.CardEdit{
			"no members":              {},
			"the same state":          {State: &same},
			"the same comment":        {Comment: &comment},
			"the same state, comment": {State: &same, Comment: &comment},
		}
		for name, e := range edits {
			t.Run(string(state)+"/"+name, func(t *testing.T) {
				card := credential.RestoreOTPCard(before)
				outcome, err := card.Edit(e, now)
				if err != nil || outcome != credential.Unchanged {
					t.Fatalf("got outcome %v, error %v; want Unchanged, nil", outcome, err)
				}
				if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
					t.Errorf("card changed:\n got %+v\nwant %+v", got, before)
				}
			})
		}
	}
}

// TestEditStateRemovesAnOldComment: a change of state describes itself by the edit's comment; an
// edit without one removes the comment of the change before.
func TestEditStateRemovesAnOldComment(t *testing.T) {
	disabled := credential.StateDisabled
	for _, tt := range []struct {
		name    string
		comment *string
		want    string
	}{
		{"without a comment", nil, ""},
		{"with a comment", ptr("stolen"), "stolen"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			card := credential.RestoreOTPCard(lifecycleCard(t, credential.StateActive))
			outcome, err := card.Edit(credential.CardEdit{State: &disabled, Comment: tt.comment}, t0.Add(time.Hour))
			if err != nil || outcome != credential.StateChanged {
				t.Fatalf("got outcome %v, error %v; want StateChanged, nil", outcome, err)
			}
			if got := card.Snapshot(); got.State != disabled || got.ModificationComment != tt.want {
				t.Errorf("got state %s, comment %q; want %s, %q", got.State, got.ModificationComment, disabled, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestEditCommentTooLong(t *testing.T) {
	before := lifecycleCard(t, credential.StateActive)
	card := credential.RestoreOTPCard(before)
	long, limit := strings.Repeat("😀", 1025), strings.Repeat("😀", 1024)
	if _, err := card.Edit(credential.CardEdit{Comment: &long}, t0); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("got %v, want an error wrapping ErrInvalid", err)
	}
	if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
		t.Errorf("card changed:\n got %+v\nwant %+v", got, before)
	}
	if _, err := card.Edit(credential.CardEdit{Comment: &limit}, t0); err != nil {
		t.Errorf("1024 characters: got %v, want nil", err)
	}
}

// TestTimeNeverGoesBackwards: a change whose clock reads earlier than the card's last change (it
// waited for the lock, or its instance's clock lags) is recorded at the last change's time, so
// that a card's history stays in order.
func TestTimeNeverGoesBackwards(t *testing.T) {
	before := lifecycleCard(t, credential.StateActive)
	card := credential.RestoreOTPCard(before)
	comment := "late clock"
	if _, err := card.Edit(credential.CardEdit{Comment: &comment}, before.LastModified.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := card.Snapshot().LastModified; !got.Equal(before.LastModified) {
		t.Errorf("LastModified: got %s, want %s (not earlier than the last change)", got, before.LastModified)
	}
}

// TestLifecycleArchivedRefusesEverything: no write reaches an archived card, and it can neither
// issue a challenge nor log in.
func TestLifecycleArchivedRefusesEverything(t *testing.T) {
	before := lifecycleCard(t, credential.StateArchived)
	card := credential.RestoreOTPCard(before)
	for _, to := range allStates {
		if err := card.ChangeState(to, "", t0); !errors.Is(err, credential.ErrArchived) {
			t.Errorf("ChangeState(%s): got %v, want an error wrapping ErrArchived", to, err)
		}
	}
	comment := "x"
	if _, err := card.Edit(credential.CardEdit{Comment: &comment}, t0); !errors.Is(err, credential.ErrArchived) {
		t.Errorf("Edit: got %v, want an error wrapping ErrArchived", err)
	}
	if _, err := card.Replace(newTestGrid(t, defaultLayout(), 2), "", time.Hour, t0); !errors.Is(err, credential.ErrArchived) {
		t.Errorf("Replace: got %v, want an error wrapping ErrArchived", err)
	}
	if _, err := card.IssueChallenge(t0, credential.ChallengeRules{Size: 1}, drawFirst); !errors.Is(err, credential.ErrNotUsable) {
		t.Errorf("IssueChallenge: got %v, want an error wrapping ErrNotUsable", err)
	}
	if _, err := card.Login("A1", "0000", newVerify().verify, lockoutDefaults, true, t0); !errors.Is(err, credential.ErrNotUsable) {
		t.Errorf("Login: got %v, want an error wrapping ErrNotUsable", err)
	}
	if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
		t.Errorf("archived card changed:\n got %+v\nwant %+v", got, before)
	}
}
