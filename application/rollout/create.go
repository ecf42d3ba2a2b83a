package rollout

import (
	"context"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

// CreateJob stores a rollout job of kind issue or renew, with its items, for the runner.
type CreateJob struct {
	jobs     Jobs
	targets  Targets
	printing Printing
	wake     func()
	frame    caller.Frame
}

// CreateCommand is the job asked for.
type CreateCommand struct {
	Caller      caller.Caller
	ClientExtID string
	Request     rollout.Request
}

// Access is what a caller needs: RolloutCreate and CredentialCreate in the client.
func (uc *CreateJob) Access(clientExtID string) access.Request {
	return access.Request{Client: clientExtID, Rights: []access.Right{access.RolloutCreate, access.CredentialCreate}}
}

// Do evaluates the request into items (a selection is evaluated now, once), opens the job's print
// batch for the client's recipients now, and stores the job, its items and rollout-job.created in
// one transaction; then it wakes the runner. Errors: access errors, fault.ErrInvalid,
// *fault.NotFoundError (unknown client), errors.missingReferenceData (the client has no print
// recipients).
func (uc *CreateJob) Do(ctx context.Context, cmd CreateCommand) (rollout.Job, error) {
	return caller.Run(ctx, uc.frame, "CreateRolloutJob", cmd.Caller, uc.Access(cmd.ClientExtID), func(ctx context.Context) (rollout.Job, error) {
		r := cmd.Request
		if err := r.Validate(); err != nil {
			return rollout.Job{}, err
		}
		if r.PolicyExtID != "" {
			if err := uc.targets.CheckClient(ctx, cmd.ClientExtID, r.PolicyExtID); err != nil {
				return rollout.Job{}, fault.Wrap(err, "create rollout job")
			}
		}
		now := uc.frame.Now()
		items, err := uc.items(ctx, cmd.ClientExtID, r, now)
		if err != nil {
			return rollout.Job{}, fault.Wrap(err, "create rollout job")
		}
		meta := cmd.Caller.Meta()
		job := rollout.Job{ID: extid.New(), ClientExtID: cmd.ClientExtID, Kind: r.Kind, Status: rollout.StatusQueued,
			Total: len(items), PolicyExtID: r.PolicyExtID, Comment: r.Comment, CreatedBy: meta.Actor, Created: now}
		err = uc.jobs.CreateJob(ctx, job, items, func(ctx context.Context, j *rollout.Job) ([]event.Event, error) {
			batch, err := uc.printing.OpenBatch(ctx, cmd.ClientExtID, j.ID, meta)
			if err != nil {
				return nil, err
			}
			j.PrintBatchID = batch
			job = *j
			ev := rollout.JobEvent(rollout.JobCreated, *j, meta, now)
			if r.Selection != "" {
				ev.Data["selection"] = string(r.Selection)
			}
			return []event.Event{ev}, nil
		})
		if err != nil {
			return rollout.Job{}, fault.Wrap(err, "create rollout job")
		}
		uc.wake()
		return job, nil
	})
}

// items are the job's items: the users named, or what the selection selects now.
func (uc *CreateJob) items(ctx context.Context, client string, r rollout.Request, now time.Time) ([]rollout.Item, error) {
	if r.Users != nil {
		items := make([]rollout.Item, len(r.Users))
		for i, u := range r.Users {
			items[i] = rollout.Item{N: i + 1, UserExtID: u, Result: rollout.ResultPending}
		}
		return items, nil
	}
	targets, err := uc.targets.Targets(ctx, TargetQuery{ClientExtID: client, Selection: r.Selection, PolicyExtID: r.PolicyExtID, Now: now})
	if err != nil {
		return nil, err
	}
	items := make([]rollout.Item, len(targets))
	for i, t := range targets {
		items[i] = rollout.Item{N: i + 1, UserExtID: t.UserExtID, TargetExtID: t.CardExtID, Result: rollout.ResultPending}
	}
	return items, nil
}
