package credential

import (
	"time"

	"go.opentelemetry.io/otel/trace"
)

// UseCases are the credential module's use cases (OTP cards and their policies): the one value
// of the module that bootstrap provides and the HTTP adapter takes whole. Every use case has one
// call shape, Do(ctx, command).
type UseCases struct {
	CreateOTPCard      *CreateOTPCard
	GetOTPCard         *GetOTPCard
	ListOTPCards       *ListOTPCards
	FindOTPCard        *FindOTPCardBySerial
	ChangeOTPCardState *ChangeOTPCardState
	ReplaceOTPCard     *ReplaceOTPCard
	DeleteOTPCard      *DeleteOTPCard
	IssueChallenge     *IssueChallenge
	Login              *Login
	CreatePolicy       *CreatePolicy
	GetPolicy          *GetPolicy
	ListPolicies       *ListPolicies
	ModifyPolicy       *ModifyPolicy
	DeletePolicy       *DeletePolicy
}

// CardStore is every card port of the module's use cases: what a store of cards implements.
type CardStore interface {
	CardReader
	CardCreator
	CardUpdater
	CardDeleter
	CardPolicies
	UserPolicies
	UserCardUpdater
}

// Deps are what the credential module's use cases need.
type Deps struct {
	Cards    CardStore
	Policies PolicyStore
	Hasher   CellHasher
	Verifier CellVerifier
	Now      Clock
	Tracer   trace.Tracer
	// MaxAuthAge is how fresh a self-admin token must be to replace or delete a card.
	MaxAuthAge time.Duration
}

// New builds the credential module's use cases.
func New(d Deps) UseCases {
	return UseCases{
		CreateOTPCard:      NewCreateOTPCard(d.Cards, d.Cards, d.Hasher, d.Now, d.Tracer),
		GetOTPCard:         NewGetOTPCard(d.Cards, d.Now, d.Tracer),
		ListOTPCards:       NewListOTPCards(d.Cards, d.Now, d.Tracer),
		FindOTPCard:        &FindOTPCardBySerial{cards: d.Cards, now: d.Now, tracer: d.Tracer},
		ChangeOTPCardState: NewChangeOTPCardState(d.Cards, d.Now, d.Tracer),
		ReplaceOTPCard:     NewReplaceOTPCard(d.Cards, d.Cards, d.Hasher, d.Now, d.Tracer, d.MaxAuthAge),
		DeleteOTPCard:      NewDeleteOTPCard(d.Cards, d.Now, d.Tracer, d.MaxAuthAge),
		IssueChallenge:     NewIssueChallenge(d.Cards, d.Now, d.Tracer),
		Login:              NewLogin(d.Cards, d.Verifier, d.Now, d.Tracer),
		CreatePolicy:       &CreatePolicy{policies: d.Policies, now: d.Now, tracer: d.Tracer},
		GetPolicy:          &GetPolicy{policies: d.Policies, now: d.Now, tracer: d.Tracer},
		ListPolicies:       &ListPolicies{policies: d.Policies, now: d.Now, tracer: d.Tracer},
		ModifyPolicy:       &ModifyPolicy{policies: d.Policies, now: d.Now, tracer: d.Tracer},
		DeletePolicy:       &DeletePolicy{policies: d.Policies, now: d.Now, tracer: d.Tracer},
	}
}
