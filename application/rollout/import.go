package rollout

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

// stageBatch is how many staged rows are written at once while an import file streams.
const stageBatch = 500

// ImportJob stores an import job from a file of cards printed by another system (API.md section
// 11.1): every row is checked and hashed while the file streams and staged as verifiers only;
// no cell and no line of the file is kept.
type ImportJob struct {
	jobs     Jobs
	importer Importer
	wake     func()
	frame    caller.Frame
}

// ImportCommand is an import: the rows of the file, read as they are ranged over. An error from
// Rows means the file is broken (not CSV, truncated, too large): no job is stored.
type ImportCommand struct {
	Caller      caller.Caller
	ClientExtID string
	PolicyExtID string
	Rows        iter.Seq2[ImportRow, error]
}

// Access is what a caller needs: RolloutCreate and CredentialCreate in the client.
func (uc *ImportJob) Access(clientExtID string) access.Request {
	return access.Request{Client: clientExtID, Rights: []access.Right{access.RolloutCreate, access.CredentialCreate}}
}

// Do authorizes the caller before a byte of the file is read, then stages every row, a batch at
// a time, under a job that is staging, and queues the job after the last row; a row that breaks
// a rule is an item failed with its code, row and column. Errors: access errors, *fault.NotFoundError (no such client), the unknown
// policy, Rows' error, fault.ErrInvalid (a file without rows).
func (uc *ImportJob) Do(ctx context.Context, cmd ImportCommand) (rollout.Job, error) {
	return caller.Run(ctx, uc.frame, "ImportRolloutJob", cmd.Caller, uc.Access(cmd.ClientExtID), func(ctx context.Context) (rollout.Job, error) {
		if cmd.PolicyExtID != "" {
			if err := extid.Validate(cmd.PolicyExtID); err != nil {
				return rollout.Job{}, fmt.Errorf("policyExtId: %w", err)
			}
		}
		stage, policyExtID, err := uc.importer.Stager(ctx, cmd.ClientExtID, cmd.PolicyExtID)
		if err != nil {
			return rollout.Job{}, fault.Wrap(err, "import")
		}
		meta := cmd.Caller.Meta()
		job := rollout.Job{ID: extid.New(), ClientExtID: cmd.ClientExtID, Kind: rollout.KindImport, Status: rollout.StatusStaging,
			PolicyExtID: policyExtID, CreatedBy: meta.Actor, Created: uc.frame.Now()}
		// The job is staging while the file streams: each batch of rows commits on its own (an
		// upload holds no transaction open), and nobody sees the job or runs it until the last row.
		ctx, cancel := context.WithTimeout(ctx, MaxImportDuration)
		defer cancel()
		if err := uc.jobs.CreateJob(ctx, job, nil, func(context.Context, *rollout.Job) ([]event.Event, error) { return nil, nil }); err != nil {
			return rollout.Job{}, fault.Wrap(err, "import")
		}
		total, failed, err := uc.stageAll(ctx, job.ID, stage, cmd.Rows)
		if err == nil {
			err = uc.jobs.UpdateJob(ctx, job.ID, func(_ context.Context, j *rollout.Job) ([]event.Event, error) {
				j.Status, j.Total = rollout.StatusQueued, total
				j.Record(failed, failed) // rows refused while staging are tried already: failed
				job = *j
				return []event.Event{rollout.JobEvent(rollout.JobCreated, *j, meta, j.Created)}, nil
			})
		}
		if err != nil {
			// Nothing of a broken upload stays; what a crash leaves is swept (SweepStaging).
			if dropErr := uc.jobs.DeleteStaging(context.WithoutCancel(ctx), job.ID); dropErr != nil {
				err = errors.Join(err, dropErr)
			}
			return rollout.Job{}, fault.Wrap(err, "import")
		}
		uc.wake()
		return job, nil
	})
}

// MaxImportDuration bounds an upload: a file of 50 MiB is hashed in minutes; one that trickles
// in for longer is cut off.
const MaxImportDuration = 2 * time.Hour

// stageAll stages the rows as they stream and adds them to the job as items, a batch at a time.
func (uc *ImportJob) stageAll(ctx context.Context, jobID string, stage StageRow, rows iter.Seq2[ImportRow, error]) (total, failed int, err error) {
	items := make([]rollout.Item, 0, stageBatch)
	staged := make(map[int][]byte, stageBatch)
	flush := func() error {
		err := uc.jobs.AddItems(ctx, jobID, items, staged)
		items, staged = items[:0], make(map[int][]byte, stageBatch)
		return err
	}
	for row, err := range rows {
		if err != nil {
			return 0, 0, err
		}
		total++
		item := rollout.Item{N: total, Row: row.Row, Result: rollout.ResultPending}
		if extid.Validate(row.UserExtID) == nil {
			item.UserExtID = row.UserExtID
		}
		blob, problem, err := stage(ctx, row)
		switch {
		case err != nil:
			return 0, 0, err
		case problem != nil:
			item.Result, item.ErrorCode, item.Column = rollout.ResultFailed, problem.Code, problem.Column
			failed++
		default:
			staged[item.N] = blob
		}
		items = append(items, item)
		if len(items) == stageBatch {
			if err := flush(); err != nil {
				return 0, 0, err
			}
		}
	}
	if total == 0 {
		return 0, 0, fmt.Errorf("%w: the file has a header but no rows", fault.ErrInvalid)
	}
	return total, failed, flush()
}
