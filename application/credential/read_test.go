package credential_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

func TestGetOTPCard(t *testing.T) {
	tests := []cardCase{
		{"admin", admin(access.CredentialView), card1, nil, true},
		{"admin inside the data room", adminIn("client-a"), card1, nil, true},
		{"owner, old authentication is enough", self("user-a", 24*time.Hour), card1, nil, true},
		{"admin without CredentialView", admin(access.CredentialModify, access.UserView), card1, access.ErrPermissionDenied, false},
		{"admin outside the data room", adminIn("client-b"), card1, access.ErrDataroomDenied, false},
		{"another user", self("user-b", 0), card1, access.ErrPermissionDenied, false},
		{"unknown credential", admin(access.CredentialView),
			app.CardKey{ClientExtID: "client-a", UserExtID: "user-a", ExtID: "nope"}, fault.ErrNotFound, true},
		{"credential of another user", admin(access.CredentialView),
			app.CardKey{ClientExtID: "client-a", UserExtID: "user-b", ExtID: "card-1"}, fault.ErrNotFound, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			card, err := useCases(s).GetOTPCard.Do(context.Background(), app.GetCardQuery{Caller: tt.caller, Key: tt.key})
			wantConsulted(t, s, "Get", tt.wantStore)
			if refused(t, err, tt.wantErr) {
				if card != nil {
					t.Fatalf("card: got %v, want nil", card)
				}
				return
			}
			if card.ExtID() != "card-1" || card.Version() != 4 {
				t.Errorf("got %q v%d, want card-1 v4", card.ExtID(), card.Version())
			}
			if otp := card.OTP(nil); !strings.Contains(otp, strings.Repeat("*", 168*4)) || !strings.HasSuffix(otp, "|031") {
				t.Errorf("OTP: got %q, want a masked card with challenge 031", otp)
			}
		})
	}
}

func TestListOTPCards(t *testing.T) {
	s := newStore(t)
	second := storedCard("card-2", "user-a", credential.StateArchived)
	second.Created = t0.Add(-time.Hour)
	s.AddCard(second)
	s.AddCard(storedCard("card-b", "user-b", credential.StateActive))
	uc := useCases(s)

	res, err := uc.ListOTPCards.Do(context.Background(), app.ListCardsQuery{Caller: self("user-a", time.Hour), ClientExtID: "client-a", UserExtID: "user-a", Page: listing.Page{Limit: 1}})
	if err != nil {
		t.Fatalf("first page: got error %v, want nil", err)
	}
	if len(res.Items) != 1 || res.Items[0].ExtID() != "card-1" || res.Next == nil {
		t.Fatalf("first page: got %d items, next %v; want card-1 and a cursor", len(res.Items), res.Next)
	}
	res, err = uc.ListOTPCards.Do(context.Background(), app.ListCardsQuery{Caller: admin(access.CredentialView), ClientExtID: "client-a", UserExtID: "user-a", Page: listing.Page{Limit: 1, After: res.Next}})
	if err != nil {
		t.Fatalf("second page: got error %v, want nil", err)
	}
	if len(res.Items) != 1 || res.Items[0].ExtID() != "card-2" || res.Next != nil {
		t.Fatalf("second page: got %d items, next %v; want card-2 and no cursor", len(res.Items), res.Next)
	}
}

func TestListOTPCardsRefusals(t *testing.T) {
	tests := []struct {
		name         string
		caller       caller.Caller
		client, user string
		wantErr      error
	}{
		{"admin without CredentialView", admin(access.UserView), "client-a", "user-a", access.ErrPermissionDenied},
		{"admin outside the data room", adminIn("client-b"), "client-a", "user-a", access.ErrDataroomDenied},
		{"another user", self("user-b", 0), "client-a", "user-a", access.ErrPermissionDenied},
		{"unknown user", admin(access.CredentialView), "client-a", "nobody", fault.ErrNotFound},
		{"user of another client", admin(access.CredentialView), "client-b", "user-a", fault.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := useCases(newStore(t)).ListOTPCards.Do(context.Background(), app.ListCardsQuery{Caller: tt.caller, ClientExtID: tt.client, UserExtID: tt.user, Page: listing.Page{Limit: 10}})
			if refused(t, err, tt.wantErr) && len(res.Items) != 0 {
				t.Fatalf("got %d items, want none", len(res.Items))
			}
		})
	}
}
