package credential_test

import (
	"context"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

func TestDeleteOTPCard(t *testing.T) {
	tests := []struct {
		name      string
		caller    caller.Caller
		state     credential.State
		wantActor event.Actor
		wantReq   string
	}{
		{"admin", admin(access.CredentialDelete), credential.StateActive, event.Actor{Subject: "alice", Mode: "admin"}, "req-1"},
		{"admin, archived card", admin(access.CredentialDelete), credential.StateArchived, event.Actor{Subject: "alice", Mode: "admin"}, "req-1"},
		{"admin inside the data room", adminIn("client-a"), credential.StateActive, event.Actor{Subject: "alice", Mode: "admin"}, "req-1"},
		{"owner, fresh", self("user-a", time.Minute), credential.StateActive, event.Actor{Subject: "user-a", Mode: "self-admin"}, "req-2"},
		{"owner, exactly at max age", self("user-a", maxAuthAge), credential.StateDisabled, event.Actor{Subject: "user-a", Mode: "self-admin"}, "req-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			s.AddCard(storedCard("card-1", "user-a", tt.state))
			if _, err := useCases(s).DeleteOTPCard.Do(context.Background(), app.DeleteCardCommand{Caller: tt.caller, Key: card1}); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if _, ok := s.Card("card-1"); ok {
				t.Errorf("card-1: got it still stored, want it gone")
			}
			events := checkEvents(t, s.Recorded(), event.Event{Type: credential.CardDeleted, Time: now, Actor: tt.wantActor,
				ClientExtID: "client-a", UserExtID: "user-a", CredentialExt: "card-1", PolicyExtID: "policy-a",
				Version: 4, RequestID: tt.wantReq})
			checkNoCells(t, events, nil)
		})
	}
}

func TestDeleteOTPCardRefusals(t *testing.T) {
	tests := []cardCase{
		{"admin without CredentialDelete", admin(access.CredentialModify, access.CredentialView, access.CredentialChangeState),
			card1, access.ErrPermissionDenied, false},
		{"admin outside the data room", adminIn("client-b"), card1, access.ErrDataroomDenied, false},
		{"admin with an empty data room", adminIn(), card1, access.ErrDataroomDenied, false},
		{"owner, stale", self("user-a", maxAuthAge+time.Nanosecond), card1, errStale, false},
		{"another user", self("user-b", 0), card1, access.ErrPermissionDenied, false},
		{"another user naming itself in the path", self("user-b", 0),
			app.CardKey{ClientExtID: "client-a", UserExtID: "user-b", ExtID: "card-1"}, fault.ErrNotFound, true},
		{"unknown credential", admin(access.CredentialDelete),
			app.CardKey{ClientExtID: "client-a", UserExtID: "user-a", ExtID: "nope"}, fault.ErrNotFound, true},
		{"credential under another client", admin(access.CredentialDelete),
			app.CardKey{ClientExtID: "client-b", UserExtID: "user-a", ExtID: "card-1"}, fault.ErrNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			_, err := useCases(s).DeleteOTPCard.Do(context.Background(), app.DeleteCardCommand{Caller: tt.caller, Key: tt.key})
			refused(t, err, tt.wantErr)
			wantConsulted(t, s, "Delete", tt.wantStore)
			if _, ok := s.Card("card-1"); !ok {
				t.Errorf("card-1: got it deleted, want it kept")
			}
			checkEvents(t, s.Recorded())
		})
	}
}
