package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

// Runner works through the rollout jobs on one instance: it claims a job under a lease, tries its
// items chunk by chunk (each chunk's cards, letters, item results and the job's progress commit
// in one transaction, so an item done is never done again), and ends it. Another instance takes
// over a job whose lease ran out: its runner died with it.
type Runner struct {
	jobs     Jobs
	leases   Leases
	printing Printing
	importer Importer
	now      Clock
	owner    string
	// Lease is how long a claim holds without a chunk committing; Chunk how many items a chunk
	// holds (at most printing's 500).
	lease time.Duration
	chunk int
}

// RunnerDeps are what the runner needs.
type RunnerDeps struct {
	Jobs     Jobs
	Leases   Leases
	Printing Printing
	Importer Importer
	Now      Clock
	// Owner names this instance in the leases.
	Owner string
	Lease time.Duration
	Chunk int
}

// NewRunner builds a runner.
func NewRunner(d RunnerDeps) *Runner {
	return &Runner{jobs: d.Jobs, leases: d.Leases, printing: d.Printing, importer: d.Importer, now: d.Now, owner: d.Owner,
		lease: d.Lease, chunk: min(max(d.Chunk, 1), 500)}
}

// errLeaseLost: another instance took the job over (this one was too slow); the chunk rolls back.
var errLeaseLost = errors.New("rollout job: the lease passed to another instance")

// errStopped: the job was cancelled, or ended elsewhere, since this runner took it.
var errStopped = errors.New("rollout job: stopped")

// RunOne claims one job and works on it until it ends, ctx ends, or its lease is lost; it reports
// whether it found a job.
func (r *Runner) RunOne(ctx context.Context) (bool, error) {
	now := r.now()
	job, ok, err := r.leases.Claim(ctx, r.owner, now, now.Add(r.lease))
	if err != nil || !ok {
		return false, err
	}
	if job.Status == rollout.StatusQueued {
		if err := r.jobs.UpdateJob(ctx, job.ID, func(ctx context.Context, j *rollout.Job) ([]event.Event, error) {
			j.Start(r.now())
			job = *j
			return nil, nil
		}); err != nil {
			return true, err
		}
	}
	for {
		items, err := r.jobs.Items(ctx, job.ID, rollout.ResultPending, 0, r.chunk)
		if err != nil {
			return true, err
		}
		if len(items) == 0 {
			return true, r.end(ctx, job, false)
		}
		fatal := false
		err = r.work(ctx, job, items, func(ctx context.Context, tried []rollout.Item, isFatal bool) error {
			fatal = isFatal
			return r.commit(ctx, &job, tried)
		})
		switch {
		case errors.Is(err, errStopped) || errors.Is(err, errLeaseLost):
			return true, nil
		case err != nil && ctx.Err() == nil && (fault.Is(err, fault.Invalid) || fault.Is(err, fault.Refused) || fault.Is(err, fault.NotFound)):
			// The chunk cannot succeed however often it is tried (its letters cannot be
			// printed, its client or its batch is gone): the job cannot go on.
			return true, errors.Join(fmt.Errorf("rollout job %s failed: %w", job.ID, err), r.end(ctx, job, true))
		case err != nil:
			return true, fmt.Errorf("rollout job %s: %w", job.ID, err)
		case fatal:
			return true, r.end(ctx, job, true)
		}
	}
}

// work tries a chunk of items: issues or renews their cards into the job's print batch, or
// imports their staged cards (dropping what was staged in the same transaction).
func (r *Runner) work(ctx context.Context, job rollout.Job, items []rollout.Item, within func(context.Context, []rollout.Item, bool) error) error {
	if job.Kind != rollout.KindImport {
		return r.printing.IssueChunk(ctx, job.PrintBatchID, ChunkRun{Job: job}, items, within)
	}
	ns := make([]int, len(items))
	for i, it := range items {
		ns[i] = it.N
	}
	staged, err := r.jobs.Staged(ctx, job.ID, ns)
	if err != nil {
		return err
	}
	return r.importer.ImportChunk(ctx, ChunkRun{Job: job}, items, staged, func(ctx context.Context, tried []rollout.Item, fatal bool) error {
		if err := within(ctx, tried, fatal); err != nil {
			return err
		}
		return r.jobs.DropStaged(ctx, job.ID, ns)
	})
}

// commit records a chunk's tried items and the job's progress, inside the chunk's transaction,
// while this runner holds the job: the job's row lock comes before the batch's (as in a cancel).
func (r *Runner) commit(ctx context.Context, job *rollout.Job, tried []rollout.Item) error {
	return r.jobs.UpdateJob(ctx, job.ID, func(ctx context.Context, j *rollout.Job) ([]event.Event, error) {
		if j.Status.Ended() {
			return nil, errStopped
		}
		holds, err := r.leases.Holds(ctx, j.ID, r.owner, r.now().Add(r.lease))
		if err != nil {
			return nil, err
		}
		if !holds {
			return nil, errLeaseLost
		}
		failed := 0
		for _, it := range tried {
			if it.Result == rollout.ResultFailed {
				failed++
			}
		}
		j.Record(len(tried), failed)
		*job = *j
		return nil, r.jobs.SaveItems(ctx, tried)
	})
}

// end seals the job's batch and ends the job: succeeded once every item was tried, failed (its
// remaining items skipped) when it could not go on.
func (r *Runner) end(ctx context.Context, job rollout.Job, failed bool) error {
	err := r.jobs.UpdateJob(ctx, job.ID, func(ctx context.Context, j *rollout.Job) ([]event.Event, error) {
		if j.Status.Ended() {
			return nil, errStopped
		}
		holds, err := r.leases.Holds(ctx, j.ID, r.owner, r.now())
		if err != nil {
			return nil, err
		}
		if !holds {
			return nil, errLeaseLost
		}
		now := r.now()
		if failed {
			if err := r.jobs.SkipPending(ctx, j.ID, CodeJobFailed); err != nil {
				return nil, err
			}
			j.Fail(now)
		} else {
			j.Finish(now)
		}
		if err := sealBatch(ctx, r.printing, *j, j.Meta()); err != nil {
			return nil, err
		}
		return []event.Event{rollout.JobEvent(rollout.JobFinished, *j, j.Meta(), now)}, nil
	})
	if errors.Is(err, errStopped) || errors.Is(err, errLeaseLost) {
		return nil
	}
	return fault.Wrap(err, "end rollout job %s", job.ID)
}

// CodeJobFailed is the errorCode of the items a failed job skipped.
const CodeJobFailed = "errors.jobFailed"

// sealBatch seals the job's print batch; an import has none (its cards were printed elsewhere).
func sealBatch(ctx context.Context, p Printing, j rollout.Job, meta event.Meta) error {
	if j.PrintBatchID == "" {
		return nil
	}
	return p.SealBatch(ctx, j.PrintBatchID, meta)
}
