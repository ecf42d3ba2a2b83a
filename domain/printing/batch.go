// Package printing holds the rules of print batches (API.md section 11.2): the letters that
// bring new cards to their users by post, made in encrypted chunks for a print shop, so that no
// person and no disk ever sees a cell in clear.
package printing

import (
	"fmt"
	"strings"
	"time"

	"github.com/otpcard/otpcard/domain/fault"
)

// MaxChunkLetters bounds the letters of one chunk: a chunk's letters are in memory in clear until
// they are encrypted, and a chunk commits with its cards.
const MaxChunkLetters = 500

// Errors of the printing module.
var (
	// ErrNoRecipients: the client has no print recipients, so its cards cannot go to a batch.
	ErrNoRecipients = fault.New(fault.Refused, "errors.missingReferenceData",
		"the client has no print recipients: set them with PUT /otpcard/api/v1/{clientExtId}/print-settings")
	// ErrSealed: a chunk was offered to a batch that is sealed.
	ErrSealed = fault.New(fault.Refused, "errors.modifyReadonlyData", "the print batch is sealed")
)

// Batch is a print batch: the encrypted letters of one job, or of one run of the lifecycle job
// for one client. It grows chunk by chunk and is sealed once its job ends; only a sealed batch
// can be downloaded.
type Batch struct {
	ID, ClientExtID string
	// JobID is the rollout job the batch belongs to; empty for the lifecycle job's renewals.
	JobID string
	// Recipients are the age X25519 recipients its chunks are encrypted to: the client's when
	// the batch was opened.
	Recipients []string
	Created    time.Time
	// Letters and Chunks count what the batch holds.
	Letters, Chunks int
	Sealed          bool
	// Expires is when retention deletes the batch: its retention after it was sealed (while it
	// grows, its retention after it was opened, which sealing moves on).
	Expires time.Time
}

// OpenBatch starts an empty batch for the client's recipients, kept for retention.
func OpenBatch(id, clientExtID, jobID string, recipients []string, now time.Time, retention time.Duration) (Batch, error) {
	if len(recipients) == 0 {
		return Batch{}, fmt.Errorf("client %s: %w", clientExtID, ErrNoRecipients)
	}
	return Batch{ID: id, ClientExtID: clientExtID, JobID: jobID, Recipients: recipients,
		Created: now, Expires: now.Add(retention)}, nil
}

// AddChunk counts a chunk of letters and returns its number (from 1) and the control number of
// its first letter: control numbers run through the whole batch, from 1.
func (b *Batch) AddChunk(letters int) (chunk, firstControl int, err error) {
	switch {
	case b.Sealed:
		return 0, 0, fmt.Errorf("batch %s: %w", b.ID, ErrSealed)
	case letters < 1 || letters > MaxChunkLetters:
		return 0, 0, fmt.Errorf("%w: a chunk holds 1 to %d letters, not %d", fault.ErrInvalid, MaxChunkLetters, letters)
	}
	firstControl = b.Letters + 1
	b.Letters += letters
	b.Chunks++
	return b.Chunks, firstControl, nil
}

// Seal closes the batch at now: no chunk is added after, it may be downloaded, and it is kept for
// retention from now. It reports whether the batch was open.
func (b *Batch) Seal(now time.Time, retention time.Duration) bool {
	if b.Sealed {
		return false
	}
	b.Sealed, b.Expires = true, now.Add(retention)
	return true
}

// Downloadable refuses a batch that is still growing: its content is not whole yet.
func (b Batch) Downloadable() error {
	if !b.Sealed {
		return &fault.NotFoundError{Entity: "sealed print batch", ExtID: b.ID}
	}
	return nil
}

// ChunkName is the file name of a chunk's part in the downloaded archive: letters-0001.pdf.age,
// manifest-0001.csv.age.
func ChunkName(part string, chunk int) string {
	if part == "manifest" {
		return fmt.Sprintf("manifest-%04d.csv.age", chunk)
	}
	return fmt.Sprintf("letters-%04d.pdf.age", chunk)
}

// ValidateBatchID refuses an id that is not a batch id (a UUID in its canonical form) with
// fault.ErrInvalid, before any look-up.
func ValidateBatchID(id string) error {
	if len(id) != 36 {
		return fmt.Errorf("%w: a print batch id is a UUID", fault.ErrInvalid)
	}
	for i, c := range id {
		hyphen := i == 8 || i == 13 || i == 18 || i == 23
		if hyphen != (c == '-') || (!hyphen && !strings.ContainsRune("0123456789abcdef", c)) {
			return fmt.Errorf("%w: a print batch id is a UUID in lower case", fault.ErrInvalid)
		}
	}
	return nil
}
