package credential_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// roleAdmin is alice with the roles and no data room.
func roleAdmin(roles ...string) caller.Caller {
	return caller.Caller{Principal: access.NewAdmin("alice", roles, nil, nil), RequestID: "req-1"}
}

// stateRights are the rights the PATCH needs.
var stateRights = []access.Right{access.CredentialModify, access.CredentialChangeState}

func TestChangeOTPCardState(t *testing.T) {
	tests := []struct {
		name       string
		caller     caller.Caller
		from       credential.State
		stateName  string  // empty: none
		comment    *string // nil: none
		version    *int32
		wantState  credential.State
		wantReason string // empty: a comment-only change, the reason stays
		wantFailed int32
	}{
		{"disable", admin(stateRights...), credential.StateActive, "disabled", ptr("lost"), nil,
			credential.StateDisabled, credential.ReasonChangedByAdmin, 1},
		{"disable an initial card, current version", admin(stateRights...), credential.StateInitial, "disabled", nil, v(4),
			credential.StateDisabled, credential.ReasonChangedByAdmin, 1},
		{"enable", admin(stateRights...), credential.StateDisabled, "active", ptr("found"), nil,
			credential.StateActive, credential.ReasonEnabledByAdmin, 1},
		{"unlock a fail-locked card", admin(stateRights...), credential.StateFailLocked, "active", nil, nil,
			credential.StateActive, credential.ReasonUnlock, 0},
		{"unlock a tmp-locked card", roleAdmin("Helpdesk"), credential.StateTmpLocked, "active", nil, nil,
			credential.StateActive, credential.ReasonUnlock, 0},
		{"archive", roleAdmin("UserAdmin"), credential.StateActive, "archived", ptr("gone"), nil,
			credential.StateArchived, credential.ReasonArchivedByAdmin, 1},
		{"archive a reset-code card", roleAdmin("ClientRoot"), credential.StateResetCode, "archived", nil, nil,
			credential.StateArchived, credential.ReasonArchivedByAdmin, 1},
		{"inside the data room", adminIn("client-a"), credential.StateActive, "disabled", nil, v(4),
			credential.StateDisabled, credential.ReasonChangedByAdmin, 1},
		{"comment only", admin(stateRights...), credential.StateActive, "", ptr("called the user"), nil,
			credential.StateActive, "", 1},
		{"comment only on a fail-locked card", admin(stateRights...), credential.StateFailLocked, "", ptr("investigating"), v(4),
			credential.StateFailLocked, "", 1},
		{"an empty comment removes the comment", admin(stateRights...), credential.StateDisabled, "", ptr(""), nil,
			credential.StateDisabled, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			stored := storedCard("card-1", "user-a", tt.from)
			if tt.from == credential.StateTmpLocked {
				stored.LockedUntil, stored.ResumeState = now.Add(time.Minute), credential.StateActive
			}
			s.AddCard(stored)
			card, err := useCases(s).ChangeOTPCardState.Do(context.Background(), app.ChangeStateCommand{
				Caller: tt.caller, Key: card1, StateName: optionalName(tt.stateName), Comment: tt.comment, Version: tt.version})
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			after, _ := s.Card("card-1")
			if got := card.Snapshot(); !reflect.DeepEqual(got, after) {
				t.Errorf("returned card:\n got %+v\nwant the stored card %+v", got, after)
			}
			want := stored
			want.State, want.FailedLoginCount = tt.wantState, tt.wantFailed
			want.ModificationComment, want.LastModified, want.Version = deref(tt.comment), now, 5
			if tt.wantReason != "" {
				want.StateChangeReason, want.StateChangeDetail = tt.wantReason, ""
				want.LockedUntil, want.ResumeState, want.Challenge = time.Time{}, "", nil
			}
			if !reflect.DeepEqual(after, want) {
				t.Errorf("stored card:\n got %+v\nwant %+v", after, want)
			}

			wantType := credential.CardStateChanged
			wantData := map[string]string{"from": string(tt.from), "to": string(tt.wantState), "reason": tt.wantReason}
			if tt.wantReason == "" {
				wantType = credential.CardChanged
				wantData = map[string]string{"stateName": string(tt.from), "modificationComment": deref(tt.comment)}
			}
			events := checkEvents(t, s.Recorded(), event.Event{Type: wantType, Time: now,
				Actor: alice, ClientExtID: "client-a", UserExtID: "user-a",
				CredentialExt: "card-1", PolicyExtID: "policy-a", Version: 5, RequestID: "req-1"})
			if got := events[0].Data; !reflect.DeepEqual(got, wantData) {
				t.Errorf("event data: got %v, want %v", got, wantData)
			}
			checkNoCells(t, events, nil)
		})
	}
}

func TestChangeOTPCardStateRefusals(t *testing.T) {
	archived := func(s *credentialtest.CardStore) { s.AddCard(storedCard("card-1", "user-a", credential.StateArchived)) }
	tests := []struct {
		name       string
		caller     caller.Caller
		key        app.CardKey
		stateName  string  // empty: none
		comment    *string // nil: none
		version    *int32
		setup      func(s *credentialtest.CardStore)
		wantErr    error
		wantUpdate int // Update runs only once the command is authorized and well-formed
	}{
		{"CredentialModify only", admin(access.CredentialModify), card1, "disabled", nil, nil, nil, access.ErrPermissionDenied, 0},
		{"CredentialChangeState only", admin(access.CredentialChangeState), card1, "disabled", nil, nil, nil, access.ErrPermissionDenied, 0},
		{"CredentialView and CredentialModify", admin(access.CredentialView, access.CredentialModify), card1, "disabled", nil, nil, nil,
			access.ErrPermissionDenied, 0},
		{"Auditor", roleAdmin("Auditor"), card1, "disabled", nil, nil, nil, access.ErrPermissionDenied, 0},
		{"no rights, comment only", admin(), card1, "", ptr("x"), nil, nil, access.ErrPermissionDenied, 0},
		{"self-admin owner, fresh", self("user-a", 0), card1, "disabled", nil, nil, nil, access.ErrPermissionDenied, 0},
		{"self-admin owner, comment only", self("user-a", 0), card1, "", ptr("mine"), nil, nil, access.ErrPermissionDenied, 0},
		{"self-admin of another user", self("user-b", 0), card1, "disabled", nil, nil, nil, access.ErrPermissionDenied, 0},
		{"outside the data room", adminIn("client-b"), card1, "disabled", nil, nil, nil, access.ErrDataroomDenied, 0},
		{"empty data room", adminIn(), card1, "disabled", nil, nil, nil, access.ErrDataroomDenied, 0},
		{"unknown state name", admin(stateRights...), card1, "locked", nil, nil, nil, credential.ErrUnknownState, 0},
		{"state name in the wrong case", admin(stateRights...), card1, "Disabled", nil, nil, nil, credential.ErrUnknownState, 0},
		{"unknown state name on an unknown card", admin(stateRights...), app.CardKey{ClientExtID: "client-a", UserExtID: "user-a", ExtID: "nope"}, "locked", nil, nil, nil, credential.ErrUnknownState, 0},
		{"comment of 1025 characters", admin(stateRights...), card1, "disabled", ptr(strings.Repeat("é", 1025)), nil, nil, fault.ErrInvalid, 0},
		{"comment only, 1025 characters", admin(stateRights...), card1, "", ptr(strings.Repeat("é", 1025)), nil, nil, fault.ErrInvalid, 0},
		{"active to initial", admin(stateRights...), card1, "initial", nil, nil, nil, credential.ErrForbiddenTransition, 1},
		{"active to tmp-locked", admin(stateRights...), card1, "tmp-locked", nil, nil, nil, credential.ErrForbiddenTransition, 1},
		{"active to fail-locked", admin(stateRights...), card1, "fail-locked", nil, nil, nil, credential.ErrForbiddenTransition, 1},
		{"active to reset-code", admin(stateRights...), card1, "reset-code", nil, nil, nil, credential.ErrForbiddenTransition, 1},
		{"archived to active", admin(stateRights...), card1, "active", nil, nil, archived, credential.ErrArchived, 1},
		{"comment on an archived card", admin(stateRights...), card1, "", ptr("x"), nil, archived, credential.ErrArchived, 1},
		{"unknown credential", admin(stateRights...), app.CardKey{ClientExtID: "client-a", UserExtID: "user-a", ExtID: "nope"}, "disabled", nil, nil, nil, fault.ErrNotFound, 1},
		{"credential of another user", admin(stateRights...), app.CardKey{ClientExtID: "client-a", UserExtID: "user-b", ExtID: "card-1"}, "disabled", nil, nil, nil, fault.ErrNotFound, 1},
		{"credential under another client", admin(stateRights...), app.CardKey{ClientExtID: "client-b", UserExtID: "user-a", ExtID: "card-1"}, "disabled", nil, nil, nil, fault.ErrNotFound, 1},
		{"stale version", admin(stateRights...), card1, "disabled", nil, v(3), nil, fault.ErrVersionConflict, 1},
		{"version ahead", admin(stateRights...), card1, "", ptr("x"), v(5), nil, fault.ErrVersionConflict, 1},
		{"stale version on an archived card", admin(stateRights...), card1, "active", nil, v(3), archived, fault.ErrVersionConflict, 1},
		{"stored version moved meanwhile", admin(stateRights...), card1, "disabled", nil, v(4),
			func(s *credentialtest.CardStore) { s.ConflictOnSave() }, fault.ErrVersionConflict, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			before, _ := s.Card("card-1")
			card, err := useCases(s).ChangeOTPCardState.Do(context.Background(), app.ChangeStateCommand{
				Caller: tt.caller, Key: tt.key, StateName: optionalName(tt.stateName), Comment: tt.comment, Version: tt.version})
			refused(t, err, tt.wantErr)
			if card != nil {
				t.Errorf("card: got %+v, want nil", card.Snapshot())
			}
			checkCard(t, s, before)
			checkEvents(t, s.Recorded())
			if got := s.Called("Update"); got != tt.wantUpdate {
				t.Errorf("Update: got %d calls, want %d", got, tt.wantUpdate)
			}
		})
	}
}

func TestChangeOTPCardStateVersionConflictMessage(t *testing.T) {
	_, err := useCases(newStore(t)).ChangeOTPCardState.Do(context.Background(), app.ChangeStateCommand{
		Caller: admin(stateRights...), Key: card1, StateName: ptr("disabled"), Version: v(3)})
	var vc *fault.VersionConflictError
	if !errors.As(err, &vc) || vc.Given != 3 || vc.Current != 4 {
		t.Fatalf("got %v, want a *VersionConflictError{3, 4}", err)
	}
}

// TestChangeOTPCardStateSequence walks one card through the admin life cycle and checks each
// event's transition.
func TestChangeOTPCardStateSequence(t *testing.T) {
	s := newStore(t)
	uc := useCases(s).ChangeOTPCardState
	steps := []struct{ to, wantFrom string }{
		{"disabled", "active"}, {"active", "disabled"}, {"archived", "active"},
	}
	for i, step := range steps {
		if _, err := uc.Do(context.Background(), app.ChangeStateCommand{Caller: roleAdmin("Helpdesk"), Key: card1,
			StateName: &step.to, Version: v(int32(4 + i))}); err != nil {
			t.Fatalf("step %d (to %q): %v", i, step.to, err)
		}
	}
	events := s.Recorded()
	if len(events) != len(steps) {
		t.Fatalf("events: got %d, want %d", len(events), len(steps))
	}
	for i, step := range steps {
		to := step.to
		if to == "" {
			to = step.wantFrom
		}
		if got := events[i]; got.Data["from"] != step.wantFrom || got.Data["to"] != to || got.Version != int32(5+i) {
			t.Errorf("event %d: got %v at version %d, want %s -> %s at version %d", i, got.Data, got.Version, step.wantFrom, to, 5+i)
		}
	}
	_, err := uc.Do(context.Background(), app.ChangeStateCommand{Caller: roleAdmin("Helpdesk"), Key: card1, StateName: ptr("active")})
	if !errors.Is(err, credential.ErrArchived) {
		t.Errorf("after archiving: got %v, want ErrArchived", err)
	}
}

// TestChangeOTPCardStateThatChangesNothing: an edit without members, or repeating the stored
// state and comment, answers the card as stored: no new version, no event (API.md section 1), in
// any state, archived included.
func TestChangeOTPCardStateThatChangesNothing(t *testing.T) {
	for _, state := range []credential.State{credential.StateInitial, credential.StateActive, credential.StateDisabled,
		credential.StateFailLocked, credential.StateArchived} {
		for name, cmd := range map[string]app.ChangeStateCommand{
			"no members":                 {},
			"the same state":             {StateName: ptr(string(state))},
			"the same comment":           {Comment: ptr("old comment")},
			"the same state and comment": {StateName: ptr(string(state)), Comment: ptr("old comment"), Version: v(4)},
		} {
			t.Run(string(state)+"/"+name, func(t *testing.T) {
				s := newStore(t)
				s.AddCard(storedCard("card-1", "user-a", state))
				before, _ := s.Card("card-1")
				cmd.Caller, cmd.Key = admin(stateRights...), card1
				card, err := useCases(s).ChangeOTPCardState.Do(context.Background(), cmd)
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if got := card.Snapshot(); !reflect.DeepEqual(got, before) {
					t.Errorf("returned card:\n got %+v\nwant %+v", got, before)
				}
				checkCard(t, s, before)
				checkEvents(t, s.Recorded())
			})
		}
	}
}

// optionalName is a state name of a command: nil when empty.
func optionalName(name string) *string {
	if name == "" {
		return nil
	}
	return &name
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
