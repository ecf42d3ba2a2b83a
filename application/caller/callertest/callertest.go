// Package callertest makes the callers the use cases' unit tests act as. Only tests import it.
package callertest

import (
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
