package rollout

import (
	"strconv"
	"time"

	"github.com/otpcard/otpcard/domain/event"
)

// The events of rollout jobs (API.md section 7): created, and finished with data.status
// succeeded, failed or cancelled; their items' cards record their own events (with data.jobId).
const (
	JobCreated  event.Type = "rollout-job.created"
	JobFinished event.Type = "rollout-job.finished"
)

// EventTypes lists the event types the rollout module records.
func EventTypes() []event.Type { return []event.Type{JobCreated, JobFinished} }

// JobEvent records a change of job j at time at by the actor of meta.
func JobEvent(t event.Type, j Job, meta event.Meta, at time.Time) event.Event {
	data := map[string]string{"jobId": j.ID, "kind": string(j.Kind), "status": string(j.Status),
		"total": strconv.Itoa(j.Total), "done": strconv.Itoa(j.Done), "failed": strconv.Itoa(j.Failed)}
	if j.PrintBatchID != "" {
		data["printBatchId"] = j.PrintBatchID
	}
	if j.PolicyExtID != "" {
		data["policyExtId"] = j.PolicyExtID
	}
	return event.Event{Type: t, Time: at, Actor: meta.Actor, ClientExtID: j.ClientExtID, RequestID: meta.RequestID, Data: data}
}
