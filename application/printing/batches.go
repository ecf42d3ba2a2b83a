package printing

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
)

// BatchQuery names one batch of a client.
type BatchQuery struct {
	Caller      caller.Caller
	ClientExtID string
	ID          string
	// HeadOnly asks whether the content could be downloaded (HEAD), without downloading it: no
	// print-batch.downloaded is recorded.
	HeadOnly bool
}

// ListBatchesQuery asks for a page of a client's batches.
type ListBatchesQuery struct {
	Caller      caller.Caller
	ClientExtID string
	Page        listing.Page
}

// ListPrintBatches pages through a client's print batches (right RolloutView).
type ListPrintBatches struct {
	batches Batches
	senders Senders
	frame   caller.Frame
}

// Do returns one page, oldest first. Errors: access errors, *fault.NotFoundError (no such
// client).
func (uc *ListPrintBatches) Do(ctx context.Context, q ListBatchesQuery) (listing.Result[printing.Batch], error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.RolloutView}}
	return caller.Run(ctx, uc.frame, "ListPrintBatches", q.Caller, req, func(ctx context.Context) (listing.Result[printing.Batch], error) {
		if _, err := uc.senders.Sender(ctx, q.ClientExtID); err != nil {
			return listing.Result[printing.Batch]{}, fault.Wrap(err, "list print batches")
		}
		r, err := uc.batches.ListBatches(ctx, q.ClientExtID, q.Page)
		return r, fault.Wrap(err, "list print batches")
	})
}

// GetPrintBatch describes one batch (right RolloutView).
type GetPrintBatch struct {
	batches Batches
	frame   caller.Frame
}

// Do returns the batch. Errors: access errors, *fault.NotFoundError.
func (uc *GetPrintBatch) Do(ctx context.Context, q BatchQuery) (printing.Batch, error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.RolloutView}}
	return caller.Run(ctx, uc.frame, "GetPrintBatch", q.Caller, req, func(ctx context.Context) (printing.Batch, error) {
		if err := printing.ValidateBatchID(q.ID); err != nil {
			return printing.Batch{}, err
		}
		b, err := uc.batches.Batch(ctx, q.ClientExtID, q.ID)
		return b, fault.Wrap(err, "get print batch")
	})
}

// Content is a sealed batch ready to stream: Each calls fn with every chunk in order.
type Content struct {
	Batch printing.Batch
	Each  func(ctx context.Context, fn func(n int, letters, manifest []byte) error) error
}

// DownloadPrintBatch hands out a sealed batch's encrypted chunks (right PrintBatchDownload) and
// records print-batch.downloaded before the first byte leaves: whoever holds the recipients'
// identity can read what was downloaded, so the audit trail shows each download.
type DownloadPrintBatch struct {
	batches Batches
	frame   caller.Frame
}

// Do records the download and returns the content. Errors: access errors, *fault.NotFoundError
// (unknown, or not sealed yet).
func (uc *DownloadPrintBatch) Do(ctx context.Context, q BatchQuery) (Content, error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.PrintBatchDownload}}
	return caller.Run(ctx, uc.frame, "DownloadPrintBatch", q.Caller, req, func(ctx context.Context) (Content, error) {
		if err := printing.ValidateBatchID(q.ID); err != nil {
			return Content{}, err
		}
		if q.HeadOnly {
			b, err := uc.batches.Batch(ctx, q.ClientExtID, q.ID)
			if err == nil {
				err = b.Downloadable()
			}
			return Content{Batch: b}, fault.Wrap(err, "download print batch")
		}
		var got printing.Batch
		err := uc.batches.UpdateBatch(ctx, q.ID, func(_ context.Context, b *printing.Batch) ([]event.Event, error) {
			if b.ClientExtID != q.ClientExtID {
				return nil, &fault.NotFoundError{Entity: "print batch", ExtID: q.ID}
			}
			if err := b.Downloadable(); err != nil {
				return nil, err
			}
			got = *b
			return []event.Event{printing.BatchEvent(printing.BatchDownloaded, *b, q.Caller.Meta(), uc.frame.Now())}, nil
		})
		if err != nil {
			return Content{}, fault.Wrap(err, "download print batch")
		}
		return Content{Batch: got, Each: func(ctx context.Context, fn func(int, []byte, []byte) error) error {
			return uc.batches.Chunks(ctx, got.ID, got.Chunks, fn)
		}}, nil
	})
}

// DeletePrintBatch deletes a sealed batch (right PrintBatchDownload): a print shop that has
// printed it deletes it at once rather than wait for retention.
type DeletePrintBatch struct {
	batches Batches
	frame   caller.Frame
}

// Do deletes the batch and records print-batch.deleted. Errors: access errors,
// *fault.NotFoundError (unknown, or not sealed yet: its job still writes to it).
func (uc *DeletePrintBatch) Do(ctx context.Context, q BatchQuery) (printing.Batch, error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.PrintBatchDownload}}
	return caller.Run(ctx, uc.frame, "DeletePrintBatch", q.Caller, req, func(ctx context.Context) (printing.Batch, error) {
		if err := printing.ValidateBatchID(q.ID); err != nil {
			return printing.Batch{}, err
		}
		b, err := uc.batches.Batch(ctx, q.ClientExtID, q.ID)
		if err == nil {
			err = b.Downloadable()
		}
		if err == nil {
			ev := printing.BatchEvent(printing.BatchDeleted, b, q.Caller.Meta(), uc.frame.Now())
			err = uc.batches.DeleteBatch(ctx, q.ClientExtID, q.ID, []event.Event{ev})
		}
		return b, fault.Wrap(err, "delete print batch")
	})
}

// PruneBatches deletes the sealed batches whose retention has passed, as the actor system,
// recording print-batch.deleted with data.reason "retention" for each; it returns how many it
// deleted. A batch still growing is never pruned: its job writes to it.
type PruneBatches struct {
	batches Batches
	now     Clock
}

// Do prunes up to all expired batches, a page at a time.
func (uc *PruneBatches) Do(ctx context.Context) (int, error) {
	pruned := 0
	for {
		expired, err := uc.batches.ExpiredBatches(ctx, uc.now(), 100)
		if err != nil || len(expired) == 0 {
			return pruned, err
		}
		for _, b := range expired {
			ev := printing.BatchEvent(printing.BatchDeleted, b, caller.System().Meta(), uc.now())
			ev.Data["reason"] = "retention"
			err := uc.batches.DeleteBatch(ctx, b.ClientExtID, b.ID, []event.Event{ev})
			if err != nil && !fault.Is(err, fault.NotFound) {
				return pruned, err
			}
			pruned++
		}
	}
}
