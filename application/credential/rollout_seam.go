package credential

import (
	"context"
	"time"

	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/rollout"
)

// This file is the credential module's side of its seam with the rollout module
// (approllout.Targets): it evaluates a job's selection over the module's holders and cards. It is
// the only file of the module that knows rollout jobs.

// RenewalCandidates finds what selections select.
type RenewalCandidates interface {
	// UsersWithoutCard returns the client's holders who may receive cards and hold no card that
	// is not archived, in the order of their extIds.
	UsersWithoutCard(ctx context.Context, clientExtID string) ([]string, error)
	// CandidatesForRenewal calls fn with every initial or active card without a successor of the
	// client (under policyExtID, when set) whose holder may authenticate, with its policy, in
	// the order of the users' extIds; it stops at fn's first error.
	CandidatesForRenewal(ctx context.Context, clientExtID, policyExtID string, fn func(UserCard) error) error
}

// RolloutTargets evaluates the selections of rollout jobs.
type RolloutTargets struct {
	store RenewalCandidates
}

var _ approllout.Targets = (*RolloutTargets)(nil)

// NewRolloutTargets builds the seam.
func NewRolloutTargets(store RenewalCandidates) *RolloutTargets { return &RolloutTargets{store: store} }

// Targets returns the users (usersWithoutCard) or the cards (cardsLowOnChallenges,
// cardsCloseToExpiration, by each card's policy's threshold) a selection selects at q.Now.
func (t *RolloutTargets) Targets(ctx context.Context, q approllout.TargetQuery) ([]approllout.Target, error) {
	if q.Selection == rollout.UsersWithoutCard {
		users, err := t.store.UsersWithoutCard(ctx, q.ClientExtID)
		targets := make([]approllout.Target, len(users))
		for i, u := range users {
			targets[i] = approllout.Target{UserExtID: u}
		}
		return targets, err
	}
	selects := func(c *credential.OTPCard, p credential.Parameters, now time.Time) bool { return c.LowOnChallenges(p) }
	if q.Selection == rollout.CardsCloseToExpiration {
		selects = func(c *credential.OTPCard, p credential.Parameters, now time.Time) bool { return c.CloseToExpiry(p, now) }
	}
	var targets []approllout.Target
	err := t.store.CandidatesForRenewal(ctx, q.ClientExtID, q.PolicyExtID, func(uc UserCard) error {
		if uc.Card.Renewable() && selects(uc.Card, uc.Policy.Parameters, q.Now) {
			targets = append(targets, approllout.Target{UserExtID: uc.Card.Snapshot().UserExtID, CardExtID: uc.Card.ExtID()})
		}
		return nil
	})
	return targets, err
}
