// Package printing holds the print batch use cases (API.md section 11.2): the printer that turns
// new cards into encrypted letters inside the transaction that saves the cards, and the routes'
// use cases that list, download and delete batches. Its seams take part in the directory's
// changes (to keep the senders and addressees of letters), in the credential module's automatic
// renewals, and in the rollout jobs.
package printing

import (
	"context"
	"time"

	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/printing"
)

// Batches stores print batches and their encrypted chunks. Each method joins the transaction ctx
// carries, if any.
type Batches interface {
	// CreateBatch saves a new batch and its events.
	CreateBatch(ctx context.Context, b printing.Batch, events []event.Event) error
	// UpdateBatch loads the batch with a row lock, calls fn with it and ctx (carrying the
	// transaction) and, when fn returns nil, saves it and fn's events. It returns a
	// *fault.NotFoundError for an unknown batch, or fn's error unchanged.
	UpdateBatch(ctx context.Context, id string, fn func(ctx context.Context, b *printing.Batch) ([]event.Event, error)) error
	// SaveChunk stores chunk n of a batch: its letters and manifest, both age ciphertext.
	SaveChunk(ctx context.Context, batchID string, n int, letters, manifest []byte) error
	// Batch returns the batch of that client, or a *fault.NotFoundError.
	Batch(ctx context.Context, clientExtID, id string) (printing.Batch, error)
	// ListBatches pages through a client's batches, oldest first.
	ListBatches(ctx context.Context, clientExtID string, page listing.Page) (listing.Result[printing.Batch], error)
	// Chunks calls fn with chunks 1 to chunks of the batch in order; it stops at fn's first error,
	// and fails when a chunk is missing (the batch was deleted meanwhile).
	Chunks(ctx context.Context, batchID string, chunks int, fn func(n int, letters, manifest []byte) error) error
	// DeleteBatch deletes the batch with its chunks and records the events; a *fault.NotFoundError
	// when it is gone.
	DeleteBatch(ctx context.Context, clientExtID, id string, events []event.Event) error
	// ExpiredBatches returns up to limit sealed batches that expired at or before now.
	ExpiredBatches(ctx context.Context, now time.Time, limit int) ([]printing.Batch, error)
	// OpenLifecycleBatches returns the ids of the batches without a job that are not sealed.
	OpenLifecycleBatches(ctx context.Context) ([]string, error)
}

// Senders and Addressees are the module's copies of what letters print about clients and
// users, kept by the directory's seam.
type Senders interface {
	// Sender returns the client's sender, or a *fault.NotFoundError.
	Sender(ctx context.Context, clientExtID string) (printing.Sender, error)
	SaveSender(ctx context.Context, s printing.Sender) error
	DeleteSender(ctx context.Context, clientExtID string) error
}

// Addressees finds and keeps the users letters go to.
type Addressees interface {
	// Addressees returns the users of the client among userExtIDs, by extId; a user who is gone
	// is missing from the map.
	Addressees(ctx context.Context, clientExtID string, userExtIDs []string) (map[string]printing.Addressee, error)
	SaveAddressee(ctx context.Context, a printing.Addressee) error
	DeleteAddressee(ctx context.Context, clientExtID, userExtID string) error
}

// Renderer lays letters out as one PDF, letter i on page i+1.
type Renderer interface {
	// RenderLetters returns the PDF; a letter that cannot be printed legibly is an error that
	// names its control number, never a cell.
	RenderLetters(letters []printing.Letter, created time.Time) ([]byte, error)
	// CheckLetter tells, without rendering it, whether the letter can be printed; the error
	// names no cell.
	CheckLetter(l printing.Letter) error
}

// Encrypter encrypts a chunk's parts to the batch's recipients.
type Encrypter interface {
	// Encrypt returns the age ciphertext of plaintext for every recipient.
	Encrypt(recipients []string, plaintext []byte) ([]byte, error)
}

// Clock tells the time.
type Clock func() time.Time
