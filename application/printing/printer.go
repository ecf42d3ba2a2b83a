package printing

import (
	"context"
	"fmt"
	"time"

	"github.com/otpcard/otpcard/domain/extid"

	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
)

// Printer makes print batches: it opens a batch for a client, adds chunks of letters inside the
// transaction that saves their cards, and seals it. The cells it is given live in memory only
// until the chunk is encrypted; nothing of them is written in clear.
type Printer struct {
	batches    Batches
	senders    Senders
	addressees Addressees
	renderer   Renderer
	encrypter  Encrypter
	now        Clock
	retention  time.Duration
}

// PrinterDeps are what the printer needs; Retention is how long a batch is kept.
type PrinterDeps struct {
	Batches    Batches
	Senders    Senders
	Addressees Addressees
	Renderer   Renderer
	Encrypter  Encrypter
	Now        Clock
	Retention  time.Duration
}

// NewPrinter builds the printer.
func NewPrinter(d PrinterDeps) *Printer {
	return &Printer{batches: d.Batches, senders: d.Senders, addressees: d.Addressees, renderer: d.Renderer,
		encrypter: d.Encrypter, now: d.Now, retention: d.Retention}
}

// OpenBatch starts an empty batch of the client's, for job jobID (empty: the lifecycle job), to
// the client's print recipients now, and records print-batch.created. Errors:
// *fault.NotFoundError (no such client), printing.ErrNoRecipients.
func (p *Printer) OpenBatch(ctx context.Context, clientExtID, jobID string, meta event.Meta) (printing.Batch, error) {
	sender, err := p.senders.Sender(ctx, clientExtID)
	if err != nil {
		return printing.Batch{}, err
	}
	now := p.now()
	b, err := printing.OpenBatch(extid.New(), clientExtID, jobID, sender.Recipients, now, p.retention)
	if err != nil {
		return printing.Batch{}, err
	}
	return b, p.batches.CreateBatch(ctx, b, []event.Event{printing.BatchEvent(printing.BatchCreated, b, meta, now)})
}

// PrintChunk adds the letters of cards to the batch as its next chunk: rendered, encrypted to the
// batch's recipients and stored, in the transaction ctx carries, so that the chunk commits with
// its cards or not at all. A card whose user is gone is an error: its card cannot be gone too in
// the same transaction. Errors: printing.ErrSealed, *fault.NotFoundError, the renderer's.
func (p *Printer) PrintChunk(ctx context.Context, batchID string, cards []printing.Card) error {
	if len(cards) == 0 {
		return nil
	}
	return p.batches.UpdateBatch(ctx, batchID, func(ctx context.Context, b *printing.Batch) ([]event.Event, error) {
		n, first, err := b.AddChunk(len(cards))
		if err != nil {
			return nil, err
		}
		letters, err := p.compose(ctx, *b, cards, first)
		if err != nil {
			return nil, err
		}
		pdf, err := p.renderer.RenderLetters(letters, p.now())
		if err != nil { // the same letters fail the same way next time
			return nil, fmt.Errorf("%w: print batch %s chunk %d: %v", fault.ErrInvalid, b.ID, n, err)
		}
		sealedPDF, err := p.encrypter.Encrypt(b.Recipients, pdf)
		clear(pdf) // the letters in clear are not kept a moment longer than needed
		if err != nil {
			return nil, fmt.Errorf("print batch %s chunk %d: %w", b.ID, n, err)
		}
		manifest, err := p.encrypter.Encrypt(b.Recipients, printing.Manifest(letters))
		if err != nil {
			return nil, fmt.Errorf("print batch %s chunk %d: %w", b.ID, n, err)
		}
		return nil, p.batches.SaveChunk(ctx, b.ID, n, sealedPDF, manifest)
	})
}

// compose writes the chunk's letters from the client's sender and the users' addressees.
func (p *Printer) compose(ctx context.Context, b printing.Batch, cards []printing.Card, first int) ([]printing.Letter, error) {
	sender, err := p.senders.Sender(ctx, b.ClientExtID)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(cards))
	for i, c := range cards {
		ids[i] = c.UserExtID
	}
	to, err := p.addressees.Addressees(ctx, b.ClientExtID, ids)
	if err != nil {
		return nil, err
	}
	letters := make([]printing.Letter, len(cards))
	for i, c := range cards {
		a, ok := to[c.UserExtID]
		if !ok {
			return nil, &fault.NotFoundError{Entity: "user", ExtID: c.UserExtID}
		}
		letters[i] = printing.Compose(sender, a, c, first+i)
	}
	return letters, nil
}

// Checker returns the check of one card's letter for the client's batches: composed from the
// sender and the card's addressee as PrintChunk would, and refused when it cannot be printed
// (an unknown addressee is *fault.NotFoundError, an unprintable one fault.ErrInvalid), so that
// the card is not issued without a letter. The sender is read once.
func (p *Printer) Checker(ctx context.Context, clientExtID string) (func(ctx context.Context, c printing.Card) error, error) {
	sender, err := p.senders.Sender(ctx, clientExtID)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, c printing.Card) error {
		to, err := p.addressees.Addressees(ctx, clientExtID, []string{c.UserExtID})
		if err != nil {
			return err
		}
		a, ok := to[c.UserExtID]
		if !ok {
			return &fault.NotFoundError{Entity: "user", ExtID: c.UserExtID}
		}
		if err := p.renderer.CheckLetter(printing.Compose(sender, a, c, 1)); err != nil {
			return fmt.Errorf("%w: the letter cannot be printed: %v", fault.ErrInvalid, err)
		}
		return nil
	}, nil
}

// SealBatch seals the batch, so that it can be downloaded, and keeps it for retention from now;
// a batch sealed already is left as it is. The job that sealed it records that (rollout-job.finished).
func (p *Printer) SealBatch(ctx context.Context, batchID string, meta event.Meta) (printing.Batch, error) {
	var sealed printing.Batch
	err := p.batches.UpdateBatch(ctx, batchID, func(_ context.Context, b *printing.Batch) ([]event.Event, error) {
		b.Seal(p.now(), p.retention)
		sealed = *b
		return nil, nil
	})
	return sealed, err
}

// SealLeftovers seals the lifecycle job's batches that a run left open (it stopped between two
// chunks of a client): their cards are renewed, so their letters must reach the print shop.
func (p *Printer) SealLeftovers(ctx context.Context, meta event.Meta) error {
	open, err := p.batches.OpenLifecycleBatches(ctx)
	if err != nil {
		return err
	}
	for _, id := range open {
		if _, err := p.SealBatch(ctx, id, meta); err != nil {
			return err
		}
	}
	return nil
}
