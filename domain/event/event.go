// Package event holds the envelope of the domain events that every change records (API.md
// section 7). Modules subscribe to events; they never read another module's tables.
package event

import "time"

// Type names what happened.
type Type string

// The event types of API.md section 7.
const (
	OTPCardCreated         Type = "otp-card.created"
	OTPCardReplaced        Type = "otp-card.replaced"
	OTPCardStateChanged    Type = "otp-card.state-changed"
	OTPCardDeleted         Type = "otp-card.deleted"
	OTPCardChallengeIssued Type = "otp-card.challenge-issued"
	OTPCardLoginSucceeded  Type = "otp-card.login-succeeded"
	OTPCardLoginFailed     Type = "otp-card.login-failed"
	OTPCardLocked          Type = "otp-card.locked"
	OTPCardLowOnChallenges Type = "otp-card.low-on-challenges"
	// OTPCardChanged is a change of a card's modificationComment alone.
	OTPCardChanged Type = "otp-card.changed"
	ClientCreated  Type = "client.created"
	ClientChanged  Type = "client.changed"
	ClientDeleted  Type = "client.deleted"
	UserCreated    Type = "user.created"
	UserChanged    Type = "user.changed"
	UserDeleted    Type = "user.deleted"
	PolicyCreated  Type = "policy.created"
	PolicyChanged  Type = "policy.changed"
	PolicyDeleted  Type = "policy.deleted"
)

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

var known = map[Type]bool{
	OTPCardCreated: true, OTPCardReplaced: true, OTPCardStateChanged: true, OTPCardDeleted: true,
	OTPCardChallengeIssued: true, OTPCardLoginSucceeded: true, OTPCardLoginFailed: true,
	OTPCardLocked: true, OTPCardLowOnChallenges: true, OTPCardChanged: true,
	ClientCreated: true, ClientChanged: true, ClientDeleted: true,
	UserCreated: true, UserChanged: true, UserDeleted: true,
	PolicyCreated: true, PolicyChanged: true, PolicyDeleted: true,
}

// Known reports whether t is one of the event types of API.md section 7.
func Known(t Type) bool { return known[t] }
