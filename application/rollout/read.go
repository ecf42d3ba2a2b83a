package rollout

import (
	"context"
	"fmt"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

// JobQuery names one job of a client.
type JobQuery struct {
	Caller      caller.Caller
	ClientExtID string
	ID          string
}

// GetJob reads a job (right RolloutView).
type GetJob struct {
	jobs  Jobs
	frame caller.Frame
}

// Do returns the job. Errors: access errors, fault.ErrInvalid (a malformed id),
// *fault.NotFoundError.
func (uc *GetJob) Do(ctx context.Context, q JobQuery) (rollout.Job, error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.RolloutView}}
	return caller.Run(ctx, uc.frame, "GetRolloutJob", q.Caller, req, func(ctx context.Context) (rollout.Job, error) {
		if err := rollout.ValidateJobID(q.ID); err != nil {
			return rollout.Job{}, err
		}
		j, err := uc.jobs.Job(ctx, q.ClientExtID, q.ID)
		return j, fault.Wrap(err, "get rollout job")
	})
}

// ListJobsQuery asks for a page of a client's jobs.
type ListJobsQuery struct {
	Caller      caller.Caller
	ClientExtID string
	Page        listing.Page
}

// ListJobs pages through a client's jobs (right RolloutView).
type ListJobs struct {
	jobs    Jobs
	targets Targets
	frame   caller.Frame
}

// Do returns one page, oldest first. Errors: access errors, *fault.NotFoundError (no such
// client).
func (uc *ListJobs) Do(ctx context.Context, q ListJobsQuery) (listing.Result[rollout.Job], error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.RolloutView}}
	return caller.Run(ctx, uc.frame, "ListRolloutJobs", q.Caller, req, func(ctx context.Context) (listing.Result[rollout.Job], error) {
		if err := uc.targets.CheckClient(ctx, q.ClientExtID, ""); err != nil {
			return listing.Result[rollout.Job]{}, fault.Wrap(err, "list rollout jobs")
		}
		r, err := uc.jobs.ListJobs(ctx, q.ClientExtID, q.Page)
		return r, fault.Wrap(err, "list rollout jobs")
	})
}

// ItemsQuery asks for a page of a job's items, optionally only those with one result. The
// continuation is the last item number seen.
type ItemsQuery struct {
	Caller      caller.Caller
	ClientExtID string
	JobID       string
	Result      rollout.Result
	After       int
	Limit       int
}

// ItemsPage is a page of items; Next is the number to continue after, 0 at the end.
type ItemsPage struct {
	Items []rollout.Item
	Next  int
	Limit int
}

// ListItems pages through a job's items (right RolloutView).
type ListItems struct {
	jobs  Jobs
	frame caller.Frame
}

// Do returns one page of items in their order. Errors: access errors, fault.ErrInvalid,
// *fault.NotFoundError (the job is not the client's).
func (uc *ListItems) Do(ctx context.Context, q ItemsQuery) (ItemsPage, error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.RolloutView}}
	return caller.Run(ctx, uc.frame, "ListRolloutJobItems", q.Caller, req, func(ctx context.Context) (ItemsPage, error) {
		if err := rollout.ValidateJobID(q.JobID); err != nil {
			return ItemsPage{}, err
		}
		if q.After < 0 {
			return ItemsPage{}, fmt.Errorf("%w: invalid continuation token", fault.ErrInvalid)
		}
		if _, err := uc.jobs.Job(ctx, q.ClientExtID, q.JobID); err != nil {
			return ItemsPage{}, fault.Wrap(err, "list rollout job items")
		}
		limit := max(q.Limit, 1)
		items, err := uc.jobs.Items(ctx, q.JobID, q.Result, q.After, limit+1)
		if err != nil {
			return ItemsPage{}, fault.Wrap(err, "list rollout job items")
		}
		page := ItemsPage{Items: items, Limit: limit}
		if len(items) > limit {
			page.Items = items[:limit]
			page.Next = items[limit-1].N
		}
		return page, nil
	})
}

// CancelJob cancels a job that has not ended (right RolloutCreate).
type CancelJob struct {
	jobs     Jobs
	printing Printing
	frame    caller.Frame
}

// Do ends the job as cancelled, seals its batch with what it holds and skips the items not
// tried, in one transaction under the job's lock: a chunk that a runner is working on does not
// commit after this. Errors: access errors, fault.ErrInvalid, *fault.NotFoundError,
// rollout.ErrEnded (422 errors.modifyReadonlyData).
func (uc *CancelJob) Do(ctx context.Context, q JobQuery) (rollout.Job, error) {
	req := access.Request{Client: q.ClientExtID, Rights: []access.Right{access.RolloutCreate}}
	return caller.Run(ctx, uc.frame, "CancelRolloutJob", q.Caller, req, func(ctx context.Context) (rollout.Job, error) {
		if err := rollout.ValidateJobID(q.ID); err != nil {
			return rollout.Job{}, err
		}
		var cancelled rollout.Job
		err := uc.jobs.UpdateJob(ctx, q.ID, func(ctx context.Context, j *rollout.Job) ([]event.Event, error) {
			if j.ClientExtID != q.ClientExtID {
				return nil, &fault.NotFoundError{Entity: "rollout job", ExtID: q.ID}
			}
			now := uc.frame.Now()
			if err := j.Cancel(now); err != nil {
				return nil, err
			}
			if err := uc.jobs.SkipPending(ctx, j.ID, CodeCancelled); err != nil {
				return nil, err
			}
			if err := sealBatch(ctx, uc.printing, *j, q.Caller.Meta()); err != nil && !fault.Is(err, fault.NotFound) {
				return nil, err // a batch that is gone has nothing to seal
			}
			cancelled = *j
			return []event.Event{rollout.JobEvent(rollout.JobFinished, *j, q.Caller.Meta(), now)}, nil
		})
		return cancelled, fault.Wrap(err, "cancel rollout job")
	})
}

// CodeCancelled is the errorCode of the items a cancel skipped.
const CodeCancelled = "errors.jobCancelled"
