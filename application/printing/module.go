package printing

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/caller"
)

// UseCases are the printing module's use cases served over HTTP: the print batches (API.md
// section 11.2).
type UseCases struct {
	ListPrintBatches   *ListPrintBatches
	GetPrintBatch      *GetPrintBatch
	DownloadPrintBatch *DownloadPrintBatch
	DeletePrintBatch   *DeletePrintBatch
}

// New builds the batch use cases.
func New(batches Batches, senders Senders, now Clock, tracer trace.Tracer) UseCases {
	f := caller.Frame{Now: now, Tracer: tracer}
	return UseCases{
		ListPrintBatches:   &ListPrintBatches{batches: batches, senders: senders, frame: f},
		GetPrintBatch:      &GetPrintBatch{batches: batches, frame: f},
		DownloadPrintBatch: &DownloadPrintBatch{batches: batches, frame: f},
		DeletePrintBatch:   &DeletePrintBatch{batches: batches, frame: f},
	}
}

// NewPruneBatches builds the retention of batches.
func NewPruneBatches(batches Batches, now Clock) *PruneBatches {
	return &PruneBatches{batches: batches, now: now}
}
