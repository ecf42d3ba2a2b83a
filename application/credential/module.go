package credential

import (
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
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
	RenewOTPCard       *RenewOTPCard
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
	f := caller.Frame{Now: d.Now, Tracer: d.Tracer}
	return UseCases{
		CreateOTPCard:      &CreateOTPCard{policies: d.Cards, cards: d.Cards, hasher: d.Hasher, frame: f},
		GetOTPCard:         &GetOTPCard{cards: d.Cards, frame: f},
		ListOTPCards:       &ListOTPCards{cards: d.Cards, frame: f},
		FindOTPCard:        &FindOTPCardBySerial{cards: d.Cards, frame: f},
		ChangeOTPCardState: &ChangeOTPCardState{cards: d.Cards, frame: f},
		ReplaceOTPCard:     &ReplaceOTPCard{policies: d.Cards, cards: d.Cards, hasher: d.Hasher, frame: f, maxAuthAge: d.MaxAuthAge},
		RenewOTPCard:       &RenewOTPCard{policies: d.Cards, cards: d.Cards, hasher: d.Hasher, frame: f, maxAuthAge: d.MaxAuthAge},
		DeleteOTPCard:      &DeleteOTPCard{cards: d.Cards, frame: f, maxAuthAge: d.MaxAuthAge},
		IssueChallenge:     &IssueChallenge{cards: d.Cards, frame: f},
		Login:              &Login{cards: d.Cards, verifier: d.Verifier, frame: f},
		CreatePolicy:       &CreatePolicy{policies: d.Policies, frame: f},
		GetPolicy:          &GetPolicy{policies: d.Policies, frame: f},
		ListPolicies:       &ListPolicies{policies: d.Policies, frame: f},
		ModifyPolicy:       &ModifyPolicy{policies: d.Policies, frame: f},
		DeletePolicy:       &DeletePolicy{policies: d.Policies, frame: f},
	}
}
