package credential

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// Transactor groups the writes of several stores in one transaction.
type Transactor interface {
	// InTransaction runs fn in one transaction that ctx carries to every store it calls, and
	// commits when fn returns nil; fn's error rolls everything back and is returned unchanged.
	InTransaction(ctx context.Context, fn func(ctx context.Context) error) error
	// Savepoint runs fn inside the transaction ctx carries, under a savepoint: fn's error rolls
	// back only what fn wrote, and is returned unchanged.
	Savepoint(ctx context.Context, fn func(ctx context.Context) error) error
}

// CardOrder asks for a card that no caller receives: its cells go to a print batch (API.md
// sections 10.4 and 11). With RenewExtID set it renews that card of the user; otherwise it issues
// the user a new card under PolicyExtID (empty: the client's default policy).
type CardOrder struct {
	ClientExtID, UserExtID string
	PolicyExtID            string
	RenewExtID             string
	// RenewCurrent renews the card a challenge of the user would ask (RenewExtID is set to it
	// when the order is prepared).
	RenewCurrent bool
	// FirstCardOnly issues only to a user who holds no card that is not archived; a user who
	// holds one gets ErrHoldsCard.
	FirstCardOnly bool
	// Preset is a card printed elsewhere, hashed already (an import): it is issued as it is,
	// with no cells in clear.
	Preset *PresetCard
}

// PresetCard is an imported card: its grid of verifiers, and what its row said.
type PresetCard struct {
	Grid   credential.Grid
	ExtID  string
	Serial credential.Serial
	State  credential.State
	// ValidTo is when it expires; zero: after its policy's credentialLifetime.
	ValidTo time.Time
}

// ErrHoldsCard: an issue that gives only first cards met a user who holds one; the item is
// skipped, not failed.
var ErrHoldsCard = fault.New(fault.Refused, "errors.duplicateValue", "the user already holds an OTP card")

// PrintOutcome is what became of one order: the card with its cells in clear, or the error that
// refused it (nothing of that order was saved then).
type PrintOutcome struct {
	Order  CardOrder
	Issued Issued
	Err    error
}

// IssueForPrint issues and renews cards in bulk for print (a rollout job's chunk, the lifecycle
// job's automatic renewals): no caller, no authorization (the job was authorized when it was
// created), events recorded with the actor and data given.
type IssueForPrint struct {
	userPolicies UserPolicies
	cardPolicies CardPolicies
	creator      CardCreator
	cards        UserCardUpdater
	hasher       CellHasher
	tx           Transactor
	now          Clock
}

// NewIssueForPrint builds the bulk use case from the module's stores.
func NewIssueForPrint(d Deps, tx Transactor) *IssueForPrint {
	return &IssueForPrint{userPolicies: d.Cards, cardPolicies: d.Cards, creator: d.Cards, cards: d.Cards,
		hasher: d.Hasher, tx: tx, now: d.Now}
}

// PrintRun is who and what a bulk issue records in its events.
type PrintRun struct {
	Meta event.Meta
	// Data goes into every event of the run (data.jobId).
	Data map[string]string
	// Comment is the modificationComment of the cards renewed.
	Comment string
}

// Do generates and hashes the cards of every order first, outside any transaction (hashing costs
// milliseconds of CPU a card that must hold no lock). Then, in one transaction, it saves each
// order under a savepoint of its own, so that an order that fails (an unknown user, a user with
// two cards, a card renewed in the meantime) fails alone, and calls within with every outcome
// while the transaction is open: what within writes (the encrypted letters, the job's items)
// commits with the cards or not at all. An order refused before the transaction is an outcome
// with its error too. Do returns within's error, or the transaction's.
func (uc *IssueForPrint) Do(ctx context.Context, run PrintRun, orders []CardOrder, within func(ctx context.Context, outcomes []PrintOutcome) error) error {
	return uc.DoChecked(ctx, run, orders, nil, within)
}

// DoChecked is Do with a check of each new card inside its order's savepoint: a card that check
// refuses (its letter cannot be printed, say) is rolled back and its outcome has check's error.
func (uc *IssueForPrint) DoChecked(ctx context.Context, run PrintRun, orders []CardOrder, check func(ctx context.Context, issued Issued) error,
	within func(ctx context.Context, outcomes []PrintOutcome) error) error {
	outcomes := make([]PrintOutcome, len(orders))
	prepared := make([]preparedOrder, len(orders))
	for i, o := range orders {
		prepared[i], outcomes[i].Err = uc.prepare(ctx, &o)
		outcomes[i].Order = o
		if err := outcomes[i].Err; err != nil && !refusal(err) {
			return err // the database or the context failed: no order can be judged now
		}
	}
	defer func() { // the clear cells live until the chunk is encrypted, not longer
		for _, p := range prepared {
			clear(p.clear)
		}
	}()
	// Users are locked in the order of their extIds, whatever the order of the orders, so that
	// two chunks (two jobs, two instances) that share users never wait for each other in a circle.
	byUser := make([]int, len(orders))
	for i := range byUser {
		byUser[i] = i
	}
	slices.SortStableFunc(byUser, func(a, b int) int {
		return cmp.Or(cmp.Compare(orders[a].ClientExtID, orders[b].ClientExtID), cmp.Compare(orders[a].UserExtID, orders[b].UserExtID))
	})
	return uc.tx.InTransaction(ctx, func(ctx context.Context) error {
		for _, i := range byUser {
			if outcomes[i].Err != nil {
				continue
			}
			var issued Issued
			err := uc.tx.Savepoint(ctx, func(ctx context.Context) error {
				var err error
				if issued, err = uc.save(ctx, run, outcomes[i].Order, prepared[i]); err == nil && check != nil {
					err = check(ctx, issued)
				}
				return err
			})
			if err != nil && !refusal(err) {
				return err // a deadlock, a lost connection: the chunk is tried again whole, not its order failed
			}
			outcomes[i].Issued, outcomes[i].Err = issued, err
		}
		return within(ctx, outcomes)
	})
}

// refusal tells an order's own failure (a rule of the domain refused it: an unknown user, two
// cards, a taken serial) from a failure of the service (the database, the context), which says
// nothing about the order.
func refusal(err error) bool {
	f, ok := fault.Of(err)
	return ok && f.Kind() != fault.Unavailable
}

// preparedOrder is an order's card, generated and hashed.
type preparedOrder struct {
	policy credential.Policy
	grid   credential.Grid
	clear  []string
}

func (uc *IssueForPrint) prepare(ctx context.Context, o *CardOrder) (preparedOrder, error) {
	var policy credential.Policy
	var err error
	if o.RenewCurrent && o.RenewExtID == "" {
		if o.RenewExtID, err = uc.currentCard(ctx, o.ClientExtID, o.UserExtID); err != nil {
			return preparedOrder{}, err
		}
	}
	if o.RenewExtID != "" {
		var holder credential.Holder
		policy, holder, err = uc.cardPolicies.PolicyOfCard(ctx, CardKey{ClientExtID: o.ClientExtID, UserExtID: o.UserExtID, ExtID: o.RenewExtID})
		if err == nil {
			err = holder.CanReceiveCards()
		}
	} else {
		policy, err = uc.userPolicies.PolicyForUser(ctx, o.ClientExtID, o.UserExtID, o.PolicyExtID)
	}
	if err != nil {
		return preparedOrder{}, err
	}
	if o.Preset != nil {
		return preparedOrder{policy: policy, grid: o.Preset.Grid}, nil
	}
	grid, clear, err := newGrid(ctx, uc.hasher, policy.Parameters.Layout)
	return preparedOrder{policy: policy, grid: grid, clear: clear}, err
}

// currentCard is the card a challenge of the user would ask now, read under the cards' locks in a
// transaction that changes nothing.
func (uc *IssueForPrint) currentCard(ctx context.Context, clientExtID, userExtID string) (string, error) {
	var picked string
	err := uc.cards.UpdateUserCard(ctx, clientExtID, userExtID, func(u UserCards) (CardsChange, error) {
		c, err := pickCard(u.Cards, userExtID, true, uc.now())
		if err == nil {
			picked = c.Card.ExtID()
		}
		return CardsChange{}, err
	})
	return picked, err
}

// save issues or renews the order's card in the transaction ctx carries.
func (uc *IssueForPrint) save(ctx context.Context, run PrintRun, o CardOrder, p preparedOrder) (Issued, error) {
	issued := Issued{Clear: p.clear, ChallengeSize: p.policy.Parameters.ChallengeSize}
	if o.RenewExtID != "" {
		key := CardKey{ClientExtID: o.ClientExtID, UserExtID: o.UserExtID, ExtID: o.RenewExtID}
		err := uc.cards.RenewUserCard(ctx, o.ClientExtID, o.UserExtID, func(u UserCards) (CardsChange, error) {
			change, successor, err := renewal{key: key, policy: p.policy, grid: p.grid, comment: run.Comment, meta: run.Meta, data: run.Data}.apply(u, uc.now())
			issued.Card = successor
			return change, err
		})
		return issued, err
	}
	now := uc.now()
	n := credential.NewCard{ClientExtID: o.ClientExtID, UserExtID: o.UserExtID,
		PolicyExtID: p.policy.ExtID, State: credential.StateInitial, Lifetime: p.policy.Parameters.CredentialLifetime}
	if pre := o.Preset; pre != nil {
		n.ExtID, n.Serial, n.State = pre.ExtID, pre.Serial, pre.State
		if !pre.ValidTo.IsZero() {
			if !pre.ValidTo.After(now) {
				return Issued{}, fmt.Errorf("%w: validTo has passed", fault.ErrInvalid)
			}
			n.Lifetime = pre.ValidTo.Sub(now)
		}
	}
	card, err := credential.NewOTPCard(n, p.grid, now)
	if err != nil {
		return Issued{}, err
	}
	typ := credential.CardCreated
	if o.Preset != nil {
		typ = credential.CardImported
	}
	ev := cardEvent(typ, card, run.Meta)
	maps.Copy(ev.Data, run.Data)
	issued.Card = card
	return issued, uc.creator.Create(ctx, card, []event.Event{ev}, func(holder credential.Holder, held int) error {
		switch err := holder.CanReceiveCards(); {
		case err != nil:
			return err
		case o.FirstCardOnly && held > 0:
			return ErrHoldsCard
		case held >= MaxCardsPerUser:
			return fmt.Errorf("%w: user %s already holds %d OTP cards that are not archived", credential.ErrTooManyCards, o.UserExtID, held)
		}
		return nil
	})
}
