package printing_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
)

var (
	now       = time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	retention = 7 * 24 * time.Hour
	// recipients are the print shop's age recipients.
	recipients = []string{"age1print", "age1backup"}
)

// openBatch is an empty batch of client-a's job-1, opened now.
func openBatch(t *testing.T) printing.Batch {
	t.Helper()
	b, err := printing.OpenBatch("batch-1", "client-a", "job-1", recipients, now, retention)
	if err != nil {
		t.Fatalf("OpenBatch: got error %v, want nil", err)
	}
	return b
}

// addChunk adds a chunk of n letters to b and fails unless it is chunk wantChunk, its first
// letter numbered wantFirst.
func addChunk(t *testing.T, b *printing.Batch, n, wantChunk, wantFirst int) {
	t.Helper()
	chunk, first, err := b.AddChunk(n)
	if err != nil {
		t.Fatalf("AddChunk(%d): got error %v, want nil", n, err)
	}
	if chunk != wantChunk || first != wantFirst {
		t.Errorf("AddChunk(%d): got chunk %d from control number %d, want chunk %d from %d", n, chunk, first, wantChunk, wantFirst)
	}
}

func TestOpenBatch(t *testing.T) {
	b := openBatch(t)
	want := printing.Batch{ID: "batch-1", ClientExtID: "client-a", JobID: "job-1", Recipients: recipients,
		Created: now, Expires: now.Add(retention)}
	if b.ID != want.ID || b.ClientExtID != want.ClientExtID || b.JobID != want.JobID || !slices.Equal(b.Recipients, want.Recipients) ||
		!b.Created.Equal(want.Created) || !b.Expires.Equal(want.Expires) || b.Letters != 0 || b.Chunks != 0 || b.Sealed {
		t.Errorf("got %+v, want %+v", b, want)
	}
}

// TestOpenBatchWithoutRecipients: a client without print recipients cannot have a batch (422
// errors.missingReferenceData).
func TestOpenBatchWithoutRecipients(t *testing.T) {
	for name, r := range map[string][]string{"nil": nil, "empty": {}} {
		t.Run(name, func(t *testing.T) {
			b, err := printing.OpenBatch("batch-1", "client-a", "job-1", r, now, retention)
			if !errors.Is(err, printing.ErrNoRecipients) {
				t.Fatalf("got %v, want an error wrapping printing.ErrNoRecipients", err)
			}
			if f, ok := fault.Of(err); !ok || f.Kind() != fault.Refused || f.Code() != "errors.missingReferenceData" {
				t.Errorf("got fault %v, want kind refused with code errors.missingReferenceData", f)
			}
			if b.ID != "" {
				t.Errorf("got batch %+v, want the zero batch", b)
			}
		})
	}
}

// TestAddChunkNumbers: chunks count from 1, and control numbers run on through the whole batch.
func TestAddChunkNumbers(t *testing.T) {
	b := openBatch(t)
	addChunk(t, &b, printing.MaxChunkLetters, 1, 1)
	addChunk(t, &b, 1, 2, 501)
	addChunk(t, &b, 250, 3, 502)
	if b.Letters != 751 || b.Chunks != 3 {
		t.Errorf("Letters, Chunks: got %d, %d, want 751, 3", b.Letters, b.Chunks)
	}
}

// TestAddChunkBounds: a chunk holds 1 to 500 letters; any other count is refused and changes
// nothing.
func TestAddChunkBounds(t *testing.T) {
	for _, n := range []int{0, -1, printing.MaxChunkLetters + 1, 10000} {
		b := openBatch(t)
		addChunk(t, &b, 3, 1, 1)
		before := b
		chunk, first, err := b.AddChunk(n)
		if !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("AddChunk(%d): got %v, want an error wrapping fault.ErrInvalid", n, err)
		}
		if chunk != 0 || first != 0 || b.Letters != before.Letters || b.Chunks != before.Chunks {
			t.Errorf("AddChunk(%d): got chunk %d, first %d, batch %d letters in %d chunks; want 0, 0, 3 letters in 1 chunk",
				n, chunk, first, b.Letters, b.Chunks)
		}
	}
}

// week is the retention of the tests' batches.
const week = 7 * 24 * time.Hour

// TestSealedBatchRefusesChunks: once sealed, a batch takes no chunk (not even a malformed one),
// and stays as it was.
func TestSealedBatchRefusesChunks(t *testing.T) {
	for _, n := range []int{1, 0} {
		b := openBatch(t)
		addChunk(t, &b, 2, 1, 1)
		b.Seal(now, week)
		_, _, err := b.AddChunk(n)
		if !errors.Is(err, printing.ErrSealed) {
			t.Fatalf("AddChunk(%d) to a sealed batch: got %v, want an error wrapping printing.ErrSealed", n, err)
		}
		if f, _ := fault.Of(err); f.Code() != "errors.modifyReadonlyData" {
			t.Errorf("got code %s, want errors.modifyReadonlyData", f.Code())
		}
		if b.Letters != 2 || b.Chunks != 1 {
			t.Errorf("got %d letters in %d chunks, want 2 in 1", b.Letters, b.Chunks)
		}
	}
}

// TestSealIsIdempotent: the first Seal seals, keeps the batch for retention from then, and says
// so; the next ones change nothing.
func TestSealIsIdempotent(t *testing.T) {
	b := openBatch(t)
	sealedAt := now.Add(time.Hour)
	for i, want := range []bool{true, false, false} {
		if got := b.Seal(sealedAt.Add(time.Duration(i)*time.Hour), week); got != want {
			t.Errorf("Seal #%d: got %v, want %v", i+1, got, want)
		}
		if !b.Sealed || !b.Expires.Equal(sealedAt.Add(week)) {
			t.Errorf("Seal #%d: got sealed %v, expires %v; want sealed, expiring %v", i+1, b.Sealed, b.Expires, sealedAt.Add(week))
		}
	}
}

// TestDownloadable: a batch still growing is 404 (errors.noRecord); a sealed one, even empty, is
// downloadable.
func TestDownloadable(t *testing.T) {
	b := openBatch(t)
	err := b.Downloadable()
	if !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("open batch: got %v, want an error wrapping fault.ErrNotFound", err)
	}
	var nf *fault.NotFoundError
	if !errors.As(err, &nf) || nf.ExtID != "batch-1" {
		t.Errorf("open batch: got %v, want a *fault.NotFoundError naming batch-1", err)
	}
	b.Seal(now, week)
	if err := b.Downloadable(); err != nil {
		t.Errorf("sealed batch: got error %v, want nil", err)
	}
}

func TestValidateBatchID(t *testing.T) {
	for _, tt := range []struct {
		id string
		ok bool
	}{
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6b", true},
		{extid.New(), true},
		{"", false},
		{"batch-1", false},
		{"0F8E4C1A-93B2-4D5E-8A7B-1C2D3E4F5A6B", false},  // upper case
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6", false},   // 35 characters
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6b0", false}, // 37 characters
		{"0f8e4c1a-93b2-4d5e-8a7b1-c2d3e4f5a6b", false},  // a hyphen out of place
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5a6z", false},  // not hex
		{"0f8e4c1a-93b2-4d5e-8a7b-1c2d3e4f5aé", false},   // 36 bytes, not ASCII
	} {
		t.Run(tt.id, func(t *testing.T) {
			err := printing.ValidateBatchID(tt.id)
			switch {
			case tt.ok && err != nil:
				t.Errorf("got error %v, want nil", err)
			case !tt.ok && !errors.Is(err, fault.ErrInvalid):
				t.Errorf("got %v, want an error wrapping fault.ErrInvalid", err)
			}
		})
	}
}

func TestChunkName(t *testing.T) {
	for _, tt := range []struct {
		part  string
		chunk int
		want  string
	}{
		{"letters", 1, "letters-0001.pdf.age"},
		{"manifest", 1, "manifest-0001.csv.age"},
		{"letters", 42, "letters-0042.pdf.age"},
		{"manifest", 9999, "manifest-9999.csv.age"},
		{"letters", 12345, "letters-12345.pdf.age"},
	} {
		if got := printing.ChunkName(tt.part, tt.chunk); got != tt.want {
			t.Errorf("ChunkName(%q, %d): got %q, want %q", tt.part, tt.chunk, got, tt.want)
		}
	}
}

// TestBatchEvent: a batch's event names the batch, its job and what it holds.
func TestBatchEvent(t *testing.T) {
	b := openBatch(t)
	addChunk(t, &b, 7, 1, 1)
	meta := event.Meta{Actor: event.Actor{Subject: "alice", Mode: "admin"}, RequestID: "req-1"}
	for _, tt := range []struct {
		jobID string
		want  map[string]string
	}{
		{"job-1", map[string]string{"printBatchId": "batch-1", "jobId": "job-1", "letters": "7", "chunks": "1"}},
		{"", map[string]string{"printBatchId": "batch-1", "letters": "7", "chunks": "1"}},
	} {
		b.JobID = tt.jobID
		ev := printing.BatchEvent(printing.BatchDownloaded, b, meta, now)
		if len(ev.Data) != len(tt.want) {
			t.Errorf("job %q: Data got %v, want %v", tt.jobID, ev.Data, tt.want)
		}
		for k, v := range tt.want {
			if ev.Data[k] != v {
				t.Errorf("job %q: Data[%s] got %q, want %q", tt.jobID, k, ev.Data[k], v)
			}
		}
		if ev.Type != printing.BatchDownloaded || ev.ClientExtID != "client-a" || ev.Actor != meta.Actor || !ev.Time.Equal(now) {
			t.Errorf("got %s in %s by %+v at %v, want %s in client-a by %+v at %v",
				ev.Type, ev.ClientExtID, ev.Actor, ev.Time, printing.BatchDownloaded, meta.Actor, now)
		}
	}
}
