package credential_test

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
)

var (
	t0      = time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	uuidV4  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	newCard = credential.NewCard{ClientExtID: "client-a", UserExtID: "user-a", PolicyExtID: "policy-a", Lifetime: 24 * time.Hour}
)

// refused checks err against the error a case wants and stops the test when it does not match:
// with want nil, err must be nil; otherwise err must wrap want. It reports whether the case wanted
// an error (the test then has no result to check).
func refused(t *testing.T, err, want error) bool {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		return false
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want an error wrapping %v", err, want)
	}
	return true
}

func TestNewOTPCardDefaults(t *testing.T) {
	grid := newTestGrid(t, defaultLayout(), 1)
	card, err := credential.NewOTPCard(newCard, grid, t0)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	s := card.Snapshot()
	if !uuidV4.MatchString(s.ExtID) {
		t.Errorf("ExtID: got %q, want a v4 UUID", s.ExtID)
	}
	if _, err := credential.ParseSerial(s.Serial.String()); err != nil || card.Serial() != s.Serial {
		t.Errorf("Serial: got %q, want a drawn serial number (%v)", s.Serial, err)
	}
	want := credential.Snapshot{
		ExtID: s.ExtID, ClientExtID: "client-a", UserExtID: "user-a", PolicyExtID: "policy-a",
		Serial: s.Serial, State: credential.StateInitial, StateChangeReason: credential.ReasonInitialized,
		ValidFrom: t0, ValidTo: t0.Add(24 * time.Hour), Created: t0, LastModified: t0, Version: 1,
		Grid: grid, Challenge: nil,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Snapshot:\n got %+v\nwant %+v", s, want)
	}
	if card.ExtID() != s.ExtID || card.Version() != 1 || card.State() != credential.StateInitial || card.PolicyExtID() != "policy-a" {
		t.Errorf("accessors: got %q v%d %s %q, want %q v1 initial policy-a",
			card.ExtID(), card.Version(), card.State(), card.PolicyExtID(), s.ExtID)
	}
	if got := card.RemainingChallenges(); got != 168 {
		t.Errorf("RemainingChallenges: got %d, want 168", got)
	}
	if got, want := card.OTP(nil), "12|14|"+strings.Repeat("0", 168)+"|"+strings.Repeat("*", 672); got != want {
		t.Errorf("OTP(nil): got %q, want %q", got, want)
	}
}

func TestNewOTPCardStates(t *testing.T) {
	tests := []struct {
		state credential.State
		want  credential.State // empty: ErrForbiddenTransition
	}{
		{"", credential.StateInitial},
		{credential.StateInitial, credential.StateInitial},
		{credential.StateActive, credential.StateActive},
		{credential.StateDisabled, credential.StateDisabled},
		{credential.StateTmpLocked, ""},
		{credential.StateFailLocked, ""},
		{credential.StateResetCode, ""},
		{credential.StateAdminChanged, ""},
		{credential.StateArchived, ""},
		{"bogus", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			n := newCard
			n.State = tt.state
			card, err := credential.NewOTPCard(n, newTestGrid(t, defaultLayout(), 1), t0)
			if tt.want == "" {
				if !errors.Is(err, credential.ErrForbiddenTransition) || card != nil {
					t.Fatalf("got %v, %v; want nil, an error wrapping ErrForbiddenTransition", card, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := card.State(); got != tt.want {
				t.Errorf("State: got %s, want %s", got, tt.want)
			}
			if got := card.Snapshot().StateChangeReason; got != credential.ReasonInitialized {
				t.Errorf("StateChangeReason: got %q, want %q", got, credential.ReasonInitialized)
			}
		})
	}
}

func TestNewOTPCardExtIDAndLifetime(t *testing.T) {
	tests := []struct {
		name     string
		extID    string
		lifetime time.Duration
		wantErr  error
	}{
		{"given extId kept", "card_1.a~b:c-d", time.Hour, nil},
		{"64 characters", strings.Repeat("x", 64), time.Hour, nil},
		{"65 characters", strings.Repeat("x", 65), time.Hour, extid.ErrInvalid},
		{"space", "card 1", time.Hour, extid.ErrInvalid},
		{"slash", "card/1", time.Hour, extid.ErrInvalid},
		{"unicode", "kärtchen", time.Hour, extid.ErrInvalid},
		{"zero lifetime", "", 0, credential.ErrPolicyViolation},
		{"negative lifetime", "", -time.Second, credential.ErrPolicyViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newCard
			n.ExtID, n.Lifetime = tt.extID, tt.lifetime
			card, err := credential.NewOTPCard(n, newTestGrid(t, defaultLayout(), 1), t0)
			if refused(t, err, tt.wantErr) {
				return
			}
			if got := card.ExtID(); got != tt.extID {
				t.Errorf("ExtID: got %q, want %q", got, tt.extID)
			}
			if got := card.Snapshot().ValidTo; !got.Equal(t0.Add(tt.lifetime)) {
				t.Errorf("ValidTo: got %v, want %v", got, t0.Add(tt.lifetime))
			}
		})
	}
}

func TestNewOTPCardGeneratesDistinctExtIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		card, err := credential.NewOTPCard(newCard, newTestGrid(t, defaultLayout(), 1), t0)
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if seen[card.ExtID()] {
			t.Fatalf("extId %q: got it twice, want distinct ids", card.ExtID())
		}
		seen[card.ExtID()] = true
	}
}

// usedCard is a card with history: used cells, login statistics, a lock and a challenge.
func usedCard(t *testing.T, state credential.State) *credential.OTPCard {
	t.Helper()
	l := defaultLayout()
	uses := make([]int, l.Cells())
	uses[0], uses[5] = 1, 3
	return credential.RestoreOTPCard(credential.Snapshot{
		ExtID: "card-1", ClientExtID: "client-a", UserExtID: "user-a", PolicyExtID: "policy-a",
		Serial: "AAAA-BBBB-CCCC", State: state, StateChangeReason: credential.ReasonTemporarilyLocked, StateChangeDetail: "detail",
		ValidFrom: t0.Add(-48 * time.Hour), ValidTo: t0.Add(48 * time.Hour),
		LastSuccessfulLogin: t0.Add(-2 * time.Hour), LastFailedLogin: t0.Add(-time.Hour),
		SuccessfulLoginCount: 7, FailedLoginCount: 2, ModificationComment: "old comment",
		Created: t0.Add(-48 * time.Hour), LastModified: t0.Add(-time.Hour), Version: 4,
		Grid: credential.RestoreGrid(l, testSecret(l.Cells(), 1), uses), Challenge: []int{30},
		LockedUntil: t0.Add(2 * time.Hour), // still locked when Replace runs at t0+1h
	})
}

func TestReplaceKeepsEverythingButTheCard(t *testing.T) {
	now := t0.Add(time.Hour)
	for _, state := range []credential.State{credential.StateInitial, credential.StateActive, credential.StateTmpLocked,
		credential.StateFailLocked, credential.StateResetCode, credential.StateAdminChanged, credential.StateDisabled} {
		for _, comment := range []string{"new comment", ""} {
			t.Run(string(state)+"/"+comment, func(t *testing.T) {
				card := usedCard(t, state)
				before := card.Snapshot()
				grid := newTestGrid(t, defaultLayout(), 2)
				restarted, err := card.Replace(grid, comment, time.Hour, now)
				if err != nil || restarted {
					t.Fatalf("got restarted %v, error %v; want false, nil", restarted, err)
				}
				got := card.Snapshot()
				if got.Serial == before.Serial || got.Serial == "" {
					t.Errorf("Serial: got %q, want a new one in place of %q", got.Serial, before.Serial)
				}
				want := before
				want.Grid, want.Challenge, want.ModificationComment = grid, nil, comment
				want.LastModified, want.Version, want.Serial = now, 5, got.Serial
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Snapshot:\n got %+v\nwant %+v", got, want)
				}
				if got := card.RemainingChallenges(); got != 168 {
					t.Errorf("RemainingChallenges: got %d, want 168", got)
				}
				if got := card.OTP(nil); strings.Count(got, "|") != 3 {
					t.Errorf("OTP: got %q, want no challenge part", got)
				}
			})
		}
	}
}

// TestReplaceRestartsAnExpiredValidity: a card whose validity has ended gets a fresh one of the
// policy's lifetime from now (API.md section 4.1); a card still valid keeps its own, even one
// that ends a moment later.
func TestReplaceRestartsAnExpiredValidity(t *testing.T) {
	lifetime := 30 * 24 * time.Hour
	tests := []struct {
		name          string
		now           time.Time // the card is valid until t0+48h
		wantRestarted bool
	}{
		{"valid for a second more", t0.Add(48*time.Hour - time.Second), false},
		{"at the end of its validity", t0.Add(48 * time.Hour), true},
		{"a year after its end", t0.Add(48*time.Hour + 365*24*time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := usedCard(t, credential.StateActive)
			before := card.Snapshot()
			restarted, err := card.Replace(newTestGrid(t, defaultLayout(), 2), "", lifetime, tt.now)
			if err != nil || restarted != tt.wantRestarted {
				t.Fatalf("got restarted %v, error %v; want %v, nil", restarted, err, tt.wantRestarted)
			}
			got := card.Snapshot()
			wantFrom, wantTo := before.ValidFrom, before.ValidTo
			if tt.wantRestarted {
				wantFrom, wantTo = tt.now, tt.now.Add(lifetime)
			}
			if !got.ValidFrom.Equal(wantFrom) || !got.ValidTo.Equal(wantTo) {
				t.Errorf("validity: got %s - %s, want %s - %s", got.ValidFrom, got.ValidTo, wantFrom, wantTo)
			}
			if card.Expired(tt.now) {
				t.Errorf("Expired right after the replace: got true, want false")
			}
		})
	}
}

func TestReplaceRefusals(t *testing.T) {
	tests := []struct {
		name    string
		state   credential.State
		comment string
		wantErr error
	}{
		{"archived", credential.StateArchived, "", credential.ErrArchived},
		{"archived with a long comment", credential.StateArchived, strings.Repeat("a", 2000), credential.ErrArchived},
		{"1025 ASCII characters", credential.StateActive, strings.Repeat("a", 1025), fault.ErrInvalid},
		{"1025 two-byte characters", credential.StateActive, strings.Repeat("é", 1025), fault.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := usedCard(t, tt.state)
			before := card.Snapshot()
			_, err := card.Replace(newTestGrid(t, defaultLayout(), 2), tt.comment, time.Hour, t0)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want an error wrapping %v", err, tt.wantErr)
			}
			if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
				t.Errorf("after a refused replace:\n got %+v\nwant %+v", got, before)
			}
		})
	}
}

func TestReplaceCommentLimitCountsCharacters(t *testing.T) {
	for _, comment := range []string{strings.Repeat("a", 1024), strings.Repeat("é", 1024), strings.Repeat("😀", 1024)} {
		card := usedCard(t, credential.StateActive)
		if _, err := card.Replace(newTestGrid(t, defaultLayout(), 2), comment, time.Hour, t0); err != nil {
			t.Errorf("1024 characters of %d bytes: got error %v, want nil", len(comment), err)
			continue
		}
		if got := card.Snapshot().ModificationComment; got != comment {
			t.Errorf("ModificationComment: got %d bytes, want %d", len(got), len(comment))
		}
	}
}

func TestCheckVersion(t *testing.T) {
	card := usedCard(t, credential.StateActive) // version 4
	v := func(n int32) *int32 { return &n }
	tests := []struct {
		name    string
		given   *int32
		wantMsg string // empty: no error
	}{
		{"absent", nil, ""},
		{"equal", v(4), ""},
		{"stale", v(3), "version 3 is stale; the credential is at version 4"},
		{"ahead", v(5), "version 5 is stale; the credential is at version 4"},
		{"zero", v(0), "version 0 is stale; the credential is at version 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := card.CheckVersion(tt.given)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantMsg {
				t.Fatalf("got %v, want %q", err, tt.wantMsg)
			}
			if !errors.Is(err, fault.ErrVersionConflict) {
				t.Errorf("got %v, want an error wrapping ErrVersionConflict", err)
			}
			var vc *fault.VersionConflictError
			if !errors.As(err, &vc) || vc.Given != *tt.given || vc.Current != 4 {
				t.Errorf("got %#v, want a VersionConflictError{%d, 4}", err, *tt.given)
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	tests := []struct {
		err     error
		wantMsg string
		is      error
	}{
		{&fault.NotFoundError{Entity: "credential", ExtID: "card-1"}, `credential "card-1" not found`, fault.ErrNotFound},
		{&credential.PolicyViolationError{Parameter: "rows", Reason: "must be 1-99"}, "policy parameter rows: must be 1-99", credential.ErrPolicyViolation},
		{&fault.VersionConflictError{Entity: "credential", Given: 3, Current: 4}, "version 3 is stale; the credential is at version 4", fault.ErrVersionConflict},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.wantMsg {
			t.Errorf("Error: got %q, want %q", got, tt.wantMsg)
		}
		if !errors.Is(tt.err, tt.is) {
			t.Errorf("%q: got no match for %v, want errors.Is to hold", tt.wantMsg, tt.is)
		}
	}
}

func TestParseState(t *testing.T) {
	for _, name := range []string{"initial", "active", "tmp-locked", "fail-locked", "reset-code", "admin-changed", "disabled", "archived"} {
		got, err := credential.ParseState(name)
		if err != nil || string(got) != name {
			t.Errorf("ParseState(%q): got %q, %v; want %q, nil", name, got, err, name)
		}
	}
	for _, name := range []string{"", "Active", "locked", "tmp_locked", " active"} {
		if _, err := credential.ParseState(name); !errors.Is(err, credential.ErrUnknownState) {
			t.Errorf("ParseState(%q): got %v, want an error wrapping ErrUnknownState", name, err)
		}
	}
}
