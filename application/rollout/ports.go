// Package rollout holds the rollout job use cases (API.md section 11.1): creating a job (its items
// fixed then), reading and cancelling it, and the runner that works through the jobs in the
// background. The cards are the credential module's and the letters the printing module's; a job
// reaches them through the ports below, which those modules' seams implement.
package rollout

import (
	"context"
	"time"

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/rollout"
)

// Jobs stores rollout jobs and their items. Each method joins the transaction ctx carries.
type Jobs interface {
	// CreateJob saves a new job with its items (numbered from 1 in order) in one transaction:
	// first it calls prepare inside it (ctx carries it), which may complete the job and returns
	// the events to record; nothing is saved when prepare fails, and its error is returned
	// unchanged.
	CreateJob(ctx context.Context, job rollout.Job, items []rollout.Item, prepare func(ctx context.Context, job *rollout.Job) ([]event.Event, error)) error
	// Job returns the client's job, or a *fault.NotFoundError.
	Job(ctx context.Context, clientExtID, id string) (rollout.Job, error)
	// ListJobs pages through the client's jobs, oldest first.
	ListJobs(ctx context.Context, clientExtID string, page listing.Page) (listing.Result[rollout.Job], error)
	// Items returns up to limit items of the job after item number after, in order; with result
	// set, only those.
	Items(ctx context.Context, jobID string, result rollout.Result, after, limit int) ([]rollout.Item, error)
	// UpdateJob loads the job with a row lock, calls fn with ctx carrying the transaction, and
	// saves the job and fn's events when fn returns nil. A *fault.NotFoundError for an unknown job;
	// fn's error unchanged.
	UpdateJob(ctx context.Context, id string, fn func(ctx context.Context, j *rollout.Job) ([]event.Event, error)) error
	// SaveItems records the results of tried items.
	SaveItems(ctx context.Context, items []rollout.Item) error
	// SkipPending gives every item of the job still pending the result skipped with that code,
	// and drops what was staged for them.
	SkipPending(ctx context.Context, jobID, code string) error
	// AddItems adds items to a job being stored, with what was staged for some of them (by item
	// number): an import's verifiers.
	AddItems(ctx context.Context, jobID string, items []rollout.Item, staged map[int][]byte) error
	// Staged returns what was staged for the job's items ns, by item number.
	Staged(ctx context.Context, jobID string, ns []int) (map[int][]byte, error)
	// DropStaged forgets what was staged for the job's items ns.
	DropStaged(ctx context.Context, jobID string, ns []int) error
	// DeleteStaging deletes a job that is staging, with its items and what was staged.
	DeleteStaging(ctx context.Context, jobID string) error
	// SweepStaging deletes the jobs still staging that were created before before (an upload a
	// crash cut off), and reports how many.
	SweepStaging(ctx context.Context, before time.Time) (int, error)
}

// ImportRow is one row of an import file as read (API.md section 11.1); Row is its number in
// the file, the header being row 1.
type ImportRow struct {
	Row                            int
	UserExtID, ExtID, SerialNumber string
	StateName, ValidTo, Cells      string
}

// Import file columns, from 1, as RowProblem names them.
const (
	ColumnUserExtID = iota + 1
	ColumnExtID
	ColumnSerialNumber
	ColumnStateName
	ColumnValidTo
	ColumnCells
)

// RowProblem is why a row cannot be imported: the column and the errors.* code; never a value.
type RowProblem struct {
	Column int
	Code   string
}

// StageRow checks one row and stages its card as verifiers only; a row that breaks a rule is a
// *RowProblem, an error is a failure of the service.
type StageRow func(ctx context.Context, row ImportRow) (staged []byte, problem *RowProblem, err error)

// Importer stages and imports cards printed by another system: the credential module's seam.
type Importer interface {
	// Stager resolves the policy the cards are imported under (empty: the client's default) and
	// returns the function that stages each row, and the policy's extId (the cards get that
	// policy, even if the default changes meanwhile). Errors: *fault.NotFoundError (no such
	// client), the credential module's unknown policy (422 errors.missingReferenceData).
	Stager(ctx context.Context, clientExtID, policyExtID string) (StageRow, string, error)
	// ImportChunk creates the staged cards of items (staged by item number), each under a
	// savepoint of one transaction, then calls within with the items, their results set
	// (imported, or failed with a code), inside it. Nothing commits when within fails.
	ImportChunk(ctx context.Context, run ChunkRun, items []rollout.Item, staged map[int][]byte,
		within func(ctx context.Context, tried []rollout.Item, fatal bool) error) error
}

// Leases let one instance at a time run a job, and another take it over when that one is gone.
type Leases interface {
	// Claim takes one job that is queued, or running under a lease that ran out or that owner
	// holds already (a runner that stopped on an error takes its job up again at once), for owner
	// until until; false when there is none. It never waits for a job another instance is
	// claiming.
	Claim(ctx context.Context, owner string, now, until time.Time) (rollout.Job, bool, error)
	// Holds reports whether owner holds the job's lease, inside the transaction ctx carries, and
	// extends it to until.
	Holds(ctx context.Context, jobID, owner string, until time.Time) (bool, error)
}

// TargetQuery asks for the targets of a selection.
type TargetQuery struct {
	ClientExtID string
	Selection   rollout.Selection
	// PolicyExtID narrows the cards to that policy's (empty: all).
	PolicyExtID string
	Now         time.Time
}

// Target is one item a selection found: a user, and for a renewal the card.
type Target struct {
	UserExtID, CardExtID string
}

// Targets evaluates selections over the credential module's cards and holders.
type Targets interface {
	// Targets returns what the selection selects now, in the order of the users' extIds.
	Targets(ctx context.Context, q TargetQuery) ([]Target, error)
	// CheckClient returns a *fault.NotFoundError unless the client exists and, with
	// policyExtID set, the credential module's unknown policy error (422
	// errors.missingReferenceData) unless the client has that policy.
	CheckClient(ctx context.Context, clientExtID, policyExtID string) error
}

// ChunkRun is what a chunk's cards record: the job's creator and the job.
type ChunkRun struct {
	Job rollout.Job
}

// Printing issues cards into print batches: the printing module's seam.
type Printing interface {
	// OpenBatch opens the job's print batch for the client's print recipients now, in the
	// transaction ctx carries. Errors: *fault.NotFoundError (no such client),
	// printing's error of kind Refused with code errors.missingReferenceData (no recipients).
	OpenBatch(ctx context.Context, clientExtID, jobID string, meta event.Meta) (batchID string, err error)
	// IssueChunk issues (issue) or renews (renew) a card for each item, hashing them first,
	// then in one transaction: each item under a savepoint of its own, then within with the
	// items, their results set (issued, renewed, skipped, failed with a code; fatal when the job
	// cannot go on), then the chunk's letters into the batch. Nothing commits when within fails.
	IssueChunk(ctx context.Context, batchID string, run ChunkRun, items []rollout.Item,
		within func(ctx context.Context, tried []rollout.Item, fatal bool) error) error
	// SealBatch seals the batch in the transaction ctx carries.
	SealBatch(ctx context.Context, batchID string, meta event.Meta) error
}

// Clock tells the time.
type Clock func() time.Time
