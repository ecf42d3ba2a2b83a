package rollout_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/otpcard/otpcard/application/listing"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
	"github.com/otpcard/otpcard/domain/rollout"
)

// This file holds the in-memory fakes of the module's ports: one database (tables) behind the
// job store, the leases and the printing seam, with transactions that roll back on error.

// tables are what the database holds; a transaction restores a copy of them when it fails.
type tables struct {
	order   []string // job ids in the order they were created
	jobs    map[string]rollout.Job
	items   map[string][]rollout.Item // by job id, in item order
	staged  map[string]map[int][]byte
	leases  map[string]lease // by job id
	batches map[string]printing.Batch
	events  []event.Event
}

type lease struct {
	owner string
	until time.Time
}

func (t tables) clone() tables {
	c := tables{order: slices.Clone(t.order), jobs: maps.Clone(t.jobs), items: map[string][]rollout.Item{},
		staged: map[string]map[int][]byte{}, leases: maps.Clone(t.leases), batches: map[string]printing.Batch{},
		events: slices.Clone(t.events)}
	for id, its := range t.items {
		c.items[id] = slices.Clone(its)
	}
	for id, s := range t.staged {
		c.staged[id] = maps.Clone(s)
	}
	for id, b := range t.batches {
		b.Recipients = slices.Clone(b.Recipients)
		c.batches[id] = b
	}
	return c
}

// memory is the database the fakes share, and the calls of their port methods.
type memory struct {
	db    tables
	calls map[string]int
	// holdsErr, when set, is what Holds fails with: the database went away.
	holdsErr error
}

func newMemory() *memory {
	return &memory{calls: map[string]int{}, db: tables{jobs: map[string]rollout.Job{}, items: map[string][]rollout.Item{},
		staged: map[string]map[int][]byte{}, leases: map[string]lease{}, batches: map[string]printing.Batch{}}}
}

// tx runs fn as one transaction: when fn fails, the tables are as they were before.
func (m *memory) tx(fn func() error) error {
	saved := m.db.clone()
	if err := fn(); err != nil {
		m.db = saved
		return err
	}
	return nil
}

// Called counts the calls of one port method.
func (m *memory) Called(method string) int { return m.calls[method] }

// store is the fake of approllout.Jobs and approllout.Leases.
type store struct{ *memory }

var (
	_ approllout.Jobs   = store{}
	_ approllout.Leases = store{}
)

func notFound(id string) error { return &fault.NotFoundError{Entity: "rollout job", ExtID: id} }

func (s store) CreateJob(ctx context.Context, job rollout.Job, items []rollout.Item,
	prepare func(context.Context, *rollout.Job) ([]event.Event, error)) error {
	s.calls["CreateJob"]++
	return s.tx(func() error {
		events, err := prepare(ctx, &job)
		if err != nil {
			return err
		}
		if _, taken := s.db.jobs[job.ID]; taken {
			return fault.ErrDuplicate
		}
		stored := make([]rollout.Item, len(items))
		for i, it := range items {
			it.JobID = job.ID
			stored[i] = it
		}
		s.db.order = append(s.db.order, job.ID)
		s.db.jobs[job.ID], s.db.items[job.ID] = job, stored
		s.db.events = append(s.db.events, events...)
		return nil
	})
}

func (s store) Job(_ context.Context, clientExtID, id string) (rollout.Job, error) {
	s.calls["Job"]++
	j, ok := s.db.jobs[id]
	if !ok || j.ClientExtID != clientExtID {
		return rollout.Job{}, notFound(id)
	}
	return j, nil
}

func (s store) ListJobs(_ context.Context, clientExtID string, page listing.Page) (listing.Result[rollout.Job], error) {
	s.calls["ListJobs"]++
	var jobs []rollout.Job
	for _, id := range s.db.order {
		if j := s.db.jobs[id]; j.ClientExtID == clientExtID {
			jobs = append(jobs, j)
		}
	}
	return listing.Result[rollout.Job]{Items: jobs, Limit: page.Limit}, nil
}

func (s store) Items(_ context.Context, jobID string, result rollout.Result, after, limit int) ([]rollout.Item, error) {
	s.calls["Items"]++
	var out []rollout.Item
	for _, it := range s.db.items[jobID] {
		if it.N > after && (result == "" || it.Result == result) && len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

func (s store) UpdateJob(ctx context.Context, id string, fn func(context.Context, *rollout.Job) ([]event.Event, error)) error {
	s.calls["UpdateJob"]++
	return s.tx(func() error {
		j, ok := s.db.jobs[id]
		if !ok {
			return notFound(id)
		}
		events, err := fn(ctx, &j)
		if err != nil {
			return err
		}
		s.db.jobs[id] = j
		s.db.events = append(s.db.events, events...)
		return nil
	})
}

func (s store) SaveItems(_ context.Context, items []rollout.Item) error {
	s.calls["SaveItems"]++
	for _, it := range items {
		stored := s.db.items[it.JobID]
		i := slices.IndexFunc(stored, func(x rollout.Item) bool { return x.N == it.N })
		if i < 0 {
			return fmt.Errorf("save item %d of job %q: no such item", it.N, it.JobID)
		}
		stored[i] = it
	}
	return nil
}

func (s store) SkipPending(_ context.Context, jobID, code string) error {
	s.calls["SkipPending"]++
	for i, it := range s.db.items[jobID] {
		if it.Result == rollout.ResultPending {
			it.Result, it.ErrorCode = rollout.ResultSkipped, code
			s.db.items[jobID][i] = it
		}
	}
	delete(s.db.staged, jobID)
	return nil
}

func (s store) AddItems(_ context.Context, jobID string, items []rollout.Item, staged map[int][]byte) error {
	s.calls["AddItems"]++
	for _, it := range items {
		it.JobID = jobID
		s.db.items[jobID] = append(s.db.items[jobID], it)
	}
	if s.db.staged[jobID] == nil {
		s.db.staged[jobID] = map[int][]byte{}
	}
	maps.Copy(s.db.staged[jobID], staged)
	return nil
}

func (s store) Staged(_ context.Context, jobID string, ns []int) (map[int][]byte, error) {
	s.calls["Staged"]++
	out := map[int][]byte{}
	for _, n := range ns {
		if b, ok := s.db.staged[jobID][n]; ok {
			out[n] = b
		}
	}
	return out, nil
}

func (s store) DropStaged(_ context.Context, jobID string, ns []int) error {
	s.calls["DropStaged"]++
	for _, n := range ns {
		delete(s.db.staged[jobID], n)
	}
	return nil
}

func (s store) DeleteStaging(_ context.Context, jobID string) error {
	s.calls["DeleteStaging"]++
	if s.db.jobs[jobID].Status == rollout.StatusStaging {
		delete(s.db.jobs, jobID)
		delete(s.db.items, jobID)
		delete(s.db.staged, jobID)
	}
	return nil
}

func (s store) SweepStaging(_ context.Context, before time.Time) (int, error) {
	s.calls["SweepStaging"]++
	n := 0
	for id, j := range s.db.jobs {
		if j.Status == rollout.StatusStaging && j.Created.Before(before) {
			delete(s.db.jobs, id)
			n++
		}
	}
	return n, nil
}

func (s store) Claim(_ context.Context, owner string, now, until time.Time) (rollout.Job, bool, error) {
	s.calls["Claim"]++
	for _, id := range s.db.order {
		j := s.db.jobs[id]
		l, leased := s.db.leases[id]
		if !j.Status.Ended() && (!leased || l.until.Before(now)) {
			s.db.leases[id] = lease{owner: owner, until: until}
			return j, true, nil
		}
	}
	return rollout.Job{}, false, nil
}

func (s store) Holds(_ context.Context, jobID, owner string, until time.Time) (bool, error) {
	s.calls["Holds"]++
	if s.holdsErr != nil {
		return false, s.holdsErr
	}
	if s.db.leases[jobID].owner != owner {
		return false, nil
	}
	s.db.leases[jobID] = lease{owner: owner, until: until}
	return true, nil
}

// outcome is what the credential module makes of an item: its result and code, and whether the
// job cannot go on. The zero outcome issues (or renews) the card.
type outcome struct {
	result rollout.Result
	code   string
	fatal  bool
}

// printer is the fake of approllout.Printing: batches of letters for the clients that have print
// recipients, and cards issued as the outcomes say.
type printer struct {
	*memory
	// withRecipients are the clients that have print recipients.
	withRecipients map[string]bool
	// openErr, when set, is what OpenBatch fails with.
	openErr error
	// outcomes are the items' outcomes by user; chunkErr what the chunks fail with, by number.
	outcomes map[string]outcome
	chunkErr map[int]error
	// beforeChunk and afterChunk run, when set, before a chunk starts and after it committed,
	// with the chunk's number (from 1): what other transactions do meanwhile.
	beforeChunk, afterChunk func(chunk int)
	// tried are the users of each chunk offered, in order.
	tried [][]string
}

var _ approllout.Printing = (*printer)(nil)

func (p *printer) OpenBatch(_ context.Context, clientExtID, jobID string, meta event.Meta) (string, error) {
	p.calls["OpenBatch"]++
	if p.openErr != nil {
		return "", p.openErr
	}
	var recipients []string
	if p.withRecipients[clientExtID] {
		recipients = []string{"age1printshop"}
	}
	id := fmt.Sprintf("batch-%d", len(p.db.batches)+1)
	b, err := printing.OpenBatch(id, clientExtID, jobID, recipients, clock(), 7*24*time.Hour)
	if err != nil {
		return "", err
	}
	p.db.batches[id] = b
	p.db.events = append(p.db.events, printing.BatchEvent(printing.BatchCreated, b, meta, clock()))
	return id, nil
}

func (p *printer) IssueChunk(ctx context.Context, batchID string, run approllout.ChunkRun, items []rollout.Item,
	within func(context.Context, []rollout.Item, bool) error) error {
	p.calls["IssueChunk"]++
	n := len(p.tried) + 1
	if p.beforeChunk != nil {
		p.beforeChunk(n)
	}
	users := make([]string, len(items))
	tried := make([]rollout.Item, len(items))
	fatal, letters := false, 0
	for i, it := range items {
		users[i] = it.UserExtID
		o := p.outcomes[it.UserExtID]
		switch {
		case o.result == "" && run.Job.Kind == rollout.KindRenew:
			it.Result = rollout.ResultRenewed
		case o.result == "":
			it.Result = rollout.ResultIssued
		default:
			it.Result, it.ErrorCode = o.result, o.code
		}
		if it.Result == rollout.ResultIssued || it.Result == rollout.ResultRenewed {
			it.CredentialExtID, it.SerialNumber = "card-"+it.UserExtID, "serial-"+it.UserExtID
			letters++
		}
		fatal = fatal || o.fatal
		tried[i] = it
	}
	p.tried = append(p.tried, users)
	err := p.tx(func() error {
		if err := p.chunkErr[n]; err != nil {
			return err
		}
		if err := within(ctx, tried, fatal); err != nil {
			return err
		}
		if letters == 0 {
			return nil
		}
		b, ok := p.db.batches[batchID]
		if !ok {
			return &fault.NotFoundError{Entity: "print batch", ExtID: batchID}
		}
		if _, _, err := b.AddChunk(letters); err != nil {
			return err
		}
		p.db.batches[batchID] = b
		return nil
	})
	if err != nil {
		return err
	}
	if p.afterChunk != nil {
		p.afterChunk(n)
	}
	return nil
}

func (p *printer) SealBatch(_ context.Context, batchID string, meta event.Meta) error {
	p.calls["SealBatch"]++
	b, ok := p.db.batches[batchID]
	if !ok {
		return &fault.NotFoundError{Entity: "print batch", ExtID: batchID}
	}
	if b.Seal(clock(), 7*24*time.Hour) {
		p.db.batches[batchID] = b
	}
	return nil
}

// targets is the fake of approllout.Targets: it answers every selection with found, or fails.
type targets struct {
	found     []approllout.Target
	err       error
	clientErr error
	queries   []approllout.TargetQuery
}

var _ approllout.Targets = (*targets)(nil)

// CheckClient finds every client and policy, unless clientErr is set.
func (t *targets) CheckClient(context.Context, string, string) error { return t.clientErr }

func (t *targets) Targets(_ context.Context, q approllout.TargetQuery) ([]approllout.Target, error) {
	t.queries = append(t.queries, q)
	return t.found, t.err
}
