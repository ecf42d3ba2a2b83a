// Package notify holds the rules of the notify module (API.md section 11.3): which events a user
// is told of by e-mail, and in which language. Events are read by their published type names, the
// contract between the modules; no other module's code is needed.
package notify

import (
	"strings"

	"github.com/otpcard/otpcard/domain/event"
)

// Kind is what a notice tells the user.
type Kind string

// The notices: a card issued, replaced or renewed, close to its expiry or expired, running low
// on cells, or locked for good.
const (
	CardIssued            Kind = "card-issued"
	CardReplaced          Kind = "card-replaced"
	CardRenewed           Kind = "card-renewed"
	CardCloseToExpiration Kind = "card-close-to-expiration"
	CardExpired           Kind = "card-expired"
	CardLowOnChallenges   Kind = "card-low-on-challenges"
	CardFailLocked        Kind = "card-fail-locked"
)

// Kinds lists every notice, in a stable order.
func Kinds() []Kind {
	return []Kind{CardIssued, CardReplaced, CardRenewed, CardCloseToExpiration, CardExpired, CardLowOnChallenges, CardFailLocked}
}

// byType maps the event types a user is told of to their notice.
var byType = map[event.Type]Kind{
	"otp-card.created":             CardIssued,
	"otp-card.imported":            CardIssued,
	"otp-card.replaced":            CardReplaced,
	"otp-card.renewed":             CardRenewed,
	"otp-card.close-to-expiration": CardCloseToExpiration,
	"otp-card.expired":             CardExpired,
	"otp-card.low-on-challenges":   CardLowOnChallenges,
	"otp-card.locked":              CardFailLocked,
}

// NoticeOf returns the notice an event gives its user, and whether it gives one: only the events
// of section 11.3, only those that name a user, and of otp-card.locked only a lock for good
// (fail-locked; a temporary lock ends by itself within minutes).
func NoticeOf(e event.Event) (Kind, bool) {
	kind, ok := byType[e.Type]
	if !ok || e.UserExtID == "" {
		return "", false
	}
	if kind == CardFailLocked && e.Data["stateName"] != "fail-locked" {
		return "", false
	}
	return kind, true
}

// Languages are the languages of the notices; any other falls back to English.
var Languages = []string{"en", "de", "fr", "it"}

// LanguageOf returns the notice language for a user's languageCode: its own when it is one of
// Languages (in any case), else "en".
func LanguageOf(languageCode string) string {
	code := strings.ToLower(languageCode)
	for _, l := range Languages {
		if code == l {
			return l
		}
	}
	return "en"
}
