package httpapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/otpcard/otpcard/domain/access"
)

// RateLimits configures the limits of API.md section 6.1. They are separate from the lockout of a
// card, so that nobody can cheaply lock a victim out, and are kept in this process's memory: each
// instance counts on its own. A limit of zero is off; the zero value switches every limit off.
type RateLimits struct {
	// LoginPerMinute bounds challenge and login together, per credential (client and user).
	LoginPerMinute int
	// IssuePerMinute bounds creating and replacing OTP cards, per user.
	IssuePerMinute int
	// AddressPerMinute bounds every request but the operational endpoints, per source address.
	AddressPerMinute int
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// Now is the clock of the limits; nil means time.Now.
	Now func() time.Time
}

// rateLimiters are the limiters of one handler; a nil limiter is off.
type rateLimiters struct {
	login, issue, address *limiter
	trusted               []netip.Prefix
	now                   func() time.Time
}

func newRateLimiters(cfg RateLimits) rateLimiters {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	perMinute := func(limit int) *limiter {
		if limit <= 0 {
			return nil
		}
		return newLimiter(limit, time.Minute, defaultMaxKeys, now)
	}
	return rateLimiters{
		login: perMinute(cfg.LoginPerMinute), issue: perMinute(cfg.IssuePerMinute),
		address: perMinute(cfg.AddressPerMinute), trusted: cfg.TrustedProxies, now: now,
	}
}

// rateLimitedError says a budget is spent; it carries the seconds for Retry-After.
type rateLimitedError struct {
	scope   string
	seconds int
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("too many requests for this %s; retry after %d s", e.scope, e.seconds)
}

func (e *rateLimitedError) Unwrap() error { return errTooManyRequests }

// spend takes one request from key's budget in l, or returns a *rateLimitedError.
func spend(l *limiter, key, scope string) error {
	if ok, wait := l.allow(key); !ok {
		return &rateLimitedError{scope: scope, seconds: retryAfterSeconds(wait)}
	}
	return nil
}

// operationalPaths are never rate limited: probes and scrapers must always get through.
var operationalPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/openapi.json": true}

// limitAddress spends the source address's budget before anything else, authentication included,
// so that floods of unauthenticated or unroutable requests are bounded too.
func (s *server) limitAddress(c *gin.Context) {
	if s.limits.address == nil || operationalPaths[c.Request.URL.Path] {
		c.Next()
		return
	}
	if err := spend(s.limits.address, sourceAddress(c.Request, s.limits.trusted), "source address"); err != nil {
		s.writeError(c, err)
		return
	}
	c.Next()
}

// accessOf is the authorization a route's use case asks of a caller for one user.
type accessOf func(clientExtID, userExtID string) access.Request

// limitLogin spends the user's budget of challenges and logins; a refused request never reaches
// the card, so it counts no login failure. Challenge and login share the budget, and only a
// caller that may log in (the login's rights) spends it: a caller that may only read cards, such
// as an Auditor, cannot use up the login server's budget by asking for challenges (its challenges
// are bounded by the address limit and cannot change a card beyond its outstanding challenge).
func (s *server) limitLogin(may accessOf) gin.HandlerFunc {
	return func(c *gin.Context) { s.limitUser(c, s.limits.login, "credential", may) }
}

// limitIssue spends the user's budget of card creations and replacements, for callers that hold
// the route's rights.
func (s *server) limitIssue(may accessOf) gin.HandlerFunc {
	return func(c *gin.Context) { s.limitUser(c, s.limits.issue, "user", may) }
}

// limitUser runs after authentication and path validation. Only a caller that holds the rights
// may grants for that user spends the user's budget (API.md section 6.1): a caller without them
// (a token with no roles, an Auditor at the login, a self-admin caller naming another user, an
// admin outside the client's data room) is refused by the use case and spends nothing, so that it
// cannot throttle its victim; the address limit bounds it.
func (s *server) limitUser(c *gin.Context, l *limiter, scope string, may accessOf) {
	if l == nil {
		c.Next()
		return
	}
	u, err := userPath(c)
	if err != nil {
		s.writeError(c, err)
		return
	}
	if callerOf(c).Principal.Authorize(may(u.client, u.id), s.limits.now()) != nil {
		c.Next()
		return
	}
	// '/' cannot occur in an extId, so the key is unambiguous.
	if err := spend(l, u.client+"/"+u.id, scope); err != nil {
		s.writeError(c, err)
		return
	}
	c.Next()
}

// sourceAddress is the address a request comes from: the TCP peer, unless the peer is a trusted
// proxy; then the right-most X-Forwarded-For address that is not itself a trusted proxy. Entries
// left of it were written by the client and prove nothing.
func sourceAddress(r *http.Request, trusted []netip.Prefix) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	addr := ap.Addr().Unmap()
	if !isTrusted(addr, trusted) {
		return addr.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0 && isTrusted(addr, trusted); i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: keep the last address a trusted proxy vouched for
		}
		addr = hop.Unmap()
	}
	return addr.String()
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
