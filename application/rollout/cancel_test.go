package rollout_test

import (
	"testing"

	"github.com/otpcard/otpcard/application/caller"
	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
	"github.com/otpcard/otpcard/domain/rollout"
)

// runFirstItem makes job id running with its first item issued, as a runner would have left it.
func (w *world) runFirstItem(id string) {
	j := w.db.jobs[id]
	j.Start(now)
	j.Record(1, 0)
	w.db.jobs[id] = j
	w.db.items[id][0].Result = rollout.ResultIssued
}

// TestCancelJob: a queued or running job ends cancelled; the items not tried are skipped with
// errors.jobCancelled, those tried keep their result, and the batch is sealed with what it holds.
func TestCancelJob(t *testing.T) {
	for _, running := range []bool{false, true} {
		name := map[bool]string{false: "queued", true: "running"}[running]
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			j := w.issueTo(t, 3)
			wantFirst, wantDone := "user-1:skipped:"+approllout.CodeCancelled, 0
			if running {
				w.runFirstItem(j.ID)
				wantFirst, wantDone = "user-1:issued", 1
			}
			got, err := w.cancel(operator, "client-a", j.ID)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got != w.job(t, j.ID) {
				t.Errorf("got job %+v, want the one stored %+v", got, w.job(t, j.ID))
			}
			wantJob(t, got, rollout.StatusCancelled, wantDone, 0)
			if !got.Finished.Equal(now) || got.Started.IsZero() {
				t.Errorf("got started %v, finished %v; want both set, finished at %v", got.Started, got.Finished, now)
			}
			w.wantResults(t, j.ID, wantFirst, "user-2:skipped:"+approllout.CodeCancelled, "user-3:skipped:"+approllout.CodeCancelled)
			wantBatch(t, w.batch(t, j.PrintBatchID), 0, 0, true)
			w.wantEventTypes(t, printing.BatchCreated, rollout.JobCreated, rollout.JobFinished)
			if ev := w.lastEvent(t); ev.Actor != alice || ev.Data["status"] != "cancelled" || ev.Data["jobId"] != j.ID {
				t.Errorf("rollout-job.finished: got %+v, want alice's naming the job as cancelled", ev)
			}
		})
	}
}

// TestCancelJobThatEnded: cancel of a job that has ended is 422 errors.modifyReadonlyData and
// changes nothing: no item skipped, the batch left as it was, no event.
func TestCancelJobThatEnded(t *testing.T) {
	for _, s := range []rollout.Status{rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusCancelled} {
		t.Run(string(s), func(t *testing.T) {
			w := newWorld()
			j := w.issueTo(t, 2)
			ended := w.job(t, j.ID)
			ended.Status, ended.Started, ended.Finished = s, now, now
			w.db.jobs[j.ID] = ended
			events := len(w.db.events)
			_, err := w.cancel(operator, "client-a", j.ID)
			refused(t, err, rollout.ErrEnded)
			if f, ok := fault.Of(err); !ok || f.Kind() != fault.Refused || f.Code() != "errors.modifyReadonlyData" {
				t.Errorf("got %v, want kind refused with code errors.modifyReadonlyData", err)
			}
			if got := w.job(t, j.ID); got != ended {
				t.Errorf("job: got %+v, want it unchanged %+v", got, ended)
			}
			w.wantResults(t, j.ID, "user-1:pending", "user-2:pending")
			wantBatch(t, w.batch(t, j.PrintBatchID), 0, 0, false)
			wantCalls(t, w.memory, "SealBatch", 0)
			if len(w.db.events) != events {
				t.Errorf("events: got %d new, want none", len(w.db.events)-events)
			}
		})
	}
}

// TestCancelJobRefusals: a malformed id is 400 and a caller without RolloutCreate or outside the
// data room is 403, before the store is consulted; an unknown job, or another client's, is 404.
func TestCancelJobRefusals(t *testing.T) {
	for _, tt := range []struct {
		name      string
		caller    caller.Caller
		client    string
		id        string // "": the job stored
		wantErr   error
		wantStore bool
	}{
		{"a malformed id", operator, "client-a", "job-1", fault.ErrInvalid, false},
		{"an id in upper case", operator, "client-a", "0F8E4C1A-93B2-4D5E-8A7B-1C2D3E4F5A6B", fault.ErrInvalid, false},
		{"RolloutView only", admin(access.RolloutView), "client-a", "", access.ErrPermissionDenied, false},
		{"outside the data room", adminIn("client-b"), "client-a", "", access.ErrDataroomDenied, false},
		{"an unknown job", operator, "client-a", "0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6b", fault.ErrNotFound, true},
		{"another client's job", operator, "client-b", "", fault.ErrNotFound, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			j := w.issueTo(t, 2)
			id := tt.id
			if id == "" {
				id = j.ID
			}
			_, err := w.cancel(tt.caller, tt.client, id)
			refused(t, err, tt.wantErr)
			if got := w.Called("UpdateJob") > 0; got != tt.wantStore {
				t.Errorf("store consulted: got %v, want %v", got, tt.wantStore)
			}
			if got := w.job(t, j.ID); got.Status != rollout.StatusQueued {
				t.Errorf("job: got %s, want it still queued", got.Status)
			}
			w.wantResults(t, j.ID, "user-1:pending", "user-2:pending")
			wantBatch(t, w.batch(t, j.PrintBatchID), 0, 0, false)
		})
	}
}

// TestCancelJobWhoseBatchIsGone: a job whose batch is gone (deleted meanwhile) can still be
// cancelled: there is nothing to seal, and the job must not run on for want of it.
func TestCancelJobWhoseBatchIsGone(t *testing.T) {
	w := newWorld()
	j := w.issueTo(t, 2)
	delete(w.db.batches, j.PrintBatchID)
	if _, err := w.cancel(operator, "client-a", j.ID); err != nil {
		t.Fatalf("got %v, want the job cancelled", err)
	}
	if got := w.job(t, j.ID); got.Status != rollout.StatusCancelled {
		t.Errorf("job: got %s, want cancelled", got.Status)
	}
	w.wantResults(t, j.ID, "user-1:skipped:"+approllout.CodeCancelled, "user-2:skipped:"+approllout.CodeCancelled)
}
