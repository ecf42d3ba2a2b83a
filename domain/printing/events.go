package printing

import (
	"strconv"
	"time"

	"github.com/otpcard/otpcard/domain/event"
)

// The events of print batches (API.md section 7): created when a job or a lifecycle run opens
// one, downloaded and deleted (by a caller, or by retention as the actor system). Each names the
// batch in data.printBatchId.
const (
	BatchCreated    event.Type = "print-batch.created"
	BatchDownloaded event.Type = "print-batch.downloaded"
	BatchDeleted    event.Type = "print-batch.deleted"
)

// EventTypes lists the event types the printing module records.
func EventTypes() []event.Type {
	return []event.Type{BatchCreated, BatchDownloaded, BatchDeleted}
}

// BatchEvent records a change of batch b at time at: data names the batch, its job and how many
// letters and chunks it holds.
func BatchEvent(t event.Type, b Batch, meta event.Meta, at time.Time) event.Event {
	data := map[string]string{"printBatchId": b.ID, "letters": strconv.Itoa(b.Letters), "chunks": strconv.Itoa(b.Chunks)}
	if b.JobID != "" {
		data["jobId"] = b.JobID
	}
	return event.Event{Type: t, Time: at, Actor: meta.Actor, ClientExtID: b.ClientExtID, RequestID: meta.RequestID, Data: data}
}
