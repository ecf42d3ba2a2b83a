// Package callertest makes the callers the use cases' unit tests act as, and checks the refusals
// they meet. Only tests import it.
package callertest

import (
	"errors"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
)

// Admin is alice with exactly these rights and no data room.
func Admin(rights ...access.Right) caller.Caller {
	names := make([]string, len(rights))
	for i, r := range rights {
		names[i] = access.RightPrefix + string(r)
	}
	return caller.Caller{Principal: access.NewAdmin("alice", nil, names, nil), RequestID: "req-1"}
}

// AdminIn is a Root admin restricted to the data room's clients (none when empty).
func AdminIn(clients ...string) caller.Caller {
	if clients == nil {
		clients = []string{}
	}
	return caller.Caller{Principal: access.NewAdmin("alice", []string{"Root"}, nil, clients), RequestID: "req-1"}
}

// SelfAdmin is the user acting on its own behalf, authenticated at authenticated.
func SelfAdmin(user string, authenticated time.Time) caller.Caller {
	return caller.Caller{Principal: access.NewSelfAdmin(user, authenticated), RequestID: "req-2"}
}

// Refused checks err against the error a case wants and stops the test when it does not match:
// with want nil, err must be nil; otherwise err must wrap want, and a want of type
// *access.ReauthenticationRequiredError must be matched by one with its MaxAge. It reports
// whether the case wanted an error (the test then has no result to check).
func Refused(t *testing.T, err, want error) bool {
	t.Helper()
	var reauth *access.ReauthenticationRequiredError
	switch {
	case want == nil:
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		return false
	case errors.As(want, &reauth):
		var got *access.ReauthenticationRequiredError
		if !errors.As(err, &got) || got.MaxAge != reauth.MaxAge {
			t.Fatalf("got %v, want a *ReauthenticationRequiredError with MaxAge %v", err, reauth.MaxAge)
		}
	case !errors.Is(err, want):
		t.Fatalf("got %v, want an error wrapping %v", err, want)
	}
	return true
}
