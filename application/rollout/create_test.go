package rollout_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/application/caller/callertest"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
	"github.com/otpcard/otpcard/domain/rollout"
)

// wantNothingCreated fails unless no job, batch, event or wake-up came of a refused creation.
func wantNothingCreated(t *testing.T, w *world) {
	t.Helper()
	if len(w.db.jobs) != 0 || len(w.db.items) != 0 || len(w.db.batches) != 0 || len(w.db.events) != 0 {
		t.Errorf("got %d jobs, %d item lists, %d batches, %d events stored; want none",
			len(w.db.jobs), len(w.db.items), len(w.db.batches), len(w.db.events))
	}
	if w.woken != 0 {
		t.Errorf("wake: got %d calls, want 0", w.woken)
	}
}

// TestCreateJobRefusesInvalidRequests: a request that breaks a rule of section 11.1 is 400 before
// anything is looked up or stored.
func TestCreateJobRefusesInvalidRequests(t *testing.T) {
	for _, tt := range []struct {
		name string
		req  rollout.Request
	}{
		{"import as JSON", rollout.Request{Kind: rollout.KindImport, Users: []string{"user-1"}}},
		{"both users and selection", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-1"}, Selection: rollout.UsersWithoutCard}},
		{"neither users nor selection", rollout.Request{Kind: rollout.KindIssue}},
		{"empty users", rollout.Request{Kind: rollout.KindIssue, Users: []string{}}},
		{"a duplicate user", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-1", "user-1"}}},
		{"a kind and selection that do not go together", rollout.Request{Kind: rollout.KindIssue, Selection: rollout.CardsLowOnChallenges}},
		{"a policy for a renewal of users", rollout.Request{Kind: rollout.KindRenew, Users: []string{"user-1"}, PolicyExtID: "policy-a"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			_, err := w.uc.CreateJob.Do(context.Background(), approllout.CreateCommand{Caller: creator, ClientExtID: "client-a", Request: tt.req})
			refused(t, err, fault.ErrInvalid)
			wantNothingCreated(t, w)
			wantCalls(t, w.memory, "CreateJob", 0)
			wantCalls(t, w.memory, "OpenBatch", 0)
			if len(w.targets.queries) != 0 {
				t.Errorf("Targets: got %d calls, want 0", len(w.targets.queries))
			}
		})
	}
}

// TestCreateJobAccess: creating a job takes RolloutCreate and CredentialCreate in the client; a
// refused caller consults nothing.
func TestCreateJobAccess(t *testing.T) {
	rolloutOperator := caller.Caller{Principal: access.NewAdmin("olga", []string{"RolloutOperator"}, nil, nil)}
	for _, tt := range []struct {
		name    string
		caller  caller.Caller
		wantErr error
	}{
		{"RolloutCreate and CredentialCreate", creator, nil},
		{"the RolloutOperator role", rolloutOperator, nil},
		{"a Root admin in the data room", adminIn("client-a"), nil},
		{"RolloutCreate only", admin(access.RolloutCreate), access.ErrPermissionDenied},
		{"CredentialCreate only", admin(access.CredentialCreate), access.ErrPermissionDenied},
		{"RolloutView and CredentialCreate", admin(access.RolloutView, access.CredentialCreate), access.ErrPermissionDenied},
		{"a Root admin outside the data room", adminIn("client-b"), access.ErrDataroomDenied},
		{"a self-admin user", callertest.SelfAdmin("user-1", now), access.ErrPermissionDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			req := rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-1"}}
			j, err := w.uc.CreateJob.Do(context.Background(), approllout.CreateCommand{Caller: tt.caller, ClientExtID: "client-a", Request: req})
			if refused(t, err, tt.wantErr) {
				wantNothingCreated(t, w)
				wantCalls(t, w.memory, "CreateJob", 0)
				wantCalls(t, w.memory, "OpenBatch", 0)
				return
			}
			w.job(t, j.ID)
		})
	}
}

// TestCreateJobForUsers: the users named become the items in order, the job is queued with a
// print batch of its own, rollout-job.created is recorded and the runner is woken once.
func TestCreateJobForUsers(t *testing.T) {
	w := newWorld()
	j := w.create(t, rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-b", "user-a", "user-c"},
		PolicyExtID: "policy-a", Comment: "wave 1"})
	if err := rollout.ValidateJobID(j.ID); err != nil {
		t.Errorf("ID: got %q, want a job id (%v)", j.ID, err)
	}
	want := rollout.Job{ID: j.ID, ClientExtID: "client-a", Kind: rollout.KindIssue, Status: rollout.StatusQueued, Total: 3,
		PrintBatchID: "batch-1", PolicyExtID: "policy-a", Comment: "wave 1", CreatedBy: alice, Created: now}
	if j != want {
		t.Errorf("job:\n got %+v\nwant %+v", j, want)
	}
	if stored := w.job(t, j.ID); stored != j {
		t.Errorf("stored job:\n got %+v\nwant the job returned %+v", stored, j)
	}
	for i, it := range w.db.items[j.ID] {
		if it.JobID != j.ID || it.N != i+1 || it.TargetExtID != "" {
			t.Errorf("item %d: got %+v, want job %s, N %d, no target", i, it, j.ID, i+1)
		}
	}
	w.wantResults(t, j.ID, "user-b:pending", "user-a:pending", "user-c:pending")
	if b := w.batch(t, "batch-1"); b.JobID != j.ID || b.ClientExtID != "client-a" || b.Sealed {
		t.Errorf("batch: got %+v, want an open batch of client-a for job %s", b, j.ID)
	}
	w.wantEventTypes(t, printing.BatchCreated, rollout.JobCreated)
	ev := w.lastEvent(t)
	if ev.Actor != alice || ev.RequestID != "req-1" || ev.Data["jobId"] != j.ID || ev.Data["printBatchId"] != "batch-1" || ev.Data["total"] != "3" {
		t.Errorf("rollout-job.created: got %+v, want alice's (req-1) naming the job, batch-1 and total 3", ev)
	}
	if _, ok := ev.Data["selection"]; ok {
		t.Errorf("rollout-job.created: got selection %q, want none", ev.Data["selection"])
	}
	if len(w.targets.queries) != 0 {
		t.Errorf("Targets: got %d calls, want 0 for a job naming its users", len(w.targets.queries))
	}
	if w.woken != 1 {
		t.Errorf("wake: got %d calls, want 1", w.woken)
	}
}

// TestCreateJobForASelection: a selection is evaluated once, when the job is stored, and its
// targets (users and the cards to renew) become the items.
func TestCreateJobForASelection(t *testing.T) {
	w := newWorld()
	w.targets.found = []approllout.Target{{UserExtID: "user-3", CardExtID: "card-3"}, {UserExtID: "user-7", CardExtID: "card-7"}}
	j := w.create(t, rollout.Request{Kind: rollout.KindRenew, Selection: rollout.CardsCloseToExpiration, PolicyExtID: "policy-a"})
	wantQuery := approllout.TargetQuery{ClientExtID: "client-a", Selection: rollout.CardsCloseToExpiration, PolicyExtID: "policy-a", Now: now}
	if !slices.Equal(w.targets.queries, []approllout.TargetQuery{wantQuery}) {
		t.Errorf("Targets: got queries %+v, want one %+v", w.targets.queries, wantQuery)
	}
	if j.Total != 2 || j.Kind != rollout.KindRenew {
		t.Errorf("job: got %s of %d items, want renew of 2", j.Kind, j.Total)
	}
	var got []string
	for _, it := range w.db.items[j.ID] {
		got = append(got, it.UserExtID+"/"+it.TargetExtID)
	}
	if want := []string{"user-3/card-3", "user-7/card-7"}; !slices.Equal(got, want) {
		t.Errorf("items: got %q, want %q", got, want)
	}
	if ev := w.lastEvent(t); ev.Type != rollout.JobCreated || ev.Data["selection"] != string(rollout.CardsCloseToExpiration) {
		t.Errorf("event: got %s with selection %q, want %s with selection %q",
			ev.Type, ev.Data["selection"], rollout.JobCreated, rollout.CardsCloseToExpiration)
	}
	if w.woken != 1 {
		t.Errorf("wake: got %d calls, want 1", w.woken)
	}
}

// TestCreateJobAborts: when the batch cannot be opened (no print recipients: 422
// errors.missingReferenceData; no such client) or the selection cannot be evaluated, no job is
// stored and the runner is not woken.
func TestCreateJobAborts(t *testing.T) {
	errDown := errors.New("connection refused")
	noClient := &fault.NotFoundError{Entity: "client", ExtID: "client-x"}
	for _, tt := range []struct {
		name    string
		client  string
		req     rollout.Request
		openErr error
		findErr error
		wantErr error
	}{
		{"a client without print recipients", "client-b", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-1"}}, nil, nil, printing.ErrNoRecipients},
		{"an unknown client", "client-x", rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-1"}}, noClient, nil, fault.ErrNotFound},
		{"a selection that fails", "client-a", rollout.Request{Kind: rollout.KindIssue, Selection: rollout.UsersWithoutCard}, nil, errDown, errDown},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.printer.openErr, w.targets.err = tt.openErr, tt.findErr
			_, err := w.uc.CreateJob.Do(context.Background(), approllout.CreateCommand{Caller: creator, ClientExtID: tt.client, Request: tt.req})
			refused(t, err, tt.wantErr)
			wantNothingCreated(t, w)
		})
	}
	t.Run("the refusal keeps its code", func(t *testing.T) {
		w := newWorld()
		_, err := w.uc.CreateJob.Do(context.Background(), approllout.CreateCommand{Caller: creator, ClientExtID: "client-b",
			Request: rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-1"}}})
		if f, ok := fault.Of(err); !ok || f.Code() != "errors.missingReferenceData" {
			t.Errorf("got %v, want code errors.missingReferenceData", err)
		}
	})
}

// TestCreateJobEventNamesTheCaller: the created event is the caller's, whatever their role.
func TestCreateJobEventNamesTheCaller(t *testing.T) {
	w := newWorld()
	c := caller.Caller{Principal: access.NewAdmin("olga", []string{"RolloutOperator"}, nil, nil), RequestID: "req-7"}
	j, err := w.uc.CreateJob.Do(context.Background(), approllout.CreateCommand{Caller: c, ClientExtID: "client-a",
		Request: rollout.Request{Kind: rollout.KindIssue, Users: []string{"user-1"}}})
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	want := event.Actor{Subject: "olga", Mode: "admin"}
	if ev := w.lastEvent(t); ev.Actor != want || ev.RequestID != "req-7" || j.CreatedBy != want {
		t.Errorf("got event by %+v (%s), job created by %+v; want %+v (req-7) for both", ev.Actor, ev.RequestID, j.CreatedBy, want)
	}
}
