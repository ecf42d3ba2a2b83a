package printing

import (
	"context"

	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

// This file is the printing module's side of its seam with the rollout module
// (approllout.Printing): a job's print batch, and its chunks of cards issued into it. It is the
// only file of the module that knows rollout jobs.

// RolloutPrinting gives rollout jobs their batches and cards.
type RolloutPrinting struct {
	cards   *CardPrinting
	printer *Printer
}

var _ approllout.Printing = (*RolloutPrinting)(nil)

// NewRolloutPrinting builds the seam.
func NewRolloutPrinting(cards *CardPrinting, printer *Printer) *RolloutPrinting {
	return &RolloutPrinting{cards: cards, printer: printer}
}

// OpenBatch opens the job's batch.
func (r *RolloutPrinting) OpenBatch(ctx context.Context, clientExtID, jobID string, meta event.Meta) (string, error) {
	b, err := r.printer.OpenBatch(ctx, clientExtID, jobID, meta)
	return b.ID, err
}

// SealBatch seals the job's batch.
func (r *RolloutPrinting) SealBatch(ctx context.Context, batchID string, meta event.Meta) error {
	_, err := r.printer.SealBatch(ctx, batchID, meta)
	return err
}

// IssueChunk issues or renews the items' cards into the batch.
func (r *RolloutPrinting) IssueChunk(ctx context.Context, batchID string, run approllout.ChunkRun, items []rollout.Item,
	within func(ctx context.Context, tried []rollout.Item, fatal bool) error) error {
	job := run.Job
	orders := make([]Order, len(items))
	for i, it := range items {
		o := Order{ClientExtID: job.ClientExtID, UserExtID: it.UserExtID}
		switch job.Kind {
		case rollout.KindRenew:
			o.RenewExtID, o.RenewCurrent = it.TargetExtID, it.TargetExtID == ""
		default:
			o.PolicyExtID, o.FirstCardOnly = job.PolicyExtID, true
		}
		orders[i] = o
	}
	printRun := PrintRun{Meta: job.Meta(), Data: map[string]string{"jobId": job.ID}, Comment: job.Comment}
	return r.cards.IssueAndPrint(ctx, batchID, printRun, orders, func(ctx context.Context, outcomes []OrderOutcome) error {
		tried := make([]rollout.Item, len(items))
		fatal := false
		for i, o := range outcomes {
			it := items[i]
			it.CredentialExtID, it.SerialNumber = o.CredentialExtID, o.Serial
			switch {
			case o.Err == nil && job.Kind == rollout.KindRenew:
				it.Result = rollout.ResultRenewed
			case o.Err == nil:
				it.Result = rollout.ResultIssued
			case o.Held:
				it.Result, it.ErrorCode = rollout.ResultSkipped, codeOf(o.Err)
			default:
				it.Result, it.ErrorCode = rollout.ResultFailed, codeOf(o.Err)
				fatal = fatal || o.Fatal
			}
			if it.TargetExtID == "" && job.Kind == rollout.KindRenew {
				it.TargetExtID = o.RenewExtID
			}
			tried[i] = it
		}
		return within(ctx, tried, fatal)
	})
}

// codeOf is the errors.* code of an item's error; an error of no known kind is a failure of the
// service (errors.internal), which the item records rather than the job stopping.
func codeOf(err error) string {
	if f, ok := fault.Of(err); ok {
		return f.Code()
	}
	return "errors.internal"
}
