// Package rollout holds the rules of rollout jobs (API.md section 11.1): bulk work on many users'
// cards, stored before it runs, run in the background chunk by chunk, each item tried once.
package rollout

import (
	"fmt"
	"time"

	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// Kind is what a job does to each of its items.
type Kind string

// The kinds of job.
const (
	KindIssue  Kind = "issue"
	KindRenew  Kind = "renew"
	KindImport Kind = "import"
)

// Status is where a job stands.
type Status string

// The statuses of a job: queued until an instance takes it, running, then one of the three ends.
// An import is staging while its file streams: no caller sees it and no runner takes it until
// the last row is staged.
const (
	StatusStaging   Status = "staging"
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusFailed    Status = "failed"
	StatusCancelled Status = "cancelled"
)

// Ended reports whether the job has stopped for good.
func (s Status) Ended() bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCancelled
}

// ErrEnded: the job has ended and cannot be cancelled.
var ErrEnded = fault.New(fault.Refused, "errors.modifyReadonlyData", "the rollout job has ended")

// Job is a rollout job. Jobs change only by running and by cancel, so they carry no version.
type Job struct {
	ID, ClientExtID string
	Kind            Kind
	Status          Status
	// Total counts the items; Done those tried (whatever their result), Failed those that failed.
	Total, Done, Failed int
	PrintBatchID        string
	// PolicyExtID is the policy new cards are issued under (empty: the client's default).
	PolicyExtID string
	// Comment is the modificationComment of the cards the job issues or renews.
	Comment string
	// CreatedBy is the actor of every event of the job's items.
	CreatedBy                  event.Actor
	Created, Started, Finished time.Time
}

// Start marks the job running when an instance first takes it.
func (j *Job) Start(now time.Time) {
	if j.Status == StatusQueued {
		j.Status, j.Started = StatusRunning, now
	}
}

// Record counts a chunk of tried items.
func (j *Job) Record(done, failed int) { j.Done, j.Failed = j.Done+done, j.Failed+failed }

// Finish ends a job whose items were all tried: it succeeded, even when items failed.
func (j *Job) Finish(now time.Time) { j.end(StatusSucceeded, now) }

// Fail ends a job that cannot go on at all (its policy was deleted).
func (j *Job) Fail(now time.Time) { j.end(StatusFailed, now) }

// Cancel ends a job before its items are all tried; the chunk being worked on when it is
// cancelled does not commit. A job that has ended is ErrEnded.
func (j *Job) Cancel(now time.Time) error {
	if j.Status.Ended() {
		return fmt.Errorf("job %s is %s: %w", j.ID, j.Status, ErrEnded)
	}
	j.end(StatusCancelled, now)
	return nil
}

func (j *Job) end(s Status, now time.Time) {
	if j.Started.IsZero() {
		j.Started = now
	}
	j.Status, j.Finished = s, now
}

// Meta is the event meta of the job's items: its creator, and the job as the request.
func (j Job) Meta() event.Meta {
	return event.Meta{Actor: j.CreatedBy, RequestID: "rollout-job:" + j.ID}
}

// ValidateJobID refuses an id that is not a job id (a UUID in its canonical lower-case form)
// with fault.ErrInvalid, before any look-up.
func ValidateJobID(id string) error {
	if len(id) != 36 {
		return fmt.Errorf("%w: a rollout job id is a UUID", fault.ErrInvalid)
	}
	for i, c := range id {
		hyphen := i == 8 || i == 13 || i == 18 || i == 23
		if hyphen != (c == '-') || (!hyphen && (c < '0' || c > '9') && (c < 'a' || c > 'f')) {
			return fmt.Errorf("%w: a rollout job id is a UUID in lower case", fault.ErrInvalid)
		}
	}
	return nil
}
