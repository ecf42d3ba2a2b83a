// Package notify is the notify module (API.md section 11.3): it subscribes to the events and
// e-mails users when a card of theirs is issued, replaced, renewed, close to its expiry or
// expired, low on cells or locked for good; never with a cell. Each port is owned here and
// implemented by an adapter: the module's own tables (postgres), the templates and the SMTP
// client (mail).
package notify

import (
	"context"
	"errors"
	"time"

	"github.com/otpcard/otpcard/domain/notify"
)

// Recipient is who a user's notices go to: the module's copy of the user's e-mail address,
// language and name, kept in step with the directory (DirectorySeam).
type Recipient struct {
	ClientExtID, UserExtID                     string
	Email, LanguageCode, FirstName, FamilyName string
}

// Recipients keeps the notify module's copy of the users it may write to.
type Recipients interface {
	// SaveRecipient records the user's address and language (a user created or changed).
	SaveRecipient(ctx context.Context, r Recipient) error
	// DeleteRecipient forgets the user (a user deleted); an unknown user is no error.
	DeleteRecipient(ctx context.Context, clientExtID, userExtID string) error
	// Recipient returns the user, and false when the module knows no such user.
	Recipient(ctx context.Context, clientExtID, userExtID string) (Recipient, bool, error)
}

// Outcome is how the notice of one event ended.
type Outcome string

// The outcomes of a notice.
const (
	Sent Outcome = "sent"
	// Rejected: the mail server refused the message for good (an unknown mailbox, say).
	Rejected Outcome = "rejected"
	// NoAddress: the user has no e-mail address, or no longer exists.
	NoAddress Outcome = "no-address"
	// GivenUp: the server refused the message for now, again and again (MaxDeferrals times).
	GivenUp Outcome = "given-up"
	// Failed: the notice could not be composed (a template that fails on this event).
	Failed Outcome = "failed"
)

// MaxDeferrals is how often a message refused for now (ErrDeferred) is tried before it is given
// up, so that one full mailbox does not hold back everyone's notices.
const MaxDeferrals = 3

// Deliveries remembers the events whose notice has ended, so that an event delivered again (the
// outbox delivers at least once; a subscriber can be rewound) sends no second mail.
type Deliveries interface {
	// Ended reports whether the notice of event id has ended.
	Ended(ctx context.Context, eventID int64) (bool, error)
	// End records how the notice of event id ended, at time at; a second record of the same
	// event is no error and changes nothing.
	End(ctx context.Context, eventID int64, outcome Outcome, at time.Time) error
}

// Notice is what a notice tells, for the templates: never a cell, verifier or token.
type Notice struct {
	Kind     notify.Kind
	Language string
	// FirstName and FamilyName are the user's, possibly empty.
	FirstName, FamilyName string
	// Time is when the event happened; CredentialExtID names the card.
	Time            time.Time
	CredentialExtID string
	// ValidTo is the card's end of validity when the event says it; RemainingChallenges its
	// cells left when the event says it (low on challenges).
	ValidTo             time.Time
	RemainingChallenges string
	// PredecessorRetired tells, of a renewal, that the renewed card stopped working at once
	// (its policy allows no fallback).
	PredecessorRetired bool
}

// Message is one e-mail to send.
type Message struct {
	To, Subject, Text, HTML string
	// ID identifies the message (its Message-ID): one per event, so that a receiver can tell a
	// message sent twice.
	ID string
}

// Composer renders a notice in its language into a message without its recipient.
type Composer interface {
	Compose(n Notice) (Message, error)
}

// Mailer sends messages.
type Mailer interface {
	// Send delivers m to the mail server. ErrRejected means the server refused it for good,
	// ErrDeferred that it refused this message for now; any other error is worth another try
	// later. No error names the recipient or the message's text.
	Send(ctx context.Context, m Message) error
}

// The failures of one message, as a Mailer tells them apart from a server that refuses every
// message for now (any other error).
var (
	// ErrRejected is a message the mail server refused for good (a 5xx to its recipient or content).
	ErrRejected = errors.New("the mail server refused the message for good")
	// ErrDeferred is a message the mail server refused for now (a 4xx to its recipient: a mailbox
	// full, say).
	ErrDeferred = errors.New("the mail server refused the message for now")
)

// Clock tells the time.
type Clock func() time.Time
