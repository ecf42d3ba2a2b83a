// Package console holds the rules of the help-desk console's sign-in (API.md section 12): the
// one-time sign-in links a local operator gets from the command line, and the sessions the
// console keeps in the database. Secrets are stored only as hashes.
package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/otpcard/otpcard/domain/fault"
)

// Lifetimes of API.md section 12.
const (
	LinkLifetime    = 5 * time.Minute
	SessionLifetime = 8 * time.Hour
)

// Errors of the sign-in.
var (
	// ErrLinkRefused: the link is unknown, used, expired, or not opened from this machine. The
	// operator learns no more: a link is a secret.
	ErrLinkRefused = fault.New(fault.Forbidden, "errors.permissionDenied", "this sign-in link cannot be used")
	// ErrNoSession: the session is unknown or has ended.
	ErrNoSession = fault.New(fault.Unauthenticated, "errors.notAuthenticated", "the console session has ended")
	// ErrCrossSite: a state-changing request without the session's token, or from another site.
	ErrCrossSite = fault.New(fault.Forbidden, "errors.permissionDenied", "the request did not come from the console's own form")
)

// Grant is who a link or a session signs in: an operator with roles, permissions and a data
// room, read like an admin token's claims.
type Grant struct {
	Subject     string
	Roles       []string
	Permissions []string
	Clients     []string
}

// Secret is a random bearer secret (a link's or a session's) in clear, as the operator's
// browser holds it; only its Hash is stored.
type Secret string

// NewSecret draws 32 random bytes from crypto/rand.
func NewSecret() (Secret, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("console secret: %w", err)
	}
	return Secret(base64.RawURLEncoding.EncodeToString(raw[:])), nil
}

// Hash is what the database keeps of a secret: its SHA-256 (the secret has 256 random bits, so
// no salt or slow hash is needed to keep it from being guessed).
func (s Secret) Hash() []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Link is a one-time sign-in link (API.md 12): single use, valid LinkLifetime, accepted only
// from a loopback address.
type Link struct {
	Grant
	Created, Expires time.Time
	Used             bool
}

// NewLink issues a link for g at now.
func NewLink(g Grant, now time.Time) Link {
	return Link{Grant: g, Created: now, Expires: now.Add(LinkLifetime)}
}

// Redeem uses the link at now, opened from loopback or not; it refuses a used or expired link,
// and one opened from another machine, with ErrLinkRefused.
func (l *Link) Redeem(now time.Time, loopback bool) error {
	switch {
	case l.Used:
		return fmt.Errorf("%w: used already", ErrLinkRefused)
	case !now.Before(l.Expires):
		return fmt.Errorf("%w: expired", ErrLinkRefused)
	case !loopback:
		return fmt.Errorf("%w: opened from another machine", ErrLinkRefused)
	}
	l.Used = true
	return nil
}

// Session is a signed-in operator: who, and the token every state-changing form carries (CSRF).
type Session struct {
	Grant
	CSRF             Secret
	Created, Expires time.Time
}

// NewSession starts a session for g at now.
func NewSession(g Grant, now time.Time) (Session, error) {
	csrf, err := NewSecret()
	if err != nil {
		return Session{}, err
	}
	return Session{Grant: g, CSRF: csrf, Created: now, Expires: now.Add(SessionLifetime)}, nil
}

// Live refuses a session that has ended at now.
func (s Session) Live(now time.Time) error {
	if !now.Before(s.Expires) {
		return ErrNoSession
	}
	return nil
}
