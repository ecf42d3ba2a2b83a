package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	approllout "github.com/otpcard/otpcard/application/rollout"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
	"github.com/otpcard/otpcard/domain/rollout"
)

// runOne runs one job with r and fails unless it found one without error.
func runOne(t *testing.T, r *approllout.Runner) {
	t.Helper()
	found, err := r.RunOne(context.Background())
	if err != nil || !found {
		t.Fatalf("RunOne: got %v, %v; want true, nil", found, err)
	}
}

// wantTried fails unless the chunks offered to the printing seam held these users, in order.
func wantTried(t *testing.T, p *printer, want ...[]string) {
	t.Helper()
	if !slices.EqualFunc(p.tried, want, slices.Equal) {
		t.Errorf("chunks tried: got %q, want %q", p.tried, want)
	}
}

// The chunks of five users in chunks of two.
var (
	chunk1, chunk2, chunk3 = []string{"user-1", "user-2"}, []string{"user-3", "user-4"}, []string{"user-5"}
)

func TestRunOneWithoutJob(t *testing.T) {
	w := newWorld()
	found, err := w.runner(2).RunOne(context.Background())
	if found || err != nil {
		t.Fatalf("got %v, %v; want false, nil", found, err)
	}
	wantCalls(t, w.memory, "IssueChunk", 0)
}

// TestRunOneFinishesAJobInChunks: every item is tried once, chunk by chunk; the job succeeds,
// its batch holds a letter per card and is sealed, and rollout-job.finished names the creator.
func TestRunOneFinishesAJobInChunks(t *testing.T) {
	for _, tt := range []struct {
		kind rollout.Kind
		want rollout.Result
	}{{rollout.KindIssue, rollout.ResultIssued}, {rollout.KindRenew, rollout.ResultRenewed}} {
		t.Run(string(tt.kind), func(t *testing.T) {
			w := newWorld()
			j := w.create(t, rollout.Request{Kind: tt.kind, Users: userList(5)})
			runOne(t, w.runner(2))
			wantTried(t, w.printer, chunk1, chunk2, chunk3)
			got := w.job(t, j.ID)
			wantJob(t, got, rollout.StatusSucceeded, 5, 0)
			if !got.Started.Equal(now) || !got.Finished.Equal(now) {
				t.Errorf("got started %v, finished %v; want both %v", got.Started, got.Finished, now)
			}
			r := string(tt.want)
			w.wantResults(t, j.ID, "user-1:"+r, "user-2:"+r, "user-3:"+r, "user-4:"+r, "user-5:"+r)
			for _, it := range w.db.items[j.ID] {
				if it.CredentialExtID != "card-"+it.UserExtID || it.SerialNumber != "serial-"+it.UserExtID {
					t.Errorf("item %d: got card %q, serial %q; want those the chunk issued", it.N, it.CredentialExtID, it.SerialNumber)
				}
			}
			wantBatch(t, w.batch(t, j.PrintBatchID), 5, 3, true)
			w.wantEventTypes(t, printing.BatchCreated, rollout.JobCreated, rollout.JobFinished)
			ev := w.lastEvent(t)
			if ev.Actor != alice || ev.RequestID != "rollout-job:"+j.ID || ev.Data["status"] != "succeeded" || ev.Data["done"] != "5" {
				t.Errorf("rollout-job.finished: got %+v, want alice's (rollout-job:%s) with status succeeded, 5 done", ev, j.ID)
			}
			if found, err := w.runner(2).RunOne(context.Background()); found || err != nil {
				t.Errorf("RunOne after the end: got %v, %v; want false, nil", found, err)
			}
		})
	}
}

// TestRunOneRecordsFailedAndSkippedItems: an item that fails fails alone; the job goes on and
// succeeds, counting it; only issued cards get letters.
func TestRunOneRecordsFailedAndSkippedItems(t *testing.T) {
	w := newWorld()
	w.printer.outcomes["user-2"] = outcome{result: rollout.ResultFailed, code: "errors.tooManyOTPCards"}
	w.printer.outcomes["user-4"] = outcome{result: rollout.ResultSkipped, code: "errors.duplicateValue"}
	w.printer.outcomes["user-5"] = outcome{result: rollout.ResultFailed, code: "errors.userNotUsable"}
	j := w.issueTo(t, 5)
	runOne(t, w.runner(2))
	wantJob(t, w.job(t, j.ID), rollout.StatusSucceeded, 5, 2)
	w.wantResults(t, j.ID, "user-1:issued", "user-2:failed:errors.tooManyOTPCards", "user-3:issued",
		"user-4:skipped:errors.duplicateValue", "user-5:failed:errors.userNotUsable")
	wantBatch(t, w.batch(t, j.PrintBatchID), 2, 2, true)
}

// TestRunOneFailsTheJobOnAFatalOutcome: when the job cannot go on (its policy was deleted), the
// chunk commits, the rest is skipped with errors.jobFailed and the job ends failed.
func TestRunOneFailsTheJobOnAFatalOutcome(t *testing.T) {
	w := newWorld()
	w.printer.outcomes["user-3"] = outcome{result: rollout.ResultFailed, code: "errors.missingReferenceData", fatal: true}
	j := w.issueTo(t, 5)
	runOne(t, w.runner(2))
	wantTried(t, w.printer, chunk1, chunk2)
	got := w.job(t, j.ID)
	wantJob(t, got, rollout.StatusFailed, 4, 1)
	if !got.Finished.Equal(now) {
		t.Errorf("Finished: got %v, want %v", got.Finished, now)
	}
	w.wantResults(t, j.ID, "user-1:issued", "user-2:issued", "user-3:failed:errors.missingReferenceData", "user-4:issued",
		"user-5:skipped:"+approllout.CodeJobFailed)
	wantBatch(t, w.batch(t, j.PrintBatchID), 3, 2, true)
	w.wantEventTypes(t, printing.BatchCreated, rollout.JobCreated, rollout.JobFinished)
	if ev := w.lastEvent(t); ev.Data["status"] != "failed" {
		t.Errorf("rollout-job.finished: got status %q, want failed", ev.Data["status"])
	}
}

// TestRunOneFailsTheJobWhenAChunkCannotSucceed: a chunk refused for a reason no retry changes (its
// letters cannot be printed: an invalid fault) ends the job failed, its untried items skipped,
// its batch sealed with what committed before; the error is reported.
func TestRunOneFailsTheJobWhenAChunkCannotSucceed(t *testing.T) {
	w := newWorld()
	unprintable := fmt.Errorf("%w: the letters run into the card", fault.ErrInvalid)
	w.printer.chunkErr = map[int]error{2: unprintable}
	j := w.issueTo(t, 5)
	found, err := w.runner(2).RunOne(context.Background())
	if !found || !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("RunOne: got %v, %v; want true and the chunk's error", found, err)
	}
	wantJob(t, w.job(t, j.ID), rollout.StatusFailed, 2, 0)
	w.wantResults(t, j.ID, "user-1:issued", "user-2:issued", "user-3:skipped:"+approllout.CodeJobFailed,
		"user-4:skipped:"+approllout.CodeJobFailed, "user-5:skipped:"+approllout.CodeJobFailed)
	wantBatch(t, w.batch(t, j.PrintBatchID), 2, 1, true)
}

// TestRunOneStopsWhenTheLeaseIsLost: once another instance holds the job, this runner stops
// without error and without ending the job; a chunk it was working on does not commit.
func TestRunOneStopsWhenTheLeaseIsLost(t *testing.T) {
	for _, tt := range []struct {
		name        string
		lose        func(w *world) // takes the lease from this instance
		wantTried   [][]string
		wantResults []string
		// wantDone is the items done, each with its letter; wantChunks the chunks committed.
		wantDone, wantChunks int
	}{
		{"before the second chunk", func(w *world) { w.printer.beforeChunk = w.takeLeaseAt(2) },
			[][]string{chunk1, chunk2}, []string{"user-1:issued", "user-2:issued", "user-3:pending", "user-4:pending", "user-5:pending"}, 2, 1},
		{"before the end", func(w *world) { w.printer.afterChunk = w.takeLeaseAt(3) },
			[][]string{chunk1, chunk2, chunk3}, []string{"user-1:issued", "user-2:issued", "user-3:issued", "user-4:issued", "user-5:issued"}, 5, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			j := w.issueTo(t, 5)
			tt.lose(w)
			runOne(t, w.runner(2))
			wantTried(t, w.printer, tt.wantTried...)
			wantJob(t, w.job(t, j.ID), rollout.StatusRunning, tt.wantDone, 0)
			w.wantResults(t, j.ID, tt.wantResults...)
			wantBatch(t, w.batch(t, j.PrintBatchID), tt.wantDone, tt.wantChunks, false)
			w.wantEventTypes(t, printing.BatchCreated, rollout.JobCreated)
		})
	}
}

// takeLeaseAt is a chunk hook that gives the job's lease to another instance at chunk n.
func (w *world) takeLeaseAt(n int) func(int) {
	return func(chunk int) {
		if chunk == n {
			for id := range w.db.leases {
				w.db.leases[id] = lease{owner: "instance-2", until: now.Add(time.Hour)}
			}
		}
	}
}

// cancelAt is a chunk hook that cancels job id at chunk n, as an operator does meanwhile.
func (w *world) cancelAt(t *testing.T, id string, n int) func(int) {
	return func(chunk int) {
		if chunk != n {
			return
		}
		if _, err := w.cancel(operator, "client-a", id); err != nil {
			t.Errorf("cancel: got error %v, want nil", err)
		}
	}
}

// TestRunOneStopsACancelledJob: a cancel takes effect between chunks; a chunk under way when the
// cancel commits does not commit. The job stays cancelled with the batch it had.
func TestRunOneStopsACancelledJob(t *testing.T) {
	skipped := "skipped:" + approllout.CodeCancelled
	for _, tt := range []struct {
		name      string
		hook      func(w *world, id string) // cancels the job
		wantTried [][]string
	}{
		{"between chunks", func(w *world, id string) { w.printer.afterChunk = w.cancelAt(t, id, 1) },
			[][]string{chunk1}},
		{"while a chunk is under way", func(w *world, id string) { w.printer.beforeChunk = w.cancelAt(t, id, 2) },
			[][]string{chunk1, chunk2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			j := w.issueTo(t, 5)
			tt.hook(w, j.ID)
			runOne(t, w.runner(2))
			wantTried(t, w.printer, tt.wantTried...)
			wantJob(t, w.job(t, j.ID), rollout.StatusCancelled, 2, 0)
			w.wantResults(t, j.ID, "user-1:issued", "user-2:issued", "user-3:"+skipped, "user-4:"+skipped, "user-5:"+skipped)
			wantBatch(t, w.batch(t, j.PrintBatchID), 2, 1, true)
			w.wantEventTypes(t, printing.BatchCreated, rollout.JobCreated, rollout.JobFinished)
		})
	}
}

// TestRunOneResumesAJobTakenOver: a running job whose lease ran out is taken over; the items done
// are never tried again, and the job keeps its start.
func TestRunOneResumesAJobTakenOver(t *testing.T) {
	w := newWorld()
	j := w.issueTo(t, 5)
	before := now.Add(-time.Hour)
	running := w.job(t, j.ID)
	running.Status, running.Started, running.Done = rollout.StatusRunning, before, 2
	w.db.jobs[j.ID] = running
	w.db.items[j.ID][0].Result, w.db.items[j.ID][1].Result = rollout.ResultIssued, rollout.ResultIssued
	w.db.leases[j.ID] = lease{owner: "instance-0", until: now.Add(-time.Second)}
	runOne(t, w.runner(2))
	wantTried(t, w.printer, chunk2, chunk3)
	got := w.job(t, j.ID)
	wantJob(t, got, rollout.StatusSucceeded, 5, 0)
	if !got.Started.Equal(before) {
		t.Errorf("Started: got %v, want %v kept", got.Started, before)
	}
}

// TestRunOneLeavesAJobLeasedElsewhere: a job whose lease another instance holds is not claimed.
func TestRunOneLeavesAJobLeasedElsewhere(t *testing.T) {
	w := newWorld()
	j := w.issueTo(t, 1)
	w.db.leases[j.ID] = lease{owner: "instance-2", until: now.Add(time.Second)}
	if found, err := w.runner(2).RunOne(context.Background()); found || err != nil {
		t.Fatalf("got %v, %v; want false, nil", found, err)
	}
	wantCalls(t, w.memory, "IssueChunk", 0)
}

// TestRunOneEndsAJobWithoutItems: a selection that found nobody makes a job that succeeds at
// once with an empty, sealed batch.
func TestRunOneEndsAJobWithoutItems(t *testing.T) {
	w := newWorld()
	j := w.create(t, rollout.Request{Kind: rollout.KindIssue, Selection: rollout.UsersWithoutCard})
	runOne(t, w.runner(2))
	wantCalls(t, w.memory, "IssueChunk", 0)
	wantJob(t, w.job(t, j.ID), rollout.StatusSucceeded, 0, 0)
	wantBatch(t, w.batch(t, j.PrintBatchID), 0, 0, true)
}

// TestRunOneReportsFailures: a failure of the service stops the runner with the error (the job
// resumes when its lease runs out); what the failed transaction did is rolled back and the job is
// not ended.
func TestRunOneReportsFailures(t *testing.T) {
	errDown := errors.New("connection refused")
	for _, tt := range []struct {
		name      string
		fail      func(w *world)
		wantTried int
		wantDone  int
	}{
		{"printing a chunk", func(w *world) { w.printer.chunkErr = map[int]error{2: errDown} }, 2, 2},
		{"checking the lease of a chunk", func(w *world) {
			w.printer.beforeChunk = func(n int) {
				if n == 2 {
					w.holdsErr = errDown
				}
			}
		}, 2, 2},
		{"checking the lease at the end", func(w *world) {
			w.printer.afterChunk = func(n int) {
				if n == 3 {
					w.holdsErr = errDown
				}
			}
		}, 3, 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			j := w.issueTo(t, 5)
			tt.fail(w)
			found, err := w.runner(2).RunOne(context.Background())
			if !found || !errors.Is(err, errDown) {
				t.Errorf("RunOne: got %v, %v; want true and an error wrapping %q", found, err, errDown)
			}
			if got := len(w.printer.tried); got != tt.wantTried {
				t.Errorf("chunks tried: got %d, want %d", got, tt.wantTried)
			}
			wantJob(t, w.job(t, j.ID), rollout.StatusRunning, tt.wantDone, 0)
			if b := w.batch(t, j.PrintBatchID); b.Sealed || b.Letters != tt.wantDone {
				t.Errorf("batch: got %d letters, sealed %v; want %d, not sealed", b.Letters, b.Sealed, tt.wantDone)
			}
		})
	}
}

// TestRunOneBoundsTheChunk: a chunk holds at least 1 and at most 500 items, whatever is asked.
func TestRunOneBoundsTheChunk(t *testing.T) {
	for _, tt := range []struct{ asked, users, want int }{{0, 3, 1}, {-5, 2, 1}, {1000, 501, 500}} {
		w := newWorld()
		w.issueTo(t, tt.users)
		runOne(t, w.runner(tt.asked))
		if got := len(w.printer.tried[0]); got != tt.want {
			t.Errorf("chunk of %d asked: got %d items in the first chunk, want %d", tt.asked, got, tt.want)
		}
	}
}
