package credential_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
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

func newReplace(s *credentialtest.CardStore, h *fakeHasher) *app.ReplaceOTPCard {
	return newModule(s, h).ReplaceOTPCard
}

func v(n int32) *int32 { return &n }

func TestReplaceOTPCard(t *testing.T) {
	tests := []struct {
		name      string
		caller    caller.Caller
		version   *int32
		comment   string
		wantActor event.Actor
		wantReq   string
	}{
		{"admin, unconditional", admin(access.CredentialModify, access.CredentialView), nil, "lost my card",
			event.Actor{Subject: "alice", Mode: "admin"}, "req-1"},
		{"admin, current version, no comment", admin(access.CredentialModify, access.CredentialView), v(4), "",
			event.Actor{Subject: "alice", Mode: "admin"}, "req-1"},
		{"admin inside the data room", adminIn("client-a"), v(4), "x", event.Actor{Subject: "alice", Mode: "admin"}, "req-1"},
		{"owner, fresh", self("user-a", time.Minute), nil, "mine", event.Actor{Subject: "user-a", Mode: "self-admin"}, "req-2"},
		{"owner, exactly at max age", self("user-a", maxAuthAge), nil, "", event.Actor{Subject: "user-a", Mode: "self-admin"}, "req-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			h := &fakeHasher{store: s}
			before, _ := s.Card("card-1")
			issued, err := newReplace(s, h).Do(context.Background(), app.ReplaceCommand{
				Caller: tt.caller, Key: card1, Version: tt.version, Comment: tt.comment})
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			checkIssued(t, h, issued, credential.DefaultParameters().Layout)

			stored, _ := s.Card("card-1")
			if got := issued.Card.Snapshot(); !reflect.DeepEqual(got, stored) {
				t.Errorf("Issued.Card:\n got %+v\nwant the stored card %+v", got, stored)
			}
			if stored.Serial == before.Serial || stored.Serial == "" {
				t.Errorf("stored serial: got %q, want a new one in place of %q", stored.Serial, before.Serial)
			}
			want := before
			want.Grid, want.Challenge, want.ModificationComment = stored.Grid, nil, tt.comment
			want.LastModified, want.Version, want.Serial = now, 5, stored.Serial
			if !reflect.DeepEqual(stored, want) {
				t.Errorf("stored card:\n got %+v\nwant %+v", stored, want)
			}
			if reflect.DeepEqual(stored.Grid.Secret(), before.Grid.Secret()) {
				t.Errorf("stored secret: got the old one, want the new card's")
			}

			events := checkEvents(t, s.Recorded(), event.Event{Type: credential.CardReplaced, Time: now, Actor: tt.wantActor,
				ClientExtID: "client-a", UserExtID: "user-a", CredentialExt: "card-1", PolicyExtID: "policy-a",
				Version: 5, RequestID: tt.wantReq})
			checkNoCells(t, events, issued.Clear)

			if calls, inside := h.counts(); calls != 1 || inside != 0 {
				t.Errorf("hasher: got %d calls, %d inside Update; want 1, 0", calls, inside)
			}
		})
	}
}

func TestReplaceOTPCardRefusals(t *testing.T) {
	replaceRights := []access.Right{access.CredentialModify, access.CredentialView}
	tests := []struct {
		name       string
		caller     caller.Caller
		key        app.CardKey
		version    *int32
		comment    string
		setup      func(s *credentialtest.CardStore)
		wantErr    error
		wantHashed int // hashing happens before the transaction, so only when authorized and found
	}{
		{"admin without CredentialView", admin(access.CredentialModify), card1, nil, "", nil, access.ErrPermissionDenied, 0},
		{"admin without CredentialModify", admin(access.CredentialView), card1, nil, "", nil, access.ErrPermissionDenied, 0},
		{"admin with neither", admin(access.CredentialCreate, access.CredentialDelete), card1, nil, "", nil, access.ErrPermissionDenied, 0},
		{"admin outside the data room", adminIn("client-b"), card1, nil, "", nil, access.ErrDataroomDenied, 0},
		{"admin with an empty data room", adminIn(), card1, nil, "", nil, access.ErrDataroomDenied, 0},
		{"owner, stale", self("user-a", maxAuthAge+time.Second), card1, nil, "", nil, errStale, 0},
		{"another user, fresh", self("user-b", 0), card1, nil, "", nil, access.ErrPermissionDenied, 0},
		{"another user, stale", self("user-b", time.Hour), card1, nil, "", nil, access.ErrPermissionDenied, 0},
		{"unknown credential", admin(replaceRights...), app.CardKey{ClientExtID: "client-a", UserExtID: "user-a", ExtID: "nope"},
			nil, "", nil, fault.ErrNotFound, 0},
		{"credential of another user", admin(replaceRights...), app.CardKey{ClientExtID: "client-a", UserExtID: "user-b", ExtID: "card-1"},
			nil, "", nil, fault.ErrNotFound, 0},
		{"credential under another client", admin(replaceRights...), app.CardKey{ClientExtID: "client-b", UserExtID: "user-a", ExtID: "card-1"},
			nil, "", nil, fault.ErrNotFound, 0},
		{"stale version", admin(replaceRights...), card1, v(3), "", nil, fault.ErrVersionConflict, 1},
		{"version ahead", admin(replaceRights...), card1, v(5), "", nil, fault.ErrVersionConflict, 1},
		{"stored version moved meanwhile", admin(replaceRights...), card1, v(4), "",
			func(s *credentialtest.CardStore) { s.ConflictOnSave() }, fault.ErrVersionConflict, 1},
		{"archived", admin(replaceRights...), card1, nil, "", func(s *credentialtest.CardStore) {
			s.AddCard(storedCard("card-1", "user-a", credential.StateArchived))
		}, credential.ErrArchived, 1},
		{"owner, archived", self("user-a", 0), card1, v(4), "", func(s *credentialtest.CardStore) {
			s.AddCard(storedCard("card-1", "user-a", credential.StateArchived))
		}, credential.ErrArchived, 1},
		{"comment of 1025 characters", admin(replaceRights...), card1, nil, strings.Repeat("é", 1025), nil, fault.ErrInvalid, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			if tt.setup != nil {
				tt.setup(s)
			}
			h := &fakeHasher{store: s}
			before, _ := s.Card("card-1")
			issued, err := newReplace(s, h).Do(context.Background(), app.ReplaceCommand{
				Caller: tt.caller, Key: tt.key, Version: tt.version, Comment: tt.comment})
			refused(t, err, tt.wantErr)
			checkNothingIssued(t, issued)
			checkCard(t, s, before)
			checkEvents(t, s.Recorded())
			if calls, inside := h.counts(); calls != tt.wantHashed || inside != 0 {
				t.Errorf("hasher: got %d calls (%d inside Update), want %d (0 inside)", calls, inside, tt.wantHashed)
			}
		})
	}
}

func TestReplaceOTPCardVersionConflictMessage(t *testing.T) {
	s := newStore(t)
	_, err := newReplace(s, &fakeHasher{}).Do(context.Background(), app.ReplaceCommand{
		Caller: admin(access.CredentialModify, access.CredentialView), Key: card1, Version: v(3)})
	var vc *fault.VersionConflictError
	if !errors.As(err, &vc) || vc.Given != 3 || vc.Current != 4 {
		t.Fatalf("got %v, want a *VersionConflictError{3, 4}", err)
	}
	if got, want := vc.Error(), "version 3 is stale; the credential is at version 4"; got != want {
		t.Errorf("message: got %q, want %q", got, want)
	}
}

func TestReplaceOTPCardUsesTheCurrentPolicy(t *testing.T) {
	s := newStore(t)
	snap, _ := s.Card("card-1")
	snap.PolicyExtID = "policy-digits"
	s.AddCard(snap)
	h := &fakeHasher{store: s}
	issued, err := newReplace(s, h).Do(context.Background(), app.ReplaceCommand{Caller: self("user-a", 0), Key: card1})
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	checkIssued(t, h, issued, digitsLayout)
	checkNoCells(t, s.Recorded(), issued.Clear)
	got := issued.Card.Snapshot()
	if got.PolicyExtID != "policy-digits" || !got.ValidTo.Equal(snap.ValidTo) {
		t.Errorf("got policy %q valid to %v, want policy-digits and the old validity %v", got.PolicyExtID, got.ValidTo, snap.ValidTo)
	}
}

func TestReplaceOTPCardHasherError(t *testing.T) {
	errBoom := errors.New("hasher down")
	s := newStore(t)
	before, _ := s.Card("card-1")
	_, err := newReplace(s, &fakeHasher{err: errBoom}).Do(context.Background(),
		app.ReplaceCommand{Caller: self("user-a", 0), Key: card1})
	if !errors.Is(err, errBoom) {
		t.Fatalf("got %v, want an error wrapping %v", err, errBoom)
	}
	if got := s.Called("Update"); got != 0 {
		t.Errorf("Update: got %d calls, want 0", got)
	}
	checkCard(t, s, before)
}

// TestReplaceOTPCardConcurrentSameVersion: with the store serializing writes like a row lock,
// exactly one of several replaces carrying the same version wins and the rest get a conflict.
func TestReplaceOTPCardConcurrentSameVersion(t *testing.T) {
	const n = 8
	s := newStore(t)
	uc := newReplace(s, &fakeHasher{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = uc.Do(context.Background(), app.ReplaceCommand{
				Caller: admin(access.CredentialModify, access.CredentialView), Key: card1, Version: v(4)})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, fault.ErrVersionConflict):
			t.Errorf("got %v, want nil or a version conflict", err)
		}
	}
	if won != 1 {
		t.Errorf("successful replaces: got %d, want 1", won)
	}
	if snap, _ := s.Card("card-1"); snap.Version != 5 {
		t.Errorf("version: got %d, want 5", snap.Version)
	}
	if got := len(s.Recorded()); got != 1 {
		t.Errorf("events: got %d, want 1", got)
	}
}

// TestReplaceOTPCardRestartsAnExpiredValidity: the replacement of a card whose validity has ended
// is valid from now for the policy's lifetime, and its event says so; a card still valid keeps
// its validity and the event says nothing about it.
func TestReplaceOTPCardRestartsAnExpiredValidity(t *testing.T) {
	for _, expired := range []bool{true, false} {
		t.Run(map[bool]string{true: "expired", false: "valid"}[expired], func(t *testing.T) {
			s := newStore(t)
			stored := storedCard("card-1", "user-a", credential.StateActive)
			if expired {
				stored.ValidFrom, stored.ValidTo = now.Add(-400*24*time.Hour), now.Add(-time.Hour)
			}
			s.AddCard(stored)
			issued, err := newReplace(s, &fakeHasher{}).Do(context.Background(), app.ReplaceCommand{
				Caller: admin(access.CredentialModify, access.CredentialView), Key: card1})
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			got := issued.Card.Snapshot()
			wantFrom, wantTo := stored.ValidFrom, stored.ValidTo
			if expired {
				wantFrom, wantTo = now, now.Add(credential.DefaultParameters().CredentialLifetime)
			}
			if !got.ValidFrom.Equal(wantFrom) || !got.ValidTo.Equal(wantTo) {
				t.Errorf("validity: got %s - %s, want %s - %s", got.ValidFrom, got.ValidTo, wantFrom, wantTo)
			}
			events := checkEvents(t, s.Recorded(), event.Event{Type: credential.CardReplaced, Time: now, Actor: alice,
				ClientExtID: "client-a", UserExtID: "user-a", CredentialExt: "card-1", PolicyExtID: "policy-a",
				Version: 5, RequestID: "req-1"})
			if restarted := events[0].Data["validityRestarted"]; (restarted == "true") != expired {
				t.Errorf("event data: got %v, want validityRestarted only when the validity had ended", events[0].Data)
			}
		})
	}
}

// TestIssuingRefusedForArchivedUsers: no card is created or replaced for an archived user
// (access.ErrUserNotUsable), nothing is hashed for a replace and nothing is stored; a disabled user
// may still receive one from an admin.
func TestIssuingRefusedForArchivedUsers(t *testing.T) {
	for _, holder := range []credential.Holder{credential.HolderArchived, credential.HolderDisabled} {
		t.Run(holder.String(), func(t *testing.T) {
			refused := holder == credential.HolderArchived
			s := newStore(t)
			s.SetHolder("user-a", holder)
			h := &fakeHasher{}
			_, err := newReplace(s, h).Do(context.Background(), app.ReplaceCommand{
				Caller: admin(access.CredentialModify, access.CredentialView), Key: card1})
			if got := errors.Is(err, access.ErrUserNotUsable); got != refused || (!refused && err != nil) {
				t.Errorf("replace: got %v, want refused %v", err, refused)
			}
			if calls, _ := h.counts(); refused && calls != 0 {
				t.Errorf("replace hashed %d cards for an archived user, want 0", calls)
			}
			_, err = newCreate(s, h).Do(context.Background(), app.CreateCommand{
				Caller: admin(createRights...), ClientExtID: "client-a", UserExtID: "user-a"})
			if got := errors.Is(err, access.ErrUserNotUsable); got != refused || (!refused && err != nil) {
				t.Errorf("create: got %v, want refused %v", err, refused)
			}
			if n := len(s.Recorded()); refused && n != 0 {
				t.Errorf("events: got %d, want none", n)
			}
		})
	}
}
