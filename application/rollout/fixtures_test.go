package rollout_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/caller/callertest"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/printing"
	"github.com/otpcard/otpcard/domain/rollout"
)

var (
	now    = time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	tracer = noop.NewTracerProvider().Tracer("")
	// alice is the actor of the events of admin callers.
	alice = event.Actor{Subject: "alice", Mode: "admin"}
)

func clock() time.Time { return now }

// The callers of the cases (see callertest).
var (
	admin, adminIn = callertest.Admin, callertest.AdminIn
	refused        = callertest.Refused
	// creator may create jobs; operator may cancel them.
	creator  = admin(access.RolloutCreate, access.CredentialCreate)
	operator = admin(access.RolloutCreate)
)

// owner names the instance the tests' runner runs on.
const owner = "instance-1"

// world is the module's use cases and runner over the fakes: client-a has print recipients,
// client-b has none.
type world struct {
	*memory
	store   store
	printer *printer
	targets *targets
	woken   int
	uc      approllout.UseCases
}

func newWorld() *world {
	m := newMemory()
	w := &world{memory: m, store: store{m}, targets: &targets{},
		printer: &printer{memory: m, withRecipients: map[string]bool{"client-a": true}, outcomes: map[string]outcome{}}}
	w.uc = approllout.New(approllout.Deps{Jobs: w.store, Targets: w.targets, Printing: w.printer,
		Wake: func() { w.woken++ }, Now: clock, Tracer: tracer})
	return w
}

// runner runs this world's jobs in chunks of chunk items, under leases of a minute.
func (w *world) runner(chunk int) *approllout.Runner {
	return approllout.NewRunner(approllout.RunnerDeps{Jobs: w.store, Leases: w.store, Printing: w.printer,
		Now: clock, Owner: owner, Lease: time.Minute, Chunk: chunk})
}

// userList is user-1 ... user-n.
func userList(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user-%d", i+1)
	}
	return out
}

// create stores a job of client-a as creator asks, and fails the test when it cannot.
func (w *world) create(t *testing.T, req rollout.Request) rollout.Job {
	t.Helper()
	j, err := w.uc.CreateJob.Do(context.Background(), approllout.CreateCommand{Caller: creator, ClientExtID: "client-a", Request: req})
	if err != nil {
		t.Fatalf("create job: got error %v, want nil", err)
	}
	return j
}

// issueTo stores a job of client-a issuing cards to n users.
func (w *world) issueTo(t *testing.T, n int) rollout.Job {
	t.Helper()
	return w.create(t, rollout.Request{Kind: rollout.KindIssue, Users: userList(n), Comment: "wave 1"})
}

// cancel cancels job id of client-a as c.
func (w *world) cancel(c caller.Caller, client, id string) (rollout.Job, error) {
	return w.uc.CancelJob.Do(context.Background(), approllout.JobQuery{Caller: c, ClientExtID: client, ID: id})
}

// job is the stored job id; it stops the test when there is none.
func (w *world) job(t *testing.T, id string) rollout.Job {
	t.Helper()
	j, ok := w.db.jobs[id]
	if !ok {
		t.Fatalf("job %s: got none stored, want one", id)
	}
	return j
}

// batch is the stored batch id; it stops the test when there is none.
func (w *world) batch(t *testing.T, id string) printing.Batch {
	t.Helper()
	b, ok := w.db.batches[id]
	if !ok {
		t.Fatalf("batch %q: got none stored, want one", id)
	}
	return b
}

// results are the job's items as "user:result" or "user:result:code".
func (w *world) results(id string) []string {
	var out []string
	for _, it := range w.db.items[id] {
		s := it.UserExtID + ":" + string(it.Result)
		if it.ErrorCode != "" {
			s += ":" + it.ErrorCode
		}
		out = append(out, s)
	}
	return out
}

// wantResults fails unless the job's items are want, in order.
func (w *world) wantResults(t *testing.T, id string, want ...string) {
	t.Helper()
	if got := w.results(id); !slices.Equal(got, want) {
		t.Errorf("items:\n got %q\nwant %q", got, want)
	}
}

// eventTypes are the types of the events recorded, in order.
func (w *world) eventTypes() []event.Type {
	out := make([]event.Type, len(w.db.events))
	for i, e := range w.db.events {
		out[i] = e.Type
	}
	return out
}

// wantEventTypes fails unless the events recorded are of the types want, in order.
func (w *world) wantEventTypes(t *testing.T, want ...event.Type) {
	t.Helper()
	if got := w.eventTypes(); !slices.Equal(got, want) {
		t.Errorf("events: got %q, want %q", got, want)
	}
}

// lastEvent is the last event recorded; it stops the test when there is none.
func (w *world) lastEvent(t *testing.T) event.Event {
	t.Helper()
	if len(w.db.events) == 0 {
		t.Fatal("events: got none, want one")
	}
	return w.db.events[len(w.db.events)-1]
}

// wantJob fails unless j has the status and counts given.
func wantJob(t *testing.T, j rollout.Job, status rollout.Status, done, failed int) {
	t.Helper()
	if j.Status != status || j.Done != done || j.Failed != failed {
		t.Errorf("job: got %s with %d done, %d failed; want %s with %d done, %d failed",
			j.Status, j.Done, j.Failed, status, done, failed)
	}
}

// wantBatch fails unless b holds letters in chunks and is sealed or not.
func wantBatch(t *testing.T, b printing.Batch, letters, chunks int, sealed bool) {
	t.Helper()
	if b.Letters != letters || b.Chunks != chunks || b.Sealed != sealed {
		t.Errorf("batch: got %d letters in %d chunks, sealed %v; want %d in %d, sealed %v",
			b.Letters, b.Chunks, b.Sealed, letters, chunks, sealed)
	}
}

// wantCalls fails unless the fakes' method was called n times.
func wantCalls(t *testing.T, m *memory, method string, n int) {
	t.Helper()
	if got := m.Called(method); got != n {
		t.Errorf("%s: got %d calls, want %d", method, got, n)
	}
}
