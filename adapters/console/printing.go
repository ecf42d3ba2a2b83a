package console

import (
	"context"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	appprinting "github.com/otpcard/otpcard/application/printing"
)

// batchLine is a print batch as the batches page shows it: never its content.
type batchLine struct {
	ID, Job, Created, Expires string
	Letters, Chunks           int
	Sealed                    bool
}

// batchesOf lists the client's print batches, newest first, at most 100 (right RolloutView).
func batchesOf(ctx context.Context, uc *appprinting.ListPrintBatches, c caller.Caller, client string) ([]batchLine, error) {
	res, err := uc.Do(ctx, appprinting.ListBatchesQuery{Caller: c, ClientExtID: client, Page: listing.Page{Limit: 100}})
	if err != nil {
		return nil, err
	}
	lines := make([]batchLine, 0, len(res.Items))
	for i := len(res.Items) - 1; i >= 0; i-- {
		b := res.Items[i]
		lines = append(lines, batchLine{ID: b.ID, Job: b.JobID, Created: stamp(b.Created), Expires: stamp(b.Expires),
			Letters: b.Letters, Chunks: b.Chunks, Sealed: b.Sealed})
	}
	return lines, nil
}
