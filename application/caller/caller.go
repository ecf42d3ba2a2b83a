// Package caller describes who sends a command: the authenticated principal and the request it
// came with. Every use case receives one.
package caller

import (
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/event"
)

// Caller is the authenticated sender of a command.
type Caller struct {
	Principal access.Principal
	RequestID string
}

// Meta is what events record about the caller.
func (c Caller) Meta() event.Meta {
	return event.Meta{
		Actor:     event.Actor{Subject: c.Principal.Subject(), Mode: c.Principal.Mode().String()},
		RequestID: c.RequestID,
	}
}

// System is the service acting on its own (the lifecycle job): events record it as the actor
// "system", and it holds no right.
func System() Caller { return Caller{Principal: access.System()} }
