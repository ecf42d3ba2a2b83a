package credential_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
)

// issueTo creates a card for user-b of client-a and returns its cells in clear.
func issueTo(t *testing.T, uc app.UseCases) []string {
	t.Helper()
	issued, err := uc.CreateOTPCard.Do(context.Background(), app.CreateCommand{Caller: admin(createRights...),
		ClientExtID: "client-a", UserExtID: "user-b", ExtID: "card-b"})
	if err != nil {
		t.Fatal(err)
	}
	return issued.Clear
}

// TestChallengeThenLogin: a challenge asks a cell of the user's card, the right answer logs in
// and activates the card, and each step records its event.
func TestChallengeThenLogin(t *testing.T) {
	s := newStore(t)
	uc := newModule(s, &fakeHasher{})
	cells := issueTo(t, uc)
	loginServer := admin(access.CredentialView, access.CredentialChangeState)
	ch, err := uc.IssueChallenge.Do(context.Background(), app.ChallengeCommand{Caller: loginServer, ClientExtID: "client-a", UserExtID: "user-b"})
	if err != nil || ch.Label == "" {
		t.Fatalf("challenge: got %q, %v; want a label", ch.Label, err)
	}
	i, err := credential.DefaultParameters().Layout.ParseLabel(ch.Label)
	if err != nil {
		t.Fatal(err)
	}
	out, err := uc.Login.Do(context.Background(), app.LoginCommand{Caller: loginServer, ClientExtID: "client-a", UserExtID: "user-b",
		Challenge: ch.Label, Password: cells[i], UpdateLoginInfo: true})
	if err != nil || !out.Result.Succeeded() || out.Card.State() != credential.StateActive {
		t.Fatalf("login: got %+v, %v; want success and an active card", out.Result, err)
	}
	var types []string
	for _, e := range s.Recorded() {
		types = append(types, string(e.Type))
	}
	if want := []string{"otp-card.created", "otp-card.challenge-issued", "otp-card.login-succeeded"}; !slices.Equal(types, want) {
		t.Errorf("events: got %v, want %v", types, want)
	}
}

// TestChallengeAndLoginRefusedToUnusableUsers: a disabled or archived user can neither be asked a
// challenge nor log in (access.ErrUserNotUsable), and its card does not change.
func TestChallengeAndLoginRefusedToUnusableUsers(t *testing.T) {
	for _, holder := range []credential.Holder{credential.HolderDisabled, credential.HolderArchived} {
		t.Run(holder.String(), func(t *testing.T) {
			s := newStore(t)
			uc := newModule(s, &fakeHasher{})
			issueTo(t, uc)
			before, _ := s.Card("card-b")
			s.SetHolder("user-b", holder)
			loginServer := admin(access.CredentialView, access.CredentialChangeState)
			_, err := uc.IssueChallenge.Do(context.Background(), app.ChallengeCommand{Caller: loginServer, ClientExtID: "client-a", UserExtID: "user-b"})
			if !errors.Is(err, access.ErrUserNotUsable) {
				t.Errorf("challenge: got %v, want ErrUserNotUsable", err)
			}
			_, err = uc.Login.Do(context.Background(), app.LoginCommand{Caller: loginServer, ClientExtID: "client-a", UserExtID: "user-b",
				Challenge: "001", Password: "0000"})
			if !errors.Is(err, access.ErrUserNotUsable) {
				t.Errorf("login: got %v, want ErrUserNotUsable", err)
			}
			if after, _ := s.Card("card-b"); after.Version != before.Version || after.FailedLoginCount != 0 {
				t.Errorf("card: got version %d, %d failures; want %d, 0", after.Version, after.FailedLoginCount, before.Version)
			}
		})
	}
}

// TestLoginNeedsItsRights: the challenge needs CredentialView, the login CredentialView and
// CredentialChangeState; self-admin callers do neither.
func TestLoginNeedsItsRights(t *testing.T) {
	s := newStore(t)
	uc := newModule(s, &fakeHasher{})
	issueTo(t, uc)
	if _, err := uc.IssueChallenge.Do(context.Background(), app.ChallengeCommand{Caller: admin(access.CredentialView),
		ClientExtID: "client-a", UserExtID: "user-b"}); err != nil {
		t.Errorf("challenge with CredentialView: got %v, want nil", err)
	}
	for name, c := range map[string]app.LoginCommand{
		"CredentialView only":        {Caller: admin(access.CredentialView)},
		"CredentialChangeState only": {Caller: admin(access.CredentialChangeState)},
		"self-admin":                 {Caller: self("user-b", 0)},
	} {
		c.ClientExtID, c.UserExtID, c.Challenge, c.Password = "client-a", "user-b", "001", "0000"
		if _, err := uc.Login.Do(context.Background(), c); !errors.Is(err, access.ErrPermissionDenied) {
			t.Errorf("login by %s: got %v, want ErrPermissionDenied", name, err)
		}
	}
}
