package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpcard/otpcard/adapters/agecrypt"
	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/adapters/postgres"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appprinting "github.com/otpcard/otpcard/application/printing"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
	"github.com/otpcard/otpcard/domain/rollout"
)

// The runners of these tests hold a job for rolloutLease of their own clock, and try
// rolloutChunk items a chunk: small, so that a job of a few dozen users has many chunks and many
// moments to change hands.
const (
	rolloutLease = time.Minute
	rolloutChunk = 7
)

// rolloutWorld is a lifecycle world (client acme with its default policy, the credential use
// cases, one moving clock) whose client has an age print recipient, with the rollout use cases,
// the printing module's seams and the rollout store, all on real stores. The runners read their
// own clock, leaseClock, which the tests move to let leases run out.
type rolloutWorld struct {
	*lifecycleWorld
	id         *age.X25519Identity
	prints     *postgres.PrintStore
	jobs       *postgres.RolloutStore
	printing   *appprinting.RolloutPrinting
	rollout    approllout.UseCases
	leaseClock *movingClock
}

func newRolloutWorld(t *testing.T) *rolloutWorld {
	t.Helper()
	w := newLifecycleWorld(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	prints := postgres.NewPrintStore(w.db)
	if err := prints.SaveSender(t.Context(), printing.Sender{ClientExtID: "acme", Name: "Acme", Recipients: []string{id.Recipient().String()}}); err != nil {
		t.Fatal(err)
	}
	hasher, err := cellhash.New(bytes.Repeat([]byte("p"), 32), cellhash.DefaultParams(), 0)
	if err != nil {
		t.Fatal(err)
	}
	printer := appprinting.NewPrinter(appprinting.PrinterDeps{Batches: prints, Senders: prints, Addressees: prints,
		Renderer: textLetters{}, Encrypter: agecrypt.Recipients{}, Now: w.clock.Now, Retention: 7 * 24 * time.Hour})
	issue := appcredential.NewIssueForPrint(appcredential.Deps{Cards: postgres.NewCardStore(w.db), Hasher: hasher, Now: w.clock.Now},
		postgres.NewTransactor(w.db))
	rp := appprinting.NewRolloutPrinting(appprinting.NewCardPrinting(issue, printer), printer)
	jobs := postgres.NewRolloutStore(w.db)
	uc := approllout.New(approllout.Deps{Jobs: jobs, Targets: appcredential.NewRolloutTargets(postgres.NewCardStore(w.db)),
		Printing: rp, Now: w.clock.Now, Tracer: noop.NewTracerProvider().Tracer("test")})
	lc := &movingClock{}
	lc.Set(lifecycleT0)
	return &rolloutWorld{lifecycleWorld: w, id: id, prints: prints, jobs: jobs, printing: rp, rollout: uc, leaseClock: lc}
}

// users creates n users prefix00, prefix01, ... with a print addressee each, in the order of
// their extIds.
func (rw *rolloutWorld) users(t *testing.T, prefix string, n int) []string {
	t.Helper()
	users := make([]string, n)
	for i := range n {
		users[i] = fmt.Sprintf("%s%02d", prefix, i)
		createUser(t, rw.db, "acme", users[i], users[i])
		addressee(t, rw.prints, users[i])
	}
	return users
}

// create stores a job through the use case, as root.
func (rw *rolloutWorld) create(t *testing.T, r rollout.Request) rollout.Job {
	t.Helper()
	job, err := rw.rollout.CreateJob.Do(t.Context(), approllout.CreateCommand{Caller: rw.root, ClientExtID: "acme", Request: r})
	if err != nil {
		t.Fatalf("create rollout job: %v", err)
	}
	if job.PrintBatchID == "" || job.Status != rollout.StatusQueued {
		t.Fatalf("created job %+v, want queued with a print batch", job)
	}
	return job
}

// runner is an instance's runner on the real rollout store, through printing.
func (rw *rolloutWorld) runner(owner string, leases approllout.Leases, p approllout.Printing) *approllout.Runner {
	return approllout.NewRunner(approllout.RunnerDeps{Jobs: rw.jobs, Leases: leases, Printing: p, Now: rw.leaseClock.Now,
		Owner: owner, Lease: rolloutLease, Chunk: rolloutChunk})
}

func (rw *rolloutWorld) job(t *testing.T, id string) rollout.Job {
	t.Helper()
	j, err := rw.jobs.Job(context.Background(), "acme", id)
	if err != nil {
		t.Fatalf("read job %s: %v", id, err)
	}
	return j
}

func (rw *rolloutWorld) items(t *testing.T, jobID string) []rollout.Item {
	t.Helper()
	items, err := rw.jobs.Items(context.Background(), jobID, "", 0, 100000)
	if err != nil {
		t.Fatalf("items of job %s: %v", jobID, err)
	}
	return items
}

// storedCard is a card as the database keeps it.
type storedCard struct {
	ExtID       string `bun:"ext_id"`
	UserExtID   string `bun:"user_ext_id"`
	Serial      string `bun:"serial_number"`
	Predecessor string `bun:"predecessor"`
}

// cardsByUser reads every card of acme, by user.
func (rw *rolloutWorld) cardsByUser(t *testing.T) map[string][]storedCard {
	t.Helper()
	var rows []storedCard
	if err := rw.db.NewRaw(`SELECT ext_id, user_ext_id, serial_number, coalesce(predecessor_ext_id, '') AS predecessor
		FROM otp_cards WHERE client_ext_id = 'acme' ORDER BY created, ext_id`).Scan(context.Background(), &rows); err != nil {
		t.Fatalf("read cards: %v", err)
	}
	by := map[string][]storedCard{}
	for _, r := range rows {
		by[r.UserExtID] = append(by[r.UserExtID], r)
	}
	return by
}

// printedLetter is one letter of a decrypted chunk: the card's serial and its user.
type printedLetter struct{ serial, user string }

// batchOf checks that the job's batch is sealed and decrypts it: its letters by serial (each
// serial must appear once, in the letters and in the manifests alike, control numbers 1, 2, ...).
func (rw *rolloutWorld) batchOf(t *testing.T, job rollout.Job) (printing.Batch, map[string]printedLetter) {
	t.Helper()
	b, err := rw.prints.Batch(context.Background(), "acme", job.PrintBatchID)
	if err != nil {
		t.Fatalf("batch of job %s: %v", job.ID, err)
	}
	if !b.Sealed || b.JobID != job.ID {
		t.Errorf("batch %+v: want sealed, of job %s", b, job.ID)
	}
	var lines []string
	var manifest [][]string
	if b.Chunks > 0 {
		lines, manifest = decryptChunks(t, rw.prints, b, rw.id)
	}
	letters := map[string]printedLetter{}
	for i, line := range lines {
		f := strings.Fields(line)
		if len(f) < 3 {
			t.Errorf("letter line %q", line)
			continue
		}
		// Control numbers run through the batch without a gap: a chunk that rolled back took none.
		if f[0] != fmt.Sprint(i+1) {
			t.Errorf("letter %d has control number %s, want %d", i+1, f[0], i+1)
		}
		if _, twice := letters[f[1]]; twice {
			t.Errorf("serial %s printed twice", f[1])
		}
		letters[f[1]] = printedLetter{serial: f[1], user: f[2]}
	}
	if len(lines) != b.Letters || len(manifest) != b.Letters {
		t.Errorf("batch counts %d letters; its chunks hold %d letters and %d manifest rows", b.Letters, len(lines), len(manifest))
	}
	for _, row := range manifest {
		if l, ok := letters[row[1]]; !ok || l.user != row[2] {
			t.Errorf("manifest row %v has no letter for that serial and user", row)
		}
	}
	return b, letters
}

// chunkEnd is what became of one chunk a runner tried.
type chunkEnd struct {
	owner string
	err   error
}

// fleet runs several runners, each with its own owner, on one job at once, until the job has
// ended. A runner loops RunOne; when it finds no job, or loses the job, it waits until a chunk
// ended somewhere (committed or rolled back) and tries again. Every jumpEvery-th chunk that
// still holds its lease at its commit moves the runners' clock past the lease there, inside the
// commit: the runner that holds the job works on its next chunk while the others race to take
// the job over, so that its next commit is refused.
type fleet struct {
	rw        *rolloutWorld
	jobID     string
	jumpEvery int
	// within, when set, is called in every chunk's transaction before the runner records it.
	within func(owner string, tried []rollout.Item)

	holds atomic.Int64
	mu    sync.Mutex
	wake  chan struct{}
	ends  []chunkEnd
	// committed fires once, at the first chunk committed.
	committed     chan struct{}
	committedOnce sync.Once
}

func newFleet(rw *rolloutWorld, jobID string, jumpEvery int) *fleet {
	return &fleet{rw: rw, jobID: jobID, jumpEvery: jumpEvery, wake: make(chan struct{}), committed: make(chan struct{})}
}

func (f *fleet) waiting() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wake
}

func (f *fleet) fire() {
	f.mu.Lock()
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
}

// fleetLeases are the store's leases; each chunk that still holds its lease may move the clock.
type fleetLeases struct {
	approllout.Leases
	f *fleet
}

func (l fleetLeases) Holds(ctx context.Context, jobID, owner string, until time.Time) (bool, error) {
	ok, err := l.Leases.Holds(ctx, jobID, owner, until)
	if ok && err == nil && l.f.jumpEvery > 0 && l.f.holds.Add(1)%int64(l.f.jumpEvery) == 0 {
		l.f.rw.leaseClock.Set(l.f.rw.leaseClock.Now().Add(2 * rolloutLease))
	}
	return ok, err
}

// fleetPrinting is the printing seam, telling the fleet of each chunk's end.
type fleetPrinting struct {
	approllout.Printing
	f     *fleet
	owner string
}

func (p fleetPrinting) IssueChunk(ctx context.Context, batchID string, run approllout.ChunkRun, items []rollout.Item,
	within func(context.Context, []rollout.Item, bool) error) error {
	err := p.Printing.IssueChunk(ctx, batchID, run, items, func(ctx context.Context, tried []rollout.Item, fatal bool) error {
		if p.f.within != nil {
			p.f.within(p.owner, tried)
		}
		return within(ctx, tried, fatal)
	})
	p.f.mu.Lock()
	p.f.ends = append(p.f.ends, chunkEnd{owner: p.owner, err: err})
	p.f.mu.Unlock()
	if err == nil {
		p.f.committedOnce.Do(func() { close(p.f.committed) })
	}
	p.f.fire()
	return err
}

// run runs n runners until the job has ended and fails the test on any runner's error.
func (f *fleet) run(ctx context.Context, t *testing.T, n int) {
	t.Helper()
	errs := race(n, func(i int) error {
		owner := fmt.Sprintf("instance-%d", i)
		r := f.rw.runner(owner, fleetLeases{Leases: f.rw.jobs, f: f}, fleetPrinting{Printing: f.rw.printing, f: f, owner: owner})
		for {
			wake := f.waiting()
			if _, err := r.RunOne(ctx); err != nil {
				f.fire()
				return fmt.Errorf("%s: %w", owner, err)
			}
			j, err := f.rw.jobs.Job(ctx, "acme", f.jobID)
			if err != nil {
				f.fire()
				return fmt.Errorf("%s: %w", owner, err)
			}
			if j.Status.Ended() {
				f.fire()
				return nil
			}
			select {
			case <-wake:
			case <-ctx.Done():
				return fmt.Errorf("%s: job %s still %s: %w", owner, f.jobID, j.Status, ctx.Err())
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			t.Errorf("runner: %v", err)
		}
	}
}

// report says how the chunks ended: committed by how many owners, refused for a lost lease,
// stopped by the job's end; it fails on any other error.
func (f *fleet) report(t *testing.T) (committed map[string]int, leaseLost, stopped int) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	committed = map[string]int{}
	for _, e := range f.ends {
		switch {
		case e.err == nil:
			committed[e.owner]++
		case strings.Contains(e.err.Error(), "lease passed to another instance"):
			leaseLost++
		case strings.Contains(e.err.Error(), "rollout job: stopped"):
			stopped++
		default:
			t.Errorf("chunk of %s: %v", e.owner, e.err)
		}
	}
	t.Logf("chunks: %d committed (by owner %v), %d refused for a lost lease, %d stopped by the job's end",
		len(f.ends)-leaseLost-stopped, committed, leaseLost, stopped)
	return committed, leaseLost, stopped
}

// checkIssueJob checks what a job of kind issue left: every item issued (with exactly one card
// of its user, the one it names, and exactly one letter in the sealed batch) or, for a cancelled
// job, skipped with errors.jobCancelled (and its user without a card); the job's counts and the
// batch's counts match the items, and the cards' events are those of the issued items. It
// returns how many items were issued.
func (rw *rolloutWorld) checkIssueJob(t *testing.T, jobID string, users []string, want rollout.Status) int {
	t.Helper()
	job := rw.job(t, jobID)
	if job.Status != want || job.Finished.IsZero() || job.Total != len(users) {
		t.Errorf("job %+v: want %s with %d items and a finish time", job, want, len(users))
	}
	items := rw.items(t, jobID)
	if len(items) != len(users) {
		t.Fatalf("%d items, want %d", len(items), len(users))
	}
	cards := rw.cardsByUser(t)
	batch, letters := rw.batchOf(t, job)
	issued := 0
	for i, it := range items {
		if it.N != i+1 || it.UserExtID != users[i] {
			t.Errorf("item %d: %+v, want number %d for %s", i, it, i+1, users[i])
		}
		held := cards[it.UserExtID]
		switch {
		case it.Result == rollout.ResultIssued:
			issued++
			if len(held) != 1 || held[0].ExtID != it.CredentialExtID || held[0].Serial != it.SerialNumber {
				t.Errorf("item %d of %s issued %s (%s); the user holds %+v, want exactly that card", it.N, it.UserExtID,
					it.CredentialExtID, it.SerialNumber, held)
			}
			if l, ok := letters[it.SerialNumber]; !ok || l.user != it.UserExtID {
				t.Errorf("item %d of %s: no letter for serial %s", it.N, it.UserExtID, it.SerialNumber)
			}
		case want == rollout.StatusCancelled && it.Result == rollout.ResultSkipped && it.ErrorCode == approllout.CodeCancelled:
			if len(held) != 0 || it.CredentialExtID != "" {
				t.Errorf("item %d of %s skipped by the cancel, but the user holds %+v (item names %q)", it.N, it.UserExtID, held, it.CredentialExtID)
			}
		default:
			t.Errorf("item %d of %s: %s %q, want issued", it.N, it.UserExtID, it.Result, it.ErrorCode)
		}
	}
	if len(letters) != issued || batch.Letters != issued {
		t.Errorf("the batch holds %d letters (counts %d), want one per issued card: %d", len(letters), batch.Letters, issued)
	}
	if job.Done != issued || job.Failed != 0 {
		t.Errorf("job counts done %d, failed %d; want %d done (the issued items), 0 failed", job.Done, job.Failed, issued)
	}
	if n := count(t, rw.db, "SELECT count(*) FROM otp_cards WHERE client_ext_id = 'acme'"); n != issued {
		t.Errorf("%d cards in the database, want %d", n, issued)
	}
	if n := count(t, rw.db, "SELECT count(*) FROM events WHERE type = 'otp-card.created' AND data->>'jobId' = ? AND actor_subject = 'root'", jobID); n != issued {
		t.Errorf("%d otp-card.created events of the job by its creator, want %d", n, issued)
	}
	if n := count(t, rw.db, "SELECT count(*) FROM events WHERE type = 'otp-card.created'"); n != issued {
		t.Errorf("%d otp-card.created events, want %d", n, issued)
	}
	end := "rollout-job.finished"
	if n := count(t, rw.db, "SELECT count(*) FROM events WHERE type LIKE 'rollout-job.%' AND type <> 'rollout-job.created' AND data->>'jobId' = ?", jobID); n != 1 {
		t.Errorf("%d end events of the job, want exactly one", n)
	}
	if n := count(t, rw.db, "SELECT count(*) FROM events WHERE type = ? AND data->>'jobId' = ? AND data->>'status' = ?", end, jobID, string(want)); n != 1 {
		t.Errorf("%d %s events with status %s, want 1", n, end, want)
	}
	return issued
}

// TestRolloutRunnersNeverDoubleAnItem: five runners of five instances work on one job of 60
// users in chunks of 7 at once, and the job changes hands again and again (the lease runs out
// at every other commit while its runner goes on to its next chunk, and the others race to
// take it over). Every user ends with exactly one card, every item is issued once, and the
// sealed batch holds exactly one letter per card.
func TestRolloutRunnersNeverDoubleAnItem(t *testing.T) {
	rw := newRolloutWorld(t)
	users := rw.users(t, "u", 60)
	job := rw.create(t, rollout.Request{Kind: rollout.KindIssue, Users: users})
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()

	f := newFleet(rw, job.ID, 2)
	f.run(ctx, t, 5)
	committed, leaseLost, _ := f.report(t)
	if found, err := rw.runner("instance-late", rw.jobs, rw.printing).RunOne(ctx); found || err != nil {
		t.Errorf("a runner after the job ended: %v, %v; want no job", found, err)
	}

	if issued := rw.checkIssueJob(t, job.ID, users, rollout.StatusSucceeded); issued != len(users) {
		t.Errorf("%d items issued, want %d", issued, len(users))
	}
	if b, _ := rw.batchOf(t, rw.job(t, job.ID)); b.Chunks != (len(users)+rolloutChunk-1)/rolloutChunk {
		t.Errorf("batch of %d chunks, want %d: one per committed chunk of %d", b.Chunks, (len(users)+rolloutChunk-1)/rolloutChunk, rolloutChunk)
	}
	if len(committed) < 2 || leaseLost == 0 {
		t.Errorf("the job never changed hands under a runner at work (chunks committed by %v, %d refused): the test did not test the takeover", committed, leaseLost)
	}
	for _, u := range users {
		if n := count(t, rw.db, "SELECT count(*) FROM otp_cards WHERE user_ext_id = ?", u); n != 1 {
			t.Errorf("%s holds %d cards, want 1", u, n)
		}
	}
}

// pausing is a printing seam that stops inside each chunk's transaction (the chunk's cards are
// saved, its items not recorded yet) and hands the tried items to the test, until it resumes.
type pausing struct {
	approllout.Printing
	ctx    context.Context
	at     chan []rollout.Item
	resume chan struct{}
}

func (p *pausing) IssueChunk(ctx context.Context, batchID string, run approllout.ChunkRun, items []rollout.Item,
	within func(context.Context, []rollout.Item, bool) error) error {
	return p.Printing.IssueChunk(ctx, batchID, run, items, func(ctx context.Context, tried []rollout.Item, fatal bool) error {
		select {
		case p.at <- tried:
		case <-p.ctx.Done():
			return p.ctx.Err()
		}
		select {
		case <-p.resume:
		case <-p.ctx.Done():
			return p.ctx.Err()
		}
		return within(ctx, tried, fatal)
	})
}

// entering is a printing seam that hands the test the items of each chunk as it starts it.
type entering struct {
	approllout.Printing
	items chan []rollout.Item
}

func (e *entering) IssueChunk(ctx context.Context, batchID string, run approllout.ChunkRun, items []rollout.Item,
	within func(context.Context, []rollout.Item, bool) error) error {
	select {
	case e.items <- items:
	default:
	}
	return e.Printing.IssueChunk(ctx, batchID, run, items, within)
}

type runOutcome struct {
	found bool
	err   error
}

// TestRolloutLeaseTakeover: the runner of instance A stops inside its chunks' transactions. When
// its lease runs out and nobody takes the job, its chunk still commits and renews the lease. When
// its lease runs out and instance B claims the job, B works on the very items A is working on
// (it waits for A's users' locks); A's late commit is refused and rolls back (not one of its
// cards, events or letters remains); B issues them, and every user ends with exactly one card.
func TestRolloutLeaseTakeover(t *testing.T) {
	rw := newRolloutWorld(t)
	users := rw.users(t, "u", 3*rolloutChunk)
	job := rw.create(t, rollout.Request{Kind: rollout.KindIssue, Users: users})
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()

	a := &pausing{Printing: rw.printing, ctx: ctx, at: make(chan []rollout.Item), resume: make(chan struct{})}
	runnerA := rw.runner("instance-a", rw.jobs, a)
	aDone := make(chan runOutcome, 1)
	go func() {
		found, err := runnerA.RunOne(ctx)
		aDone <- runOutcome{found, err}
	}()
	next := func(what string) []rollout.Item {
		t.Helper()
		select {
		case tried := <-a.at:
			return tried
		case o := <-aDone:
			t.Fatalf("%s: runner A returned %+v", what, o)
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, ctx.Err())
		}
		return nil
	}
	leaseOf := func() (owner string, until time.Time) {
		t.Helper()
		var row struct {
			Owner string    `bun:"claimed_by"`
			Until time.Time `bun:"lease_until"`
		}
		if err := rw.db.NewRaw("SELECT claimed_by, lease_until FROM rollout_jobs WHERE id = ?", job.ID).Scan(context.Background(), &row); err != nil {
			t.Fatal(err)
		}
		return row.Owner, row.Until
	}

	// Chunk 1: the lease runs out under A, and nobody takes the job: A's chunk commits and
	// extends the lease from A's clock.
	first := next("chunk 1")
	rw.leaseClock.Set(rw.leaseClock.Now().Add(2 * rolloutLease))
	a.resume <- struct{}{}
	second := next("chunk 2")
	if owner, until := leaseOf(); owner != "instance-a" || !until.Equal(rw.leaseClock.Now().Add(rolloutLease)) {
		t.Errorf("after chunk 1 the lease is %s's until %v, want instance-a's until %v", owner, until, rw.leaseClock.Now().Add(rolloutLease))
	}
	if j := rw.job(t, job.ID); j.Done != rolloutChunk || j.Status != rollout.StatusRunning {
		t.Errorf("after chunk 1 the job is %s with %d done, want running with %d", j.Status, j.Done, rolloutChunk)
	}

	// Chunk 2: A's lease runs out again, and B takes the job while A's transaction is open.
	rw.leaseClock.Set(rw.leaseClock.Now().Add(2 * rolloutLease))
	b := &entering{Printing: rw.printing, items: make(chan []rollout.Item, 1)}
	runnerB := rw.runner("instance-b", rw.jobs, b)
	bDone := make(chan runOutcome, 1)
	go func() {
		var o runOutcome
		for i := 0; ; i++ {
			found, err := runnerB.RunOne(ctx)
			if err != nil || !found || i > 3 {
				o = runOutcome{i > 0, err}
				break
			}
		}
		bDone <- o
	}()
	var taken []rollout.Item
	select {
	case taken = <-b.items:
	case o := <-bDone:
		t.Fatalf("runner B returned %+v before it started a chunk", o)
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	if owner, _ := leaseOf(); owner != "instance-b" {
		t.Fatalf("the job is claimed by %q, want instance-b", owner)
	}
	if len(taken) != len(second) || taken[0].N != second[0].N || taken[len(taken)-1].N != second[len(second)-1].N {
		t.Errorf("B took items %d..%d, want those A works on, %d..%d", taken[0].N, taken[len(taken)-1].N, second[0].N, second[len(second)-1].N)
	}
	a.resume <- struct{}{}
	var oa runOutcome
	select {
	case oa = <-aDone:
	case next := <-a.at:
		t.Fatalf("runner A's late commit of items %d..%d was accepted: it went on to items %d..%d",
			second[0].N, second[len(second)-1].N, next[0].N, next[len(next)-1].N)
	case <-ctx.Done():
		t.Fatal("runner A did not return after its lease was lost:", ctx.Err())
	}
	if !oa.found || oa.err != nil {
		t.Errorf("runner A: found %v, %v; want true, nil (the lease passed, the chunk rolled back)", oa.found, oa.err)
	}
	lost := make([]string, 0, len(second))
	for _, it := range second {
		if it.Result != rollout.ResultIssued || it.CredentialExtID == "" {
			t.Fatalf("A's refused chunk held %+v, want issued items", it)
		}
		lost = append(lost, it.CredentialExtID)
	}
	if n := count(t, rw.db, "SELECT count(*) FROM otp_cards WHERE ext_id IN (?)", bun.In(lost)); n != 0 {
		t.Errorf("%d cards of A's refused chunk remain, want none", n)
	}
	if n := count(t, rw.db, "SELECT count(*) FROM events WHERE credential_ext_id IN (?)", bun.In(lost)); n != 0 {
		t.Errorf("%d events of A's refused chunk remain, want none", n)
	}

	var ob runOutcome
	select {
	case ob = <-bDone:
	case <-ctx.Done():
		t.Fatal("runner B did not finish:", ctx.Err())
	}
	if ob.err != nil || !ob.found {
		t.Fatalf("runner B: found %v, %v; want the job, nil", ob.found, ob.err)
	}
	if found, err := runnerA.RunOne(ctx); found || err != nil {
		t.Errorf("runner A again: %v, %v; want no job", found, err)
	}

	rw.checkIssueJob(t, job.ID, users, rollout.StatusSucceeded)
	_, letters := rw.batchOf(t, rw.job(t, job.ID))
	for _, it := range second {
		if _, ok := letters[it.SerialNumber]; ok {
			t.Errorf("the batch holds a letter for %s, a card of A's refused chunk", it.SerialNumber)
		}
	}
	items := rw.items(t, job.ID)
	for i, it := range first {
		if items[i].CredentialExtID != it.CredentialExtID {
			t.Errorf("item %d names %s, want %s, the card of A's committed chunk", it.N, items[i].CredentialExtID, it.CredentialExtID)
		}
	}
	if owner, _ := leaseOf(); owner != "instance-b" {
		t.Errorf("the job ended with the lease of %q, want instance-b", owner)
	}
}

// TestRolloutCancelRacesRunner: five runners work on a job of 60 users (changing hands as in
// TestRolloutRunnersNeverDoubleAnItem) while it is cancelled, by three cancels at once: one
// cancels, the others find it ended; then the job is cancelled, its batch sealed, and every item
// issued (its user holding exactly that card, with exactly one letter) or skipped with
// errors.jobCancelled (its user holding none). Cancel while a chunk is inside its transaction
// (it must not commit), and cancel between chunks.
func TestRolloutCancelRacesRunner(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inFlight bool
	}{{"chunk in flight", true}, {"between chunks", false}} {
		t.Run(tc.name, func(t *testing.T) {
			rw := newRolloutWorld(t)
			users := rw.users(t, "u", 60)
			job := rw.create(t, rollout.Request{Kind: rollout.KindIssue, Users: users})
			ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
			defer cancel()

			var cancels []error
			var inFlight []rollout.Item
			var once sync.Once
			doCancel := func() {
				cancels = race(3, func(int) error {
					_, err := rw.rollout.CancelJob.Do(ctx, approllout.JobQuery{Caller: rw.root, ClientExtID: "acme", ID: job.ID})
					return err
				})
			}
			f := newFleet(rw, job.ID, 2)
			var withins atomic.Int64
			if tc.inFlight {
				// The third chunk to reach its transaction's end waits, inside it, for the cancels.
				f.within = func(_ string, tried []rollout.Item) {
					if withins.Add(1) == 3 {
						once.Do(func() { inFlight = tried; doCancel() })
					}
				}
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				if !tc.inFlight {
					select {
					case <-f.committed:
						once.Do(doCancel)
					case <-ctx.Done():
					}
				}
			}()
			f.run(ctx, t, 5)
			<-done
			f.report(t)
			rw.leaseClock.Set(rw.leaseClock.Now().Add(2 * rolloutLease))
			if found, err := rw.runner("instance-late", rw.jobs, rw.printing).RunOne(ctx); found || err != nil {
				t.Errorf("a runner after the cancel: %v, %v; want no job", found, err)
			}
			if n := len(cancels); n != 3 {
				t.Fatalf("%d cancels ran, want 3", n)
			}
			assertOutcomes(t, cancels, 1, "rollout.ErrEnded", wrapping(rollout.ErrEnded))
			issued := rw.checkIssueJob(t, job.ID, users, rollout.StatusCancelled)
			if issued == len(users) {
				t.Errorf("every item was issued: the cancel came after the job")
			}
			t.Logf("%d of %d items issued before the cancel", issued, len(users))
			if tc.inFlight {
				for _, it := range inFlight {
					if n := count(t, rw.db, "SELECT count(*) FROM otp_cards WHERE ext_id = ?", it.CredentialExtID); n != 0 {
						t.Errorf("card %s of the chunk in flight at the cancel was committed", it.CredentialExtID)
					}
				}
			}
			if _, err := rw.rollout.CancelJob.Do(t.Context(), approllout.JobQuery{Caller: rw.root, ClientExtID: "acme", ID: job.ID}); !errors.Is(err, rollout.ErrEnded) {
				t.Errorf("cancel of the cancelled job: %v, want rollout.ErrEnded", err)
			}
		})
	}
}

// TestRolloutRenewsSelectedCardsOnce: a renew job of the cards close to expiration (through the
// credential module's RolloutTargets) selects exactly those cards, fixed when it is stored; five
// runners renew them while three of their users renew their cards by hand at the same moment.
// Every selected card ends with exactly one successor: the job's (item renewed, with one letter)
// or the hand's (item failed, no letter); the cards not selected keep none.
func TestRolloutRenewsSelectedCardsOnce(t *testing.T) {
	rw := newRolloutWorld(t)
	old := make([]string, 20)
	for i := range old {
		old[i] = fmt.Sprintf("r%02d", i)
		rw.issue(t, old[i])
		addressee(t, rw.prints, old[i])
	}
	rw.clock.Set(lifecycleT0.Add(5 * 365 * day))
	fresh := []string{"s00", "s01", "s02"}
	for _, u := range fresh {
		rw.issue(t, u)
		addressee(t, rw.prints, u)
	}
	rw.clock.Set(lifecycleT0.Add(tenYears - 5*day))
	job := rw.create(t, rollout.Request{Kind: rollout.KindRenew, Selection: rollout.CardsCloseToExpiration, Comment: "wave 1"})
	if job.Total != len(old) {
		t.Fatalf("the selection selected %d cards, want %d", job.Total, len(old))
	}
	for i, it := range rw.items(t, job.ID) {
		if it.UserExtID != old[i] || it.TargetExtID != old[i]+"-1" || it.Result != rollout.ResultPending {
			t.Errorf("item %d: %+v, want %s's card %s-1, pending", i+1, it, old[i], old[i])
		}
	}
	// A card close to expiration that was not there when the job was stored is not the job's.
	rw.clock.Set(lifecycleT0)
	rw.issue(t, "late")
	addressee(t, rw.prints, "late")
	rw.clock.Set(lifecycleT0.Add(tenYears - 5*day))
	fresh = append(fresh, "late")

	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	byHand := []string{old[3], old[10], old[17]}
	handErrs := make([]error, len(byHand))
	var wg sync.WaitGroup
	f := newFleet(rw, job.ID, 2)
	start := make(chan struct{})
	for i, u := range byHand {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, handErrs[i] = rw.cards.RenewOTPCard.Do(ctx, appcredential.RenewCommand{Caller: rw.root,
				Key: appcredential.CardKey{ClientExtID: "acme", UserExtID: u, ExtID: u + "-1"}, ExtID: u + "-2"})
		}()
	}
	go func() {
		select {
		case <-f.committed:
		case <-ctx.Done():
		}
		close(start)
	}()
	f.run(ctx, t, 5)
	wg.Wait()
	f.report(t)

	job = rw.job(t, job.ID)
	items := rw.items(t, job.ID)
	cards := rw.cardsByUser(t)
	_, letters := rw.batchOf(t, job)
	renewed, failed := 0, 0
	for i, it := range items {
		u := it.UserExtID
		var successors []storedCard
		for _, c := range cards[u] {
			if c.Predecessor == u+"-1" {
				successors = append(successors, c)
			}
		}
		if len(successors) != 1 {
			t.Errorf("%s-1 has %d successors %+v, want exactly 1", u, len(successors), successors)
			continue
		}
		s := successors[0]
		hand := slices.Index(byHand, u)
		switch it.Result {
		case rollout.ResultRenewed:
			renewed++
			if s.ExtID != it.CredentialExtID || s.Serial != it.SerialNumber {
				t.Errorf("item %d renewed %s-1 into %s (%s); its successor is %s (%s)", it.N, u, it.CredentialExtID, it.SerialNumber, s.ExtID, s.Serial)
			}
			if l, ok := letters[it.SerialNumber]; !ok || l.user != u {
				t.Errorf("item %d of %s: no letter for its successor %s", it.N, u, it.SerialNumber)
			}
			if hand >= 0 && handErrs[hand] == nil {
				t.Errorf("%s-1 was renewed by the job and by hand", u)
			}
		case rollout.ResultFailed:
			failed++
			t.Logf("item %d of %s (renewed by hand first) failed with %s", it.N, u, it.ErrorCode)
			if hand < 0 || handErrs[hand] != nil || s.ExtID != u+"-2" || it.ErrorCode == "" {
				t.Errorf("item %d of %s failed (%s); renewed by hand: %v, successor %s", it.N, u, it.ErrorCode, hand >= 0 && handErrs[hand] == nil, s.ExtID)
			}
			if _, ok := letters[s.Serial]; ok {
				t.Errorf("the batch holds a letter for %s, renewed by hand", s.ExtID)
			}
		default:
			t.Errorf("item %d of %s: %s %q, want renewed, or failed when renewed by hand", i+1, u, it.Result, it.ErrorCode)
		}
	}
	t.Logf("renewed by the job: %d, by hand first: %d; the hand's renewals: %v", renewed, failed, handErrs)
	if job.Status != rollout.StatusSucceeded || job.Done != len(old) || job.Failed != failed {
		t.Errorf("job %+v: want succeeded, %d done, %d failed", job, len(old), failed)
	}
	if len(letters) != renewed {
		t.Errorf("%d letters, want one per renewed card: %d", len(letters), renewed)
	}
	for _, u := range fresh {
		if n := count(t, rw.db, "SELECT count(*) FROM otp_cards WHERE predecessor_ext_id = ?", u+"-1"); n != 0 {
			t.Errorf("%s-1, not selected, has %d successors", u, n)
		}
	}
	if n := count(t, rw.db, "SELECT count(*) FROM events WHERE type = 'otp-card.renewed' AND data->>'jobId' = ? AND actor_subject = 'root'", job.ID); n != renewed {
		t.Errorf("%d otp-card.renewed events of the job by its creator, want %d", n, renewed)
	}
	if n := count(t, rw.db, "SELECT count(*) FROM otp_cards WHERE modification_comment = 'wave 1'"); n != renewed {
		t.Errorf("%d cards carry the job's comment, want %d", n, renewed)
	}
}

// TestRolloutSweepStaging: an import cut off while its file streamed (a crash) is swept with its
// items and staged rows once it is older than the sweep's bound; a newer one, and a queued job,
// stay.
func TestRolloutSweepStaging(t *testing.T) {
	db := openDB(t)
	store := postgres.NewRolloutStore(db)
	ctx := t.Context()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, status := range []rollout.Status{rollout.StatusStaging, rollout.StatusStaging, rollout.StatusQueued} {
		j := rollout.Job{ID: fmt.Sprintf("00000000-0000-4000-8000-00000000000%d", i), ClientExtID: "acme", Kind: rollout.KindImport,
			Status: status, CreatedBy: event.Actor{Subject: "root", Mode: "admin"}, Created: t0.Add(time.Duration(i) * time.Hour)}
		if err := store.CreateJob(ctx, j, nil, func(context.Context, *rollout.Job) ([]event.Event, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
		if err := store.AddItems(ctx, j.ID, []rollout.Item{{N: 1, UserExtID: "ann", Result: rollout.ResultPending}}, map[int][]byte{1: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := store.SweepStaging(ctx, t0.Add(30*time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want 1", n, err)
	}
	assertCounts(t, db, map[string]int{
		"SELECT count(*) FROM rollout_jobs":                                                   2,
		"SELECT count(*) FROM rollout_items":                                                  2,
		"SELECT count(*) FROM rollout_import_rows":                                            2,
		"SELECT count(*) FROM rollout_jobs WHERE id = '00000000-0000-4000-8000-000000000000'": 0,
	})
	if _, err := store.JobByID(ctx, "00000000-0000-4000-8000-000000000001"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("a job staging is read as %v, want not found", err)
	}
}
