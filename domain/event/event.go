// Package event holds the envelope of the domain events that every change records (API.md
// section 7); each module declares its own event types. Modules subscribe to events; they never
// read another module's tables.
package event

import "time"

// Type names what happened, as "<entity>.<what>" (otp-card.replaced, user.created).
type Type string

// Actor is who caused an event.
type Actor struct {
	// Subject is the token's sub claim.
	Subject string
	// Mode is "admin" or "self-admin".
	Mode string
}

// Event is one recorded change. It never carries a cell value, verifier, salt or token.
type Event struct {
	Type          Type
	Time          time.Time
	Actor         Actor
	ClientExtID   string
	UserExtID     string
	CredentialExt string
	PolicyExtID   string
	// Version is the entity's version after the change.
	Version   int32
	RequestID string
	// Data holds type-specific details (for example the new state name), never secrets.
	Data map[string]string
}

// Entity names the one entity whose history the event belongs to: its credential, else its
// policy, else its user, else its client ("credential:c1", "user:alice"). The event log hands
// out each entity's events in the order of its versions (API.md section 9).
func (e Event) Entity() string {
	switch {
	case e.CredentialExt != "":
		return "credential:" + e.CredentialExt
	case e.PolicyExtID != "":
		return "policy:" + e.PolicyExtID
	case e.UserExtID != "":
		return "user:" + e.UserExtID
	}
	return "client:" + e.ClientExtID
}

// Meta is what a use case knows about the request that causes events.
type Meta struct {
	Actor     Actor
	RequestID string
}

// Stored is an event as the event log keeps it: with its position.
type Stored struct {
	// ID orders events; it is unique.
	ID int64
	Event
}
