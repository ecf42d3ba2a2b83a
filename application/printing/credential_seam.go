package printing

import (
	"context"
	"errors"
	"sync"

	"github.com/otpcard/otpcard/application/caller"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
)

// This file is the printing module's side of its seam with the credential module: it gives the
// lifecycle job's automatic renewals (appcredential.AutomaticRenewals) their print batches, and it
// turns the credential module's new cards into the cards of letters. It is the only file of the
// module that knows the credential module.

// AutomaticRenewals renews the cards the lifecycle job takes, a chunk at a time, each chunk's
// successors and their encrypted letters in one transaction, into one batch per client and run.
type AutomaticRenewals struct {
	issue   *appcredential.IssueForPrint
	printer *Printer
	senders Senders

	mu    sync.Mutex
	taken map[string][]appcredential.CardKey // by client, in the order taken
	order []string                           // clients in the order first taken
	// printable tells, per client, whether it has print recipients: read once a run.
	printable map[string]bool
}

var _ appcredential.AutomaticRenewals = (*AutomaticRenewals)(nil)

// NewAutomaticRenewals builds the seam.
func NewAutomaticRenewals(issue *appcredential.IssueForPrint, printer *Printer, senders Senders) *AutomaticRenewals {
	return &AutomaticRenewals{issue: issue, printer: printer, senders: senders, taken: map[string][]appcredential.CardKey{},
		printable: map[string]bool{}}
}

// Renew takes the card when its client has print recipients.
func (a *AutomaticRenewals) Renew(ctx context.Context, key appcredential.CardKey) (bool, error) {
	a.mu.Lock()
	printable, known := a.printable[key.ClientExtID]
	a.mu.Unlock()
	if !known {
		sender, err := a.senders.Sender(ctx, key.ClientExtID)
		if err != nil && !fault.Is(err, fault.NotFound) {
			return false, err
		}
		printable = err == nil && len(sender.Recipients) > 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.printable[key.ClientExtID] = printable
	if !printable {
		return false, nil
	}
	if _, seen := a.taken[key.ClientExtID]; !seen {
		a.order = append(a.order, key.ClientExtID)
	}
	a.taken[key.ClientExtID] = append(a.taken[key.ClientExtID], key)
	return true, nil
}

// renewalChunk is how many renewals one chunk holds: their users' logins wait for the chunk's
// commit, letters rendered and encrypted, so chunks stay small (at most printing.MaxChunkLetters).
const renewalChunk = 100

// Finish renews what was taken, client by client, in chunks of renewalChunk. A
// client's batch is opened with its first chunk that renewed a card and sealed with its last
// chunk, in those chunks' transactions; a failed chunk seals what the ones before it committed,
// and a batch left open by a crash between two chunks is sealed by the next run, first.
func (a *AutomaticRenewals) Finish(ctx context.Context) (int, error) {
	a.mu.Lock()
	taken, order := a.taken, a.order
	a.taken, a.order, a.printable = map[string][]appcredential.CardKey{}, nil, map[string]bool{}
	a.mu.Unlock()
	renewed := 0
	var errs []error
	if err := a.printer.SealLeftovers(ctx, caller.System().Meta()); err != nil {
		errs = append(errs, err)
	}
	for _, client := range order {
		n, err := a.renewClient(ctx, client, taken[client])
		renewed += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return renewed, errors.Join(errs...)
}

func (a *AutomaticRenewals) renewClient(ctx context.Context, client string, keys []appcredential.CardKey) (int, error) {
	meta := caller.System().Meta()
	batch := ""
	renewed := 0
	checkCard, err := a.printer.Checker(ctx, client)
	if err != nil {
		return 0, err
	}
	check := func(ctx context.Context, i appcredential.Issued) error { return checkCard(ctx, PrintedCard(i)) }
	for start := 0; start < len(keys); start += renewalChunk {
		chunk := keys[start:min(start+renewalChunk, len(keys))]
		last := start+len(chunk) == len(keys)
		orders := make([]appcredential.CardOrder, len(chunk))
		for i, k := range chunk {
			orders[i] = appcredential.CardOrder{ClientExtID: k.ClientExtID, UserExtID: k.UserExtID, RenewExtID: k.ExtID}
		}
		opened, n := batch, 0
		err := a.issue.DoChecked(ctx, appcredential.PrintRun{Meta: meta}, orders, check, func(ctx context.Context, outcomes []appcredential.PrintOutcome) error {
			cards, err := printedCards(outcomes, skipRaced)
			if err != nil {
				return err
			}
			if opened == "" && len(cards) > 0 {
				b, err := a.printer.OpenBatch(ctx, client, "", meta)
				if err != nil {
					return err
				}
				opened = b.ID
			}
			if err := a.printer.PrintChunk(ctx, opened, cards); err != nil {
				return err
			}
			if last && opened != "" {
				if _, err := a.printer.SealBatch(ctx, opened, meta); err != nil {
					return err
				}
			}
			n = len(cards)
			return nil
		})
		if err != nil {
			if batch != "" { // the chunks before committed their cards: their letters must go out
				_, sealErr := a.printer.SealBatch(ctx, batch, meta)
				err = errors.Join(err, sealErr)
			}
			return renewed, err
		}
		batch, renewed = opened, renewed+n
	}
	return renewed, nil
}

// skipRaced leaves out a card that was renewed, retired or deleted since the job took it, whose
// user may no longer receive cards, or whose letter cannot be printed (the user's address): the
// lifecycle job's next run judges them again.
func skipRaced(err error) bool {
	return errors.Is(err, credential.ErrForbiddenTransition) || errors.Is(err, credential.ErrArchived) ||
		errors.Is(err, credential.ErrTooManyCards) || fault.Is(err, fault.NotFound) || fault.Is(err, fault.Forbidden) ||
		fault.Is(err, fault.Invalid)
}

// printedCards are the cards of the outcomes that issued one, as their letters print them; an
// outcome that failed for a reason skip does not accept fails the chunk.
func printedCards(outcomes []appcredential.PrintOutcome, skip func(error) bool) ([]printing.Card, error) {
	var cards []printing.Card
	for _, o := range outcomes {
		if o.Err != nil {
			if skip(o.Err) {
				continue
			}
			return nil, o.Err
		}
		cards = append(cards, PrintedCard(o.Issued))
	}
	return cards, nil
}

// PrintedCard is the card of a letter: a new card with its cells in clear.
func PrintedCard(i appcredential.Issued) printing.Card {
	s := i.Card.Snapshot()
	l := s.Grid.Layout()
	return printing.Card{UserExtID: s.UserExtID, CredentialExtID: s.ExtID, Serial: string(s.Serial), ValidTo: s.ValidTo,
		Rows: l.Rows, Cols: l.Cols, CellLength: l.CellLength, Charset: string(l.Charset), Coordinate: l.Coordinate, Cells: i.Clear, ChallengeSize: i.ChallengeSize}
}

// Order asks for a card whose cells go to a print batch: a new card for the user (under
// PolicyExtID; with FirstCardOnly only when the user holds none), or the successor of card
// RenewExtID, or of the card a challenge would ask (RenewCurrent).
type Order struct {
	ClientExtID, UserExtID  string
	PolicyExtID, RenewExtID string
	RenewCurrent            bool
	FirstCardOnly           bool
}

// OrderOutcome is what became of an order, without its cells: the card's extId and serial, or
// the error that refused it. Fatal marks an error no other order of the run can escape (the
// policy is gone). Held marks a first card refused because the user holds one.
type OrderOutcome struct {
	Order
	CredentialExtID, Serial string
	Err                     error
	Fatal, Held             bool
}

// PrintRun names who issues and what the events carry.
type PrintRun struct {
	Meta    event.Meta
	Data    map[string]string
	Comment string
}

// CardPrinting issues and renews cards into print batches, through the credential module's bulk
// use case: a chunk's cards, what the caller records about them, and their encrypted letters
// commit in one transaction.
type CardPrinting struct {
	issue   *appcredential.IssueForPrint
	printer *Printer
}

// NewCardPrinting builds it.
func NewCardPrinting(issue *appcredential.IssueForPrint, printer *Printer) *CardPrinting {
	return &CardPrinting{issue: issue, printer: printer}
}

// checker checks each new card's letter (Printer.Checker) for the client of the orders.
func (p *CardPrinting) checker(ctx context.Context, orders []Order) (func(context.Context, appcredential.Issued) error, error) {
	if len(orders) == 0 {
		return nil, nil
	}
	check, err := p.printer.Checker(ctx, orders[0].ClientExtID)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, i appcredential.Issued) error { return check(ctx, PrintedCard(i)) }, nil
}

// IssueAndPrint issues the orders (hashing first, then each under a savepoint of one
// transaction), calls within with their outcomes inside that transaction, then prints the cards
// issued as the batch's next chunk; nothing commits when within or the printing fails.
func (p *CardPrinting) IssueAndPrint(ctx context.Context, batchID string, run PrintRun, orders []Order,
	within func(ctx context.Context, outcomes []OrderOutcome) error) error {
	cardOrders := make([]appcredential.CardOrder, len(orders))
	for i, o := range orders {
		cardOrders[i] = appcredential.CardOrder{ClientExtID: o.ClientExtID, UserExtID: o.UserExtID, PolicyExtID: o.PolicyExtID,
			RenewExtID: o.RenewExtID, RenewCurrent: o.RenewCurrent, FirstCardOnly: o.FirstCardOnly}
	}
	printRun := appcredential.PrintRun{Meta: run.Meta, Data: run.Data, Comment: run.Comment}
	check, err := p.checker(ctx, orders)
	if err != nil {
		return err
	}
	return p.issue.DoChecked(ctx, printRun, cardOrders, check, func(ctx context.Context, outs []appcredential.PrintOutcome) error {
		outcomes := make([]OrderOutcome, len(outs))
		var cards []printing.Card
		for i, o := range outs {
			oc := OrderOutcome{Order: orders[i], Err: o.Err}
			oc.RenewExtID = o.Order.RenewExtID
			switch {
			case o.Err == nil:
				s := o.Issued.Card.Snapshot()
				oc.CredentialExtID, oc.Serial = s.ExtID, string(s.Serial)
				cards = append(cards, PrintedCard(o.Issued))
			case errors.Is(o.Err, credential.ErrUnknownPolicy):
				oc.Fatal = true
			case errors.Is(o.Err, appcredential.ErrHoldsCard):
				oc.Held = true
			}
			outcomes[i] = oc
		}
		if err := within(ctx, outcomes); err != nil {
			return err
		}
		return p.printer.PrintChunk(ctx, batchID, cards)
	})
}
