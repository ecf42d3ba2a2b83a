package rollout_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/rollout"
)

var (
	// created is when the test jobs were stored, started when a runner took them, now the clock.
	created = time.Date(2026, 11, 26, 21, 0, 0, 0, time.UTC)
	started = created.Add(time.Minute)
	now     = created.Add(time.Hour)
)

var allStatuses = []rollout.Status{rollout.StatusQueued, rollout.StatusRunning,
	rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusCancelled}

// jobIn is a job of 10 items in status s: started unless queued, ended at created+30m when s
// is an end.
func jobIn(s rollout.Status) rollout.Job {
	j := rollout.Job{ID: "job-1", ClientExtID: "client-a", Kind: rollout.KindIssue, Status: s, Total: 10,
		Created: created, CreatedBy: event.Actor{Subject: "alice", Mode: "admin"}}
	if s != rollout.StatusQueued {
		j.Started = started
	}
	if s.Ended() {
		j.Finished = created.Add(30 * time.Minute)
	}
	return j
}

// wantTimes fails unless the job started and finished at the times given (zero: not).
func wantTimes(t *testing.T, j rollout.Job, wantStarted, wantFinished time.Time) {
	t.Helper()
	if !j.Started.Equal(wantStarted) {
		t.Errorf("Started: got %v, want %v", j.Started, wantStarted)
	}
	if !j.Finished.Equal(wantFinished) {
		t.Errorf("Finished: got %v, want %v", j.Finished, wantFinished)
	}
}

func TestStatusEnded(t *testing.T) {
	want := map[rollout.Status]bool{rollout.StatusQueued: false, rollout.StatusRunning: false,
		rollout.StatusSucceeded: true, rollout.StatusFailed: true, rollout.StatusCancelled: true}
	for _, s := range allStatuses {
		if got := s.Ended(); got != want[s] {
			t.Errorf("%s.Ended(): got %v, want %v", s, got, want[s])
		}
	}
}

// TestJobStart: only a queued job starts; a job taken over (running) keeps its start, and an
// ended job stays as it ended.
func TestJobStart(t *testing.T) {
	for _, s := range allStatuses {
		t.Run(string(s), func(t *testing.T) {
			j := jobIn(s)
			before := j
			j.Start(now)
			if s != rollout.StatusQueued {
				if j != before {
					t.Errorf("got %+v, want the job unchanged %+v", j, before)
				}
				return
			}
			if j.Status != rollout.StatusRunning {
				t.Errorf("Status: got %s, want running", j.Status)
			}
			wantTimes(t, j, now, time.Time{})
		})
	}
}

// TestJobEnds: Finish, Fail and Cancel end a queued or running job at now; a job that never
// started gets now as its start too, a started one keeps its start.
func TestJobEnds(t *testing.T) {
	ends := []struct {
		name string
		end  func(*rollout.Job) error
		want rollout.Status
	}{
		{"Finish", func(j *rollout.Job) error { j.Finish(now); return nil }, rollout.StatusSucceeded},
		{"Fail", func(j *rollout.Job) error { j.Fail(now); return nil }, rollout.StatusFailed},
		{"Cancel", func(j *rollout.Job) error { return j.Cancel(now) }, rollout.StatusCancelled},
	}
	for _, e := range ends {
		for _, from := range []rollout.Status{rollout.StatusQueued, rollout.StatusRunning} {
			t.Run(e.name+" of a "+string(from)+" job", func(t *testing.T) {
				j := jobIn(from)
				if err := e.end(&j); err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if j.Status != e.want {
					t.Errorf("Status: got %s, want %s", j.Status, e.want)
				}
				wantStarted := started
				if from == rollout.StatusQueued {
					wantStarted = now
				}
				wantTimes(t, j, wantStarted, now)
				if !j.Status.Ended() {
					t.Errorf("Ended(): got false after %s, want true", e.name)
				}
			})
		}
	}
}

// TestJobCancelOfAnEndedJob: an ended job cannot be cancelled (422 errors.modifyReadonlyData) and
// stays as it ended.
func TestJobCancelOfAnEndedJob(t *testing.T) {
	for _, s := range []rollout.Status{rollout.StatusSucceeded, rollout.StatusFailed, rollout.StatusCancelled} {
		t.Run(string(s), func(t *testing.T) {
			j := jobIn(s)
			before := j
			err := j.Cancel(now)
			if !errors.Is(err, rollout.ErrEnded) {
				t.Fatalf("got %v, want an error wrapping rollout.ErrEnded", err)
			}
			if f, ok := fault.Of(err); !ok || f.Kind() != fault.Refused || f.Code() != "errors.modifyReadonlyData" {
				t.Errorf("got fault %v, want kind refused with code errors.modifyReadonlyData", f)
			}
			if !strings.Contains(err.Error(), "job-1") {
				t.Errorf("got %q, want the message to name the job", err)
			}
			if j != before {
				t.Errorf("got %+v, want the job unchanged %+v", j, before)
			}
		})
	}
}

// TestJobRecord: progress adds up over chunks.
func TestJobRecord(t *testing.T) {
	j := jobIn(rollout.StatusRunning)
	for _, chunk := range []struct{ done, failed int }{{4, 1}, {4, 0}, {2, 2}} {
		j.Record(chunk.done, chunk.failed)
	}
	if j.Done != 10 || j.Failed != 3 {
		t.Errorf("Done, Failed: got %d, %d, want 10, 3", j.Done, j.Failed)
	}
}

// TestJobMeta: the events of a job's items name its creator and the job.
func TestJobMeta(t *testing.T) {
	m := jobIn(rollout.StatusRunning).Meta()
	if want := (event.Actor{Subject: "alice", Mode: "admin"}); m.Actor != want {
		t.Errorf("Actor: got %+v, want %+v", m.Actor, want)
	}
	if m.RequestID != "rollout-job:job-1" {
		t.Errorf("RequestID: got %q, want %q", m.RequestID, "rollout-job:job-1")
	}
}

func TestValidateJobID(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6b", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{extid.New(), true},
		{"", false},
		{"job-1", false},
		{"0F8E4C1A-93B2-4D5E-8A7B-1C2D3E4F5A6B", false},  // upper case
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6", false},   // 35 characters
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6b0", false}, // 37 characters
		{"0f8e4c1a93b2-4d5e-8a7b-1c2d3e4f5a6b0", false},  // a hyphen missing, one digit more
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a-b", false},  // a hyphen out of place
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6g", false},  // not hex
		{"{f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6}", false},  // braces
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5aé", false},   // 36 bytes, not ASCII
		{"0f8e4c1a 93b2 4d5e 8a7b 1c2d3e4f5a6b", false},  // spaces for hyphens
	} {
		t.Run(tt.id, func(t *testing.T) {
			err := rollout.ValidateJobID(tt.id)
			switch {
			case tt.ok && err != nil:
				t.Errorf("got error %v, want nil", err)
			case !tt.ok && !errors.Is(err, fault.ErrInvalid):
				t.Errorf("got %v, want an error wrapping fault.ErrInvalid", err)
			}
		})
	}
}

func TestParseResult(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want rollout.Result
		ok   bool
	}{
		{"pending", rollout.ResultPending, true},
		{"issued", rollout.ResultIssued, true},
		{"renewed", rollout.ResultRenewed, true},
		{"imported", rollout.ResultImported, true},
		{"skipped", rollout.ResultSkipped, true},
		{"failed", rollout.ResultFailed, true},
		{"", "", false},
		{"Issued", "", false},
		{"issued ", "", false},
		{"done", "", false},
		{"succeeded", "", false},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := rollout.ParseResult(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseResult(%q): got %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestItemTried: an item has been tried once it has a result other than pending.
func TestItemTried(t *testing.T) {
	for r, want := range map[rollout.Result]bool{"": false, rollout.ResultPending: false, rollout.ResultIssued: true,
		rollout.ResultRenewed: true, rollout.ResultImported: true, rollout.ResultSkipped: true, rollout.ResultFailed: true} {
		if got := (rollout.Item{Result: r}).Tried(); got != want {
			t.Errorf("Item{Result: %q}.Tried(): got %v, want %v", r, got, want)
		}
	}
}

// TestJobEvent: a job's event names the job, its counts and, when set, its batch and policy.
func TestJobEvent(t *testing.T) {
	j := jobIn(rollout.StatusSucceeded)
	j.Done, j.Failed, j.PrintBatchID = 10, 2, "batch-1"
	meta := event.Meta{Actor: event.Actor{Subject: "bob", Mode: "admin"}, RequestID: "req-9"}
	ev := rollout.JobEvent(rollout.JobFinished, j, meta, now)
	want := map[string]string{"jobId": "job-1", "kind": "issue", "status": "succeeded", "total": "10",
		"done": "10", "failed": "2", "printBatchId": "batch-1"}
	if len(ev.Data) != len(want) {
		t.Errorf("Data: got %v, want %v", ev.Data, want)
	}
	for k, v := range want {
		if ev.Data[k] != v {
			t.Errorf("Data[%s]: got %q, want %q", k, ev.Data[k], v)
		}
	}
	if ev.Type != rollout.JobFinished || !ev.Time.Equal(now) || ev.Actor != meta.Actor || ev.ClientExtID != "client-a" || ev.RequestID != "req-9" {
		t.Errorf("got %s at %v by %+v in %s (%s), want %s at %v by %+v in client-a (req-9)",
			ev.Type, ev.Time, ev.Actor, ev.ClientExtID, ev.RequestID, rollout.JobFinished, now, meta.Actor)
	}
}
