package credential

import "github.com/otpcard/otpcard/domain/event"

// The credential module's event types (API.md section 7): OTP cards and their policies.
const (
	CardCreated         event.Type = "otp-card.created"
	CardReplaced        event.Type = "otp-card.replaced"
	CardStateChanged    event.Type = "otp-card.state-changed"
	CardDeleted         event.Type = "otp-card.deleted"
	CardChallengeIssued event.Type = "otp-card.challenge-issued"
	CardLoginSucceeded  event.Type = "otp-card.login-succeeded"
	CardLoginFailed     event.Type = "otp-card.login-failed"
	CardLocked          event.Type = "otp-card.locked"
	CardLowOnChallenges event.Type = "otp-card.low-on-challenges"
	// CardChanged is a change of a card's modificationComment alone.
	CardChanged event.Type = "otp-card.changed"
	// CardRenewed is recorded on the successor of a renewed card.
	CardRenewed event.Type = "otp-card.renewed"
	// CardCloseToExpiration and CardExpired are recorded once each by the lifecycle job.
	CardCloseToExpiration event.Type = "otp-card.close-to-expiration"
	CardExpired           event.Type = "otp-card.expired"
	// CardImported is a card printed by another system that an import job created.
	CardImported  event.Type = "otp-card.imported"
	PolicyCreated event.Type = "policy.created"
	PolicyChanged event.Type = "policy.changed"
	PolicyDeleted event.Type = "policy.deleted"
)

// EventTypes lists the event types the credential module records.
func EventTypes() []event.Type {
	return []event.Type{CardCreated, CardReplaced, CardStateChanged, CardDeleted, CardChallengeIssued,
		CardLoginSucceeded, CardLoginFailed, CardLocked, CardLowOnChallenges, CardChanged, CardRenewed,
		CardCloseToExpiration, CardExpired, CardImported, PolicyCreated, PolicyChanged, PolicyDeleted}
}
