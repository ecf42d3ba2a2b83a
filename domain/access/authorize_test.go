package access_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/access"
)

var t0 = time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)

func TestAuthorizeAdmin(t *testing.T) {
	replace := []access.Right{access.CredentialModify, access.CredentialView}
	tests := []struct {
		name        string
		principal   access.Principal
		req         access.Request
		wantErr     error
		wantMessage string
	}{
		{"all rights", access.NewAdmin("a", []string{"Helpdesk"}, nil, nil),
			access.Request{Client: "c1", User: "u1", Rights: replace}, nil, ""},
		{"no rights needed", access.NewAdmin("a", nil, nil, nil), access.Request{Client: "c1"}, nil, ""},
		{"missing the second right", access.NewAdmin("a", nil, []string{"AccessControl.CredentialModify"}, nil),
			access.Request{Client: "c1", Rights: replace}, access.ErrPermissionDenied, "AccessControl.CredentialView"},
		{"missing the first right", access.NewAdmin("a", nil, []string{"AccessControl.CredentialView"}, nil),
			access.Request{Client: "c1", Rights: replace}, access.ErrPermissionDenied, "AccessControl.CredentialModify"},
		{"no rights at all", access.NewAdmin("a", nil, nil, nil),
			access.Request{Rights: []access.Right{access.ClientCreate}}, access.ErrPermissionDenied, "AccessControl.ClientCreate"},
		{"ClientRoot cannot create clients", access.NewAdmin("a", []string{"ClientRoot"}, nil, nil),
			access.Request{Rights: []access.Right{access.ClientCreate}}, access.ErrPermissionDenied, "ClientCreate"},
		{"inside the data room", access.NewAdmin("a", []string{"Root"}, nil, []string{"c1", "c2"}),
			access.Request{Client: "c2", Rights: replace}, nil, ""},
		{"outside the data room", access.NewAdmin("a", []string{"Root"}, nil, []string{"c1"}),
			access.Request{Client: "c2", Rights: replace}, access.ErrDataroomDenied, ""},
		{"nil data room sees all", access.NewAdmin("a", []string{"Root"}, nil, nil),
			access.Request{Client: "anything", Rights: replace}, nil, ""},
		{"empty data room sees none", access.NewAdmin("a", []string{"Root"}, nil, []string{}),
			access.Request{Client: "c1", Rights: replace}, access.ErrDataroomDenied, ""},
		{"empty data room, no client", access.NewAdmin("a", []string{"Root"}, nil, []string{}),
			access.Request{Rights: []access.Right{access.ClientView}}, nil, ""},
		{"self rules do not apply to admins", access.NewAdmin("a", []string{"Root"}, nil, nil),
			access.Request{Client: "c1", User: "someone", Rights: replace, Self: access.SelfNone}, nil, ""},
		{"zero principal", access.Principal{}, access.Request{}, access.ErrPermissionDenied, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.principal.Authorize(tt.req, t0)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want an error wrapping %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("message: got %q, want it to name %q", err.Error(), tt.wantMessage)
			}
		})
	}
}

func TestAuthorizeSelfAdmin(t *testing.T) {
	const maxAge = 15 * time.Minute
	self := func(age time.Duration) access.Principal { return access.NewSelfAdmin("user-a", t0.Add(-age)) }
	tests := []struct {
		name       string
		principal  access.Principal
		req        access.Request
		wantErr    error
		wantReauth bool
	}{
		{"SelfNone refused", self(0), access.Request{Client: "c1", User: "user-a", Self: access.SelfNone}, access.ErrPermissionDenied, false},
		{"SelfRead own user", self(0), access.Request{Client: "c1", User: "user-a", Self: access.SelfRead}, nil, false},
		{"SelfRead with an old authentication", self(24 * time.Hour), access.Request{User: "user-a", Self: access.SelfRead}, nil, false},
		{"SelfRead needs no rights", self(0), access.Request{User: "user-a", Self: access.SelfRead,
			Rights: []access.Right{access.CredentialView}}, nil, false},
		{"SelfRead other user", self(0), access.Request{Client: "c1", User: "user-b", Self: access.SelfRead}, access.ErrPermissionDenied, false},
		{"SelfRead no user", self(0), access.Request{Client: "c1", Self: access.SelfRead}, access.ErrPermissionDenied, false},
		{"SelfRead case differs", self(0), access.Request{User: "USER-A", Self: access.SelfRead}, access.ErrPermissionDenied, false},
		{"SelfFresh just authenticated", self(0), access.Request{User: "user-a", Self: access.SelfFresh, MaxAuthAge: maxAge}, nil, false},
		{"SelfFresh 10 minutes", self(10 * time.Minute), access.Request{User: "user-a", Self: access.SelfFresh, MaxAuthAge: maxAge}, nil, false},
		{"SelfFresh exactly at max age", self(maxAge), access.Request{User: "user-a", Self: access.SelfFresh, MaxAuthAge: maxAge}, nil, false},
		{"SelfFresh 1ns too old", self(maxAge + time.Nanosecond), access.Request{User: "user-a", Self: access.SelfFresh, MaxAuthAge: maxAge}, nil, true},
		{"SelfFresh a day old", self(24 * time.Hour), access.Request{User: "user-a", Self: access.SelfFresh, MaxAuthAge: maxAge}, nil, true},
		{"SelfFresh other user, old token", self(24 * time.Hour), access.Request{User: "user-b", Self: access.SelfFresh, MaxAuthAge: maxAge},
			access.ErrPermissionDenied, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.principal.Authorize(tt.req, t0)
			var reauth *access.ReauthenticationRequiredError
			switch {
			case tt.wantReauth:
				if !errors.As(err, &reauth) {
					t.Fatalf("got %v, want a *ReauthenticationRequiredError", err)
				}
				if reauth.MaxAge != maxAge {
					t.Errorf("MaxAge: got %v, want %v", reauth.MaxAge, maxAge)
				}
				if errors.Is(err, access.ErrPermissionDenied) {
					t.Errorf("got %v wrapping ErrPermissionDenied, want a distinct error (401, not 403)", err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want an error wrapping %v", err, tt.wantErr)
				}
				if errors.As(err, &reauth) {
					t.Errorf("got a reauthentication error, want a plain refusal")
				}
			default:
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
			}
		})
	}
}

func TestReauthenticationRequiredMessage(t *testing.T) {
	err := &access.ReauthenticationRequiredError{MaxAge: 15 * time.Minute}
	if got, want := err.Error(), "the operation needs an authentication at most 15m0s old"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
