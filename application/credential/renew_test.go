package credential_test

import (
	"context"
	"errors"
	"testing"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

// TestRenewOTPCard: a renewal issues the successor in clear under the card's policy, links the two
// cards, records otp-card.renewed on the successor, and is refused to callers without the rights
// of a replace; nothing is written by a refusal.
func TestRenewOTPCard(t *testing.T) {
	for _, tc := range []struct {
		name    string
		caller  caller.Caller
		wantErr error
	}{
		{"admin", admin(access.CredentialModify, access.CredentialView), nil},
		{"owner, fresh", self("user-a", 0), nil},
		{"owner, stale", self("user-a", 2*maxAuthAge), errStale},
		{"CredentialModify alone", admin(access.CredentialModify), access.ErrPermissionDenied},
		{"another user", self("user-b", 0), access.ErrPermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			h := &fakeHasher{store: s}
			before, _ := s.Card("card-1")
			issued, err := newModule(s, h).RenewOTPCard.Do(context.Background(), app.RenewCommand{Caller: tc.caller, Key: card1,
				ExtID: "card-2", Comment: "runs low", Version: v(4)})
			if tc.wantErr != nil {
				refused(t, err, tc.wantErr)
				if after, _ := s.Card("card-1"); after.Version != before.Version {
					t.Errorf("a refused renewal changed the card: version %d", after.Version)
				}
				if len(s.Recorded()) != 0 {
					t.Errorf("a refused renewal recorded %d events", len(s.Recorded()))
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			checkIssued(t, h, issued, credential.DefaultParameters().Layout)
			next := issued.Card.Snapshot()
			if next.ExtID != "card-2" || next.PredecessorExtID != "card-1" || next.State != credential.StateInitial ||
				next.ModificationComment != "runs low" || !next.ValidFrom.Equal(now) {
				t.Errorf("successor: got %+v", next)
			}
			renewed, _ := s.Card("card-1")
			if renewed.SuccessorExtID != "card-2" || renewed.Version != 5 || renewed.State != credential.StateActive {
				t.Errorf("renewed card: successor %q at version %d in %s, want card-2 at 5, active", renewed.SuccessorExtID, renewed.Version, renewed.State)
			}
			if stored, ok := s.Card("card-2"); !ok || stored.PredecessorExtID != "card-1" {
				t.Errorf("stored successor: got %+v (%v)", stored, ok)
			}
			events := s.Recorded()
			if len(events) != 1 || events[0].Type != credential.CardRenewed || events[0].CredentialExt != "card-2" ||
				events[0].Data["predecessorExtId"] != "card-1" {
				t.Errorf("events: got %+v, want one otp-card.renewed of card-2 naming card-1", events)
			}
		})
	}
}

// TestRenewRefusals: the rules of API.md section 10.3, each refused with nothing written.
func TestRenewRefusals(t *testing.T) {
	root := admin(access.CredentialModify, access.CredentialView)
	for _, tc := range []struct {
		name    string
		prepare func(s *credentialtest.CardStore)
		cmd     app.RenewCommand
		want    error
	}{
		{"stale version", nil, app.RenewCommand{Key: card1, Version: v(3)}, fault.ErrVersionConflict},
		{"unknown card", nil, app.RenewCommand{Key: app.CardKey{ClientExtID: "client-a", UserExtID: "user-a", ExtID: "nope"}}, fault.ErrNotFound},
		{"another user's card", nil, app.RenewCommand{Key: app.CardKey{ClientExtID: "client-a", UserExtID: "user-b", ExtID: "card-1"}}, fault.ErrNotFound},
		{"comment too long", nil, app.RenewCommand{Key: card1, Comment: string(make([]byte, credential.MaxCommentLength+1))}, fault.ErrInvalid},
		{"disabled card", func(s *credentialtest.CardStore) { s.AddCard(storedCard("card-1", "user-a", credential.StateDisabled)) },
			app.RenewCommand{Key: card1}, credential.ErrForbiddenTransition},
		{"archived card", func(s *credentialtest.CardStore) { s.AddCard(storedCard("card-1", "user-a", credential.StateArchived)) },
			app.RenewCommand{Key: card1}, credential.ErrArchived},
		{"two cards held", func(s *credentialtest.CardStore) { s.AddCard(storedCard("card-9", "user-a", credential.StateActive)) },
			app.RenewCommand{Key: card1}, credential.ErrTooManyCards},
		{"archived user", func(s *credentialtest.CardStore) { s.SetHolder("user-a", credential.HolderArchived) },
			app.RenewCommand{Key: card1}, access.ErrUserNotUsable},
		{"successor's extId taken", nil, app.RenewCommand{Key: card1, ExtID: "card-1"}, fault.ErrDuplicate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if tc.prepare != nil {
				tc.prepare(s)
			}
			before, _ := s.Card("card-1")
			tc.cmd.Caller = root
			_, err := newModule(s, &fakeHasher{store: s}).RenewOTPCard.Do(context.Background(), tc.cmd)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if after, _ := s.Card("card-1"); after.Version != before.Version || after.SuccessorExtID != "" {
				t.Errorf("the refused renewal changed the card: %+v", after)
			}
			if len(s.Recorded()) != 0 {
				t.Errorf("the refused renewal recorded %d events", len(s.Recorded()))
			}
		})
	}
}
