package postgres

import (
	"context"
	"errors"
	"fmt"

	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

var _ appcredential.RenewalCandidates = (*CardStore)(nil)

// UsersWithoutCard returns the client's holders who may receive cards and hold no card that is
// not archived; see appcredential.RenewalCandidates.
func (s *CardStore) UsersWithoutCard(ctx context.Context, clientExtID string) ([]string, error) {
	var rows []struct {
		ExtID string `bun:"ext_id"`
		State string `bun:"state"`
	}
	err := s.db.NewRaw(`SELECT h.ext_id, h.state FROM holders AS h
		WHERE h.client_ext_id = ? AND NOT EXISTS (
			SELECT 1 FROM otp_cards AS c WHERE c.user_ext_id = h.ext_id AND c.client_ext_id = h.client_ext_id AND c.state <> 'archived')
		ORDER BY h.ext_id`, clientExtID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("users without card: %w", translate(err))
	}
	users := make([]string, 0, len(rows))
	for _, r := range rows {
		if credential.HolderOf(r.State).CanReceiveCards() == nil {
			users = append(users, r.ExtID)
		}
	}
	return users, nil
}

// candidatesPage is how many cards one look-up of CandidatesForRenewal reads.
const candidatesPage = 1000

// candidatesSQL reads a page of the client's initial or active cards without a successor, each
// with its policy and its holder's state, in the order of (user, card) after the given pair;
// ? 3 narrows to a policy when not empty.
const candidatesSQL = `SELECT ` + userCardColumns + `
	FROM otp_cards AS c
	JOIN policies AS p ON p.ext_id = c.policy_ext_id
	JOIN holders AS h ON h.ext_id = c.user_ext_id
	WHERE c.client_ext_id = ? AND c.state IN ('initial', 'active') AND c.successor_ext_id IS NULL
	  AND (? = '' OR c.policy_ext_id = ?) AND (c.user_ext_id, c.ext_id) > (?, ?)
	ORDER BY c.user_ext_id, c.ext_id
	LIMIT ?`

// CandidatesForRenewal streams the cards a renewal selection judges, a page at a time; see
// appcredential.RenewalCandidates.
func (s *CardStore) CandidatesForRenewal(ctx context.Context, clientExtID, policyExtID string, fn func(appcredential.UserCard) error) error {
	afterUser, afterCard := "", ""
	for {
		var rows []userCardRow
		err := s.db.NewRaw(candidatesSQL, clientExtID, policyExtID, policyExtID, afterUser, afterCard, candidatesPage).Scan(ctx, &rows)
		if err != nil {
			return fmt.Errorf("renewal candidates: %w", translate(err))
		}
		for _, r := range rows {
			afterUser, afterCard = r.UserExtID, r.ExtID
			if credential.HolderOf(r.HolderState).CanAuthenticate() != nil {
				continue
			}
			policy, err := r.Policy.policy()
			if err != nil {
				return err
			}
			card, err := r.card()
			if err != nil {
				return err
			}
			if err := fn(appcredential.UserCard{Card: card, Policy: policy}); err != nil {
				return err
			}
		}
		if len(rows) < candidatesPage {
			return nil
		}
	}
}

var _ appcredential.ImportPolicies = (*CardStore)(nil)

// PolicyOfClient returns the client's policy, or its default; see appcredential.ImportPolicies.
// Every client has a default policy, so a client without policies is no client.
func (s *CardStore) PolicyOfClient(ctx context.Context, clientExtID, policyExtID string) (credential.Policy, error) {
	p, err := s.clientPolicy(ctx, clientExtID, policyExtID)
	if err != nil {
		if errors.Is(err, credential.ErrUnknownPolicy) {
			exists, existsErr := s.db.NewSelect().Model((*policyRow)(nil)).Where("client_ext_id = ?", clientExtID).Exists(ctx)
			if existsErr != nil {
				return credential.Policy{}, translate(existsErr)
			}
			if !exists {
				return credential.Policy{}, &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
			}
		}
		return credential.Policy{}, err
	}
	return p, nil
}

// ClientExists answers from the client's policies: every client has its default policy; see
// appcredential.RenewalCandidates.
func (s *CardStore) ClientExists(ctx context.Context, clientExtID string) error {
	exists, err := s.db.NewSelect().Model((*policyRow)(nil)).Where("client_ext_id = ?", clientExtID).Exists(ctx)
	switch {
	case err != nil:
		return translate(err)
	case !exists:
		return &fault.NotFoundError{Entity: "client", ExtID: clientExtID}
	}
	return nil
}
