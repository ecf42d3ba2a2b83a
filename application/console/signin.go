// Package console holds the help-desk console's sign-in use cases (API.md section 12): one-time
// links for a local operator, and the sessions the console's pages run under.
package console

import (
	"context"
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/console"
)

// Links keeps sign-in links by the hash of their secret.
type Links interface {
	// SaveLink stores a new link.
	SaveLink(ctx context.Context, hash []byte, l console.Link) error
	// RedeemLink loads the link with a row lock, calls fn, and saves it when fn returns nil, in
	// one transaction that fn's ctx carries; console.ErrLinkRefused when there is no such link.
	RedeemLink(ctx context.Context, hash []byte, fn func(ctx context.Context, l *console.Link) error) error
}

// Sessions keeps console sessions by the hash of their secret.
type Sessions interface {
	SaveSession(ctx context.Context, hash []byte, s console.Session) error
	// Session returns the session, or console.ErrNoSession.
	Session(ctx context.Context, hash []byte) (console.Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
}

// Clock tells the time.
type Clock func() time.Time

// SignIn issues links and redeems them into sessions, and finds and ends sessions.
type SignIn struct {
	links    Links
	sessions Sessions
	now      Clock
}

// NewSignIn builds the sign-in use cases.
func NewSignIn(links Links, sessions Sessions, now Clock) *SignIn {
	return &SignIn{links: links, sessions: sessions, now: now}
}

// IssueLink stores a one-time link for g and returns its secret, which exists in clear only in
// the answer (`otpcard console` prints it once).
func (s *SignIn) IssueLink(ctx context.Context, g console.Grant) (console.Secret, error) {
	secret, err := console.NewSecret()
	if err != nil {
		return "", err
	}
	return secret, s.links.SaveLink(ctx, secret.Hash(), console.NewLink(g, s.now()))
}

// Redeem uses the link whose secret the operator's browser brought, from a loopback address or
// not, and starts a session: it returns the session's secret (the cookie) and the session.
// Errors: console.ErrLinkRefused (unknown, used, expired, remote).
func (s *SignIn) Redeem(ctx context.Context, link console.Secret, loopback bool) (console.Secret, console.Session, error) {
	secret, err := console.NewSecret()
	if err != nil {
		return "", console.Session{}, err
	}
	var session console.Session
	err = s.links.RedeemLink(ctx, link.Hash(), func(ctx context.Context, l *console.Link) error {
		now := s.now()
		if err := l.Redeem(now, loopback); err != nil {
			return err
		}
		if session, err = console.NewSession(l.Grant, now); err != nil {
			return err
		}
		return s.sessions.SaveSession(ctx, secret.Hash(), session)
	})
	if err != nil {
		return "", console.Session{}, err
	}
	return secret, session, nil
}

// Start starts a session for an operator an identity provider signed in (OpenID Connect) and
// returns its secret (the cookie) with the session.
func (s *SignIn) Start(ctx context.Context, g console.Grant) (console.Secret, console.Session, error) {
	secret, err := console.NewSecret()
	if err != nil {
		return "", console.Session{}, err
	}
	session, err := console.NewSession(g, s.now())
	if err != nil {
		return "", console.Session{}, err
	}
	return secret, session, s.sessions.SaveSession(ctx, secret.Hash(), session)
}

// Current returns the live session of secret, with the caller its pages run as: the grant read
// like an admin token's claims. Errors: console.ErrNoSession.
func (s *SignIn) Current(ctx context.Context, secret console.Secret) (console.Session, caller.Caller, error) {
	if secret == "" {
		return console.Session{}, caller.Caller{}, console.ErrNoSession
	}
	session, err := s.sessions.Session(ctx, secret.Hash())
	if err == nil {
		err = session.Live(s.now())
	}
	if err != nil {
		return console.Session{}, caller.Caller{}, err
	}
	g := session.Grant
	return session, caller.Caller{Principal: access.NewAdmin(g.Subject, g.Roles, g.Permissions, g.Clients)}, nil
}

// CheckCSRF compares a form's token with the session's in constant time.
func CheckCSRF(session console.Session, token string) error {
	if token == "" || subtle.ConstantTimeCompare([]byte(session.CSRF), []byte(token)) != 1 {
		return fmt.Errorf("%w: the form's token does not match the session", console.ErrCrossSite)
	}
	return nil
}

// SignOut ends the session of secret; an unknown one is ended already.
func (s *SignIn) SignOut(ctx context.Context, secret console.Secret) error {
	return s.sessions.DeleteSession(ctx, secret.Hash())
}
