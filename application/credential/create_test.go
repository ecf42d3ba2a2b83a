package credential_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
)

const anyCount = -1

var createRights = []access.Right{access.CredentialCreate, access.CredentialView, access.PolicyConfigurationView}

func newCreate(s *credentialtest.CardStore, h *fakeHasher) *app.CreateOTPCard {
	return newModule(s, h).CreateOTPCard
}

func TestCreateOTPCard(t *testing.T) {
	tests := []struct {
		name       string
		caller     caller.Caller
		cmd        app.CreateCommand
		wantState  credential.State
		wantPolicy string
		wantLayout credential.Layout
		wantLife   time.Duration
	}{
		{"defaults", admin(createRights...), app.CreateCommand{ExtID: "card-new"}, credential.StateInitial,
			"policy-a", credential.DefaultParameters().Layout, credential.DefaultParameters().CredentialLifetime},
		{"active", admin(createRights...), app.CreateCommand{ExtID: "card-new", StateName: "active"}, credential.StateActive,
			"policy-a", credential.DefaultParameters().Layout, credential.DefaultParameters().CredentialLifetime},
		{"disabled", adminIn("client-a"), app.CreateCommand{ExtID: "card-new", StateName: "disabled"}, credential.StateDisabled,
			"policy-a", credential.DefaultParameters().Layout, credential.DefaultParameters().CredentialLifetime},
		{"named policy", admin(createRights...), app.CreateCommand{ExtID: "card-new", PolicyExtID: "policy-digits"},
			credential.StateInitial, "policy-digits", digitsLayout, 90 * 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			h := &fakeHasher{store: s}
			cmd := tt.cmd
			cmd.Caller, cmd.ClientExtID, cmd.UserExtID = tt.caller, "client-a", "user-b"
			issued, err := newCreate(s, h).Do(context.Background(), cmd)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			checkIssued(t, h, issued, tt.wantLayout)
			got := issued.Card.Snapshot()
			if got.ExtID != "card-new" || got.ClientExtID != "client-a" || got.UserExtID != "user-b" || got.PolicyExtID != tt.wantPolicy {
				t.Errorf("got card %q of %s/%s under %q, want card-new of client-a/user-b under %q",
					got.ExtID, got.ClientExtID, got.UserExtID, got.PolicyExtID, tt.wantPolicy)
			}
			if got.State != tt.wantState || got.StateChangeReason != credential.ReasonInitialized || got.Version != 1 {
				t.Errorf("got %s (%s) version %d, want %s (initialized) version 1", got.State, got.StateChangeReason, got.Version, tt.wantState)
			}
			if !got.ValidFrom.Equal(now) || !got.ValidTo.Equal(now.Add(tt.wantLife)) || !got.Created.Equal(now) {
				t.Errorf("got validity %v..%v created %v, want %v..%v created %v",
					got.ValidFrom, got.ValidTo, got.Created, now, now.Add(tt.wantLife), now)
			}
			if stored, ok := s.Card("card-new"); !ok || stored.Version != 1 {
				t.Errorf("stored: got %v (found %v), want the card at version 1", stored.Version, ok)
			}
			if app.MaxCardsPerUser != 2 {
				t.Errorf("MaxCardsPerUser: got %d, want 2", app.MaxCardsPerUser)
			}
			events := checkEvents(t, s.Recorded(), event.Event{Type: credential.CardCreated, Time: now,
				Actor: alice, ClientExtID: "client-a", UserExtID: "user-b",
				CredentialExt: "card-new", PolicyExtID: tt.wantPolicy, Version: 1, RequestID: "req-1"})
			checkNoCells(t, events, issued.Clear)
		})
	}
}

func TestCreateOTPCardGeneratesExtID(t *testing.T) {
	s := newStore(t)
	issued, err := newCreate(s, &fakeHasher{}).Do(context.Background(),
		app.CreateCommand{Caller: admin(createRights...), ClientExtID: "client-a", UserExtID: "user-b"})
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if id := issued.Card.ExtID(); extid.Validate(id) != nil || len(id) != 36 {
		t.Errorf("ExtID: got %q, want a generated UUID", id)
	}
}

func TestCreateOTPCardRefusals(t *testing.T) {
	tests := []struct {
		name       string
		caller     caller.Caller
		cmd        app.CreateCommand
		setup      func(s *credentialtest.CardStore)
		wantErr    error
		wantHashed int // anyCount: the order of validation and hashing is left open
	}{
		{"without CredentialCreate", admin(access.CredentialView, access.PolicyConfigurationView), app.CreateCommand{},
			nil, access.ErrPermissionDenied, 0},
		{"without CredentialView", admin(access.CredentialCreate, access.PolicyConfigurationView), app.CreateCommand{},
			nil, access.ErrPermissionDenied, 0},
		{"without PolicyConfigurationView", admin(access.CredentialCreate, access.CredentialView), app.CreateCommand{},
			nil, access.ErrPermissionDenied, 0},
		{"self-admin owner", self("user-b", 0), app.CreateCommand{}, nil, access.ErrPermissionDenied, 0},
		{"outside the data room", adminIn("client-b"), app.CreateCommand{}, nil, access.ErrDataroomDenied, 0},
		{"unknown state", admin(createRights...), app.CreateCommand{StateName: "bogus"}, nil, credential.ErrUnknownState, anyCount},
		{"tmp-locked", admin(createRights...), app.CreateCommand{StateName: "tmp-locked"}, nil, credential.ErrForbiddenTransition, anyCount},
		{"archived", admin(createRights...), app.CreateCommand{StateName: "archived"}, nil, credential.ErrForbiddenTransition, anyCount},
		{"unknown policy", admin(createRights...), app.CreateCommand{PolicyExtID: "nope"}, nil, credential.ErrUnknownPolicy, 0},
		{"policy of another client", admin(createRights...), app.CreateCommand{PolicyExtID: "policy-b"}, nil, credential.ErrUnknownPolicy, 0},
		{"unknown user", admin(createRights...), app.CreateCommand{UserExtID: "nobody"}, nil, fault.ErrNotFound, 0},
		{"user of another client", admin(createRights...), app.CreateCommand{UserExtID: "user-c"}, nil, fault.ErrNotFound, 0},
		{"bad extId", admin(createRights...), app.CreateCommand{ExtID: "a b"}, nil, extid.ErrInvalid, anyCount},
		{"duplicate extId", admin(createRights...), app.CreateCommand{ExtID: "card-1"}, nil, fault.ErrDuplicate, 1},
		{"third card", admin(createRights...), app.CreateCommand{}, func(s *credentialtest.CardStore) {
			s.AddCard(storedCard("card-b1", "user-b", credential.StateActive))
			s.AddCard(storedCard("card-b2", "user-b", credential.StateDisabled))
		}, credential.ErrTooManyCards, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			h := &fakeHasher{store: s}
			cmd := tt.cmd
			cmd.Caller, cmd.ClientExtID = tt.caller, "client-a"
			if cmd.UserExtID == "" {
				cmd.UserExtID = "user-b"
			}
			issued, err := newCreate(s, h).Do(context.Background(), cmd)
			refused(t, err, tt.wantErr)
			checkNothingIssued(t, issued)
			checkEvents(t, s.Recorded())
			if calls, _ := h.counts(); tt.wantHashed != anyCount && calls != tt.wantHashed {
				t.Errorf("hasher: got %d calls, want %d", calls, tt.wantHashed)
			}
		})
	}
}

func TestCreateOTPCardAllowsASecondCardBesideArchivedOnes(t *testing.T) {
	s := newStore(t)
	s.AddCard(storedCard("card-b1", "user-b", credential.StateActive))
	s.AddCard(storedCard("card-b2", "user-b", credential.StateArchived))
	_, err := newCreate(s, &fakeHasher{}).Do(context.Background(),
		app.CreateCommand{Caller: admin(createRights...), ClientExtID: "client-a", UserExtID: "user-b"})
	if err != nil {
		t.Fatalf("got %v, want nil", err)
	}
	if !slices.Equal(s.Held(), []int{1}) {
		t.Errorf("cards held when admitted: got %v, want [1] (the archived card does not count)", s.Held())
	}
}

func TestCreateOTPCardHasherError(t *testing.T) {
	errBoom := errors.New("hasher down")
	s := newStore(t)
	_, err := newCreate(s, &fakeHasher{err: errBoom}).Do(context.Background(),
		app.CreateCommand{Caller: admin(createRights...), ClientExtID: "client-a", UserExtID: "user-b"})
	if !errors.Is(err, errBoom) {
		t.Fatalf("got %v, want an error wrapping %v", err, errBoom)
	}
	if got := s.Called("Create"); got != 0 {
		t.Errorf("Create: got %d calls, want 0", got)
	}
}
