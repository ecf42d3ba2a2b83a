package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/application/listing"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

// RolloutStore keeps rollout jobs, their items and their leases. The methods that change them
// join the transaction ctx carries; Claim, ListJobs and JobByID read on their own.
type RolloutStore struct {
	db *bun.DB
}

// NewRolloutStore builds the store.
func NewRolloutStore(db *bun.DB) *RolloutStore { return &RolloutStore{db: db} }

var (
	_ approllout.Jobs   = (*RolloutStore)(nil)
	_ approllout.Leases = (*RolloutStore)(nil)
)

type jobRow struct {
	bun.BaseModel `bun:"table:rollout_jobs"`

	ID           string     `bun:"id,pk"`
	ClientExtID  string     `bun:"client_ext_id"`
	Kind         string     `bun:"kind"`
	Status       string     `bun:"status"`
	Total        int        `bun:"total"`
	Done         int        `bun:"done"`
	Failed       int        `bun:"failed"`
	PrintBatchID string     `bun:"print_batch_id"`
	PolicyExtID  string     `bun:"policy_ext_id"`
	Comment      string     `bun:"modification_comment"`
	BySubject    string     `bun:"created_by_subject"`
	ByMode       string     `bun:"created_by_mode"`
	Created      time.Time  `bun:"created"`
	Started      *time.Time `bun:"started"`
	Finished     *time.Time `bun:"finished"`
}

func newJobRow(j rollout.Job) jobRow {
	return jobRow{ID: j.ID, ClientExtID: j.ClientExtID, Kind: string(j.Kind), Status: string(j.Status), Total: j.Total,
		Done: j.Done, Failed: j.Failed, PrintBatchID: j.PrintBatchID, PolicyExtID: j.PolicyExtID, Comment: j.Comment,
		BySubject: j.CreatedBy.Subject, ByMode: j.CreatedBy.Mode, Created: j.Created.UTC(),
		Started: optionalTime(j.Started), Finished: optionalTime(j.Finished)}
}

func (r jobRow) job() rollout.Job {
	j := rollout.Job{ID: r.ID, ClientExtID: r.ClientExtID, Kind: rollout.Kind(r.Kind), Status: rollout.Status(r.Status),
		Total: r.Total, Done: r.Done, Failed: r.Failed, PrintBatchID: r.PrintBatchID, PolicyExtID: r.PolicyExtID,
		Comment: r.Comment, CreatedBy: event.Actor{Subject: r.BySubject, Mode: r.ByMode}, Created: r.Created}
	j.Started, j.Finished = timeOrZero(r.Started), timeOrZero(r.Finished)
	return j
}

type itemRow struct {
	bun.BaseModel `bun:"table:rollout_items"`

	JobID           string `bun:"job_id,pk"`
	N               int    `bun:"n,pk"`
	UserExtID       string `bun:"user_ext_id"`
	TargetExtID     string `bun:"target_ext_id"`
	CredentialExtID string `bun:"credential_ext_id"`
	SerialNumber    string `bun:"serial_number"`
	Result          string `bun:"result"`
	ErrorCode       string `bun:"error_code"`
	Row             int    `bun:"row_number"`
	Column          int    `bun:"column_number"`
}

func newItemRow(it rollout.Item) itemRow {
	result := it.Result
	if result == "" {
		result = rollout.ResultPending
	}
	return itemRow{JobID: it.JobID, N: it.N, UserExtID: it.UserExtID, TargetExtID: it.TargetExtID,
		CredentialExtID: it.CredentialExtID, SerialNumber: it.SerialNumber, Result: string(result),
		ErrorCode: it.ErrorCode, Row: it.Row, Column: it.Column}
}

func (r itemRow) item() rollout.Item {
	return rollout.Item{JobID: r.JobID, N: r.N, UserExtID: r.UserExtID, TargetExtID: r.TargetExtID,
		CredentialExtID: r.CredentialExtID, SerialNumber: r.SerialNumber, Result: rollout.Result(r.Result),
		ErrorCode: r.ErrorCode, Row: r.Row, Column: r.Column}
}

// itemInsertBatch is how many items one INSERT writes.
const itemInsertBatch = 1000

// CreateJob saves a job with its items; see approllout.Jobs.
func (s *RolloutStore) CreateJob(ctx context.Context, job rollout.Job, items []rollout.Item,
	prepare func(context.Context, *rollout.Job) ([]event.Event, error)) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		events, err := prepare(ctx, &job)
		if err != nil {
			return err
		}
		r := newJobRow(job)
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return fmt.Errorf("create rollout job: %w", translate(err))
		}
		if err := s.AddItems(ctx, job.ID, items, nil); err != nil {
			return err
		}
		return insertEvents(ctx, tx, events)
	})
}

type stagedRow struct {
	bun.BaseModel `bun:"table:rollout_import_rows"`

	JobID  string `bun:"job_id,pk"`
	N      int    `bun:"n,pk"`
	Staged []byte `bun:"staged"`
}

// AddItems inserts items and staged rows, a batch at a time; see approllout.Jobs.
func (s *RolloutStore) AddItems(ctx context.Context, jobID string, items []rollout.Item, staged map[int][]byte) error {
	db := connOf(ctx, s.db)
	for start := 0; start < len(items); start += itemInsertBatch {
		part := items[start:min(start+itemInsertBatch, len(items))]
		rows := make([]itemRow, len(part))
		var stagedRows []stagedRow
		for i, it := range part {
			it.JobID = jobID
			rows[i] = newItemRow(it)
			if blob, ok := staged[it.N]; ok {
				stagedRows = append(stagedRows, stagedRow{JobID: jobID, N: it.N, Staged: blob})
			}
		}
		if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("add rollout job items: %w", translate(err))
		}
		if len(stagedRows) > 0 {
			if _, err := db.NewInsert().Model(&stagedRows).Exec(ctx); err != nil {
				return fmt.Errorf("stage import rows: %w", translate(err))
			}
		}
	}
	return nil
}

// Staged returns the staged rows of items ns; see approllout.Jobs.
func (s *RolloutStore) Staged(ctx context.Context, jobID string, ns []int) (map[int][]byte, error) {
	var rows []stagedRow
	if len(ns) > 0 {
		err := connOf(ctx, s.db).NewSelect().Model(&rows).Where("job_id = ?", jobID).Where("n IN (?)", bun.List(ns)).Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("read staged import rows: %w", translate(err))
		}
	}
	out := make(map[int][]byte, len(rows))
	for _, r := range rows {
		out[r.N] = r.Staged
	}
	return out, nil
}

// DropStaged deletes the staged rows of items ns; see approllout.Jobs.
func (s *RolloutStore) DropStaged(ctx context.Context, jobID string, ns []int) error {
	if len(ns) == 0 {
		return nil
	}
	_, err := connOf(ctx, s.db).NewDelete().Model((*stagedRow)(nil)).Where("job_id = ?", jobID).Where("n IN (?)", bun.List(ns)).Exec(ctx)
	return translate(err)
}

// Job returns one job of the client, not one still staging; see approllout.Jobs.
func (s *RolloutStore) Job(ctx context.Context, clientExtID, id string) (rollout.Job, error) {
	var r jobRow
	err := selectOne(ctx, connOf(ctx, s.db).NewSelect().Model(&r).Where("id = ?", id).Where("client_ext_id = ?", clientExtID).
		Where("status <> 'staging'"),
		&fault.NotFoundError{Entity: "rollout job", ExtID: id})
	return r.job(), err
}

// ListJobs pages through a client's jobs; see approllout.Jobs.
func (s *RolloutStore) ListJobs(ctx context.Context, clientExtID string, page listing.Page) (listing.Result[rollout.Job], error) {
	var rows []jobRow
	q := s.db.NewSelect().Model(&rows).Where("client_ext_id = ?", clientExtID).Where("status <> 'staging'").
		OrderExpr("created, id").Limit(int64(page.Limit) + 1)
	if page.After != nil {
		q = q.Where("(created, id::text) > (?, ?)", page.After.Created, page.After.ExtID)
	}
	if err := q.Scan(ctx); err != nil {
		return listing.Result[rollout.Job]{}, translate(err)
	}
	jobs := make([]rollout.Job, len(rows))
	for i, r := range rows {
		jobs[i] = r.job()
	}
	return listing.Trim(jobs, page.Limit, func(j rollout.Job) listing.Cursor {
		return listing.Cursor{Created: j.Created, ExtID: j.ID}
	}), nil
}

// Items returns a page of a job's items; see approllout.Jobs.
func (s *RolloutStore) Items(ctx context.Context, jobID string, result rollout.Result, after, limit int) ([]rollout.Item, error) {
	var rows []itemRow
	q := connOf(ctx, s.db).NewSelect().Model(&rows).Where("job_id = ?", jobID).Where("n > ?", after).OrderExpr("n").Limit(int64(limit))
	if result != "" {
		q = q.Where("result = ?", string(result))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, translate(err)
	}
	items := make([]rollout.Item, len(rows))
	for i, r := range rows {
		items[i] = r.item()
	}
	return items, nil
}

// UpdateJob changes a job under its row lock; see approllout.Jobs.
func (s *RolloutStore) UpdateJob(ctx context.Context, id string, fn func(context.Context, *rollout.Job) ([]event.Event, error)) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var r jobRow
		err := selectOne(ctx, tx.NewSelect().Model(&r).Where("id = ?", id).For("UPDATE"), &fault.NotFoundError{Entity: "rollout job", ExtID: id})
		if err != nil {
			return err
		}
		j := r.job()
		events, err := fn(ctx, &j)
		if err != nil {
			return err
		}
		next := newJobRow(j)
		if _, err := tx.NewUpdate().Model(&next).Column("status", "total", "done", "failed", "print_batch_id", "started", "finished").
			WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("save rollout job: %w", translate(err))
		}
		return insertEvents(ctx, tx, events)
	})
}

// SaveItems records tried items; see approllout.Jobs.
func (s *RolloutStore) SaveItems(ctx context.Context, items []rollout.Item) error {
	if len(items) == 0 {
		return nil
	}
	rows := make([]itemRow, len(items))
	for i, it := range items {
		rows[i] = newItemRow(it)
	}
	_, err := connOf(ctx, s.db).NewUpdate().With("_data", connOf(ctx, s.db).NewValues(&rows)).Model((*itemRow)(nil)).
		ModelTableExpr("rollout_items AS ri").TableExpr("_data").
		Set("target_ext_id = _data.target_ext_id, credential_ext_id = _data.credential_ext_id").
		Set("serial_number = _data.serial_number, result = _data.result, error_code = _data.error_code").
		Set("row_number = _data.row_number, column_number = _data.column_number").
		Where("ri.job_id = _data.job_id::uuid AND ri.n = _data.n").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save rollout job items: %w", translate(err))
	}
	return nil
}

// SkipPending skips the items not tried and drops what was staged for them; see
// approllout.Jobs.
func (s *RolloutStore) SkipPending(ctx context.Context, jobID, code string) error {
	db := connOf(ctx, s.db)
	_, err := db.NewUpdate().Model((*itemRow)(nil)).Set("result = 'skipped'").Set("error_code = ?", code).
		Where("job_id = ?", jobID).Where("result = 'pending'").Exec(ctx)
	if err != nil {
		return translate(err)
	}
	_, err = db.NewDelete().Model((*stagedRow)(nil)).Where("job_id = ?", jobID).Exec(ctx)
	return translate(err)
}

// jobColumns are jobRow's columns: a job without its lease.
const jobColumns = `id, client_ext_id, kind, status, total, done, failed, print_batch_id, policy_ext_id,
	modification_comment, created_by_subject, created_by_mode, created, started, finished`

// Claim takes a job that is queued, or running under a lease that ran out; see approllout.Leases.
func (s *RolloutStore) Claim(ctx context.Context, owner string, now, until time.Time) (rollout.Job, bool, error) {
	var rows []jobRow
	err := s.db.NewRaw(`UPDATE rollout_jobs SET claimed_by = ?, lease_until = ?
		WHERE id = (SELECT id FROM rollout_jobs
			WHERE status IN ('queued', 'running') AND (lease_until IS NULL OR lease_until < ? OR claimed_by = ?)
			ORDER BY created LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING `+jobColumns, owner, until.UTC(), now.UTC(), owner).Scan(ctx, &rows)
	if err != nil {
		return rollout.Job{}, false, fmt.Errorf("claim rollout job: %w", translate(err))
	}
	if len(rows) == 0 {
		return rollout.Job{}, false, nil
	}
	return rows[0].job(), true, nil
}

// Holds checks and extends owner's lease; see approllout.Leases.
func (s *RolloutStore) Holds(ctx context.Context, jobID, owner string, until time.Time) (bool, error) {
	res, err := connOf(ctx, s.db).NewRaw(`UPDATE rollout_jobs SET lease_until = ? WHERE id = ? AND claimed_by = ?`,
		until.UTC(), jobID, owner).Exec(ctx)
	if err != nil {
		return false, translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// JobByID returns a job of any client, for the command line (otpcard rollout watch), or a
// *fault.NotFoundError.
func (s *RolloutStore) JobByID(ctx context.Context, id string) (rollout.Job, error) {
	var r jobRow
	err := selectOne(ctx, s.db.NewSelect().Model(&r).Where("id = ?", id).Where("status <> 'staging'"), &fault.NotFoundError{Entity: "rollout job", ExtID: id})
	return r.job(), err
}

// DeleteStaging deletes a job still staging; see approllout.Jobs.
func (s *RolloutStore) DeleteStaging(ctx context.Context, jobID string) error {
	_, err := connOf(ctx, s.db).NewDelete().Model((*jobRow)(nil)).Where("id = ?", jobID).Where("status = 'staging'").Exec(ctx)
	return translate(err)
}

// SweepStaging deletes the jobs left staging; see approllout.Jobs.
func (s *RolloutStore) SweepStaging(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.NewDelete().Model((*jobRow)(nil)).Where("status = 'staging'").Where("created < ?", before.UTC()).Exec(ctx)
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
