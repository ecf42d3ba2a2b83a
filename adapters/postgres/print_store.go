package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/application/listing"
	appprinting "github.com/otpcard/otpcard/application/printing"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
	"github.com/otpcard/otpcard/domain/printing"
)

// PrintStore keeps the printing module's tables: its copies of senders and addressees (written
// inside the directory's transactions), and the print batches with their encrypted chunks. The
// methods that write, and those the printer reads inside a chunk's transaction, join the
// transaction ctx carries; ListBatches, Chunks and ExpiredBatches read on their own.
type PrintStore struct {
	db *bun.DB
}

// NewPrintStore builds the store.
func NewPrintStore(db *bun.DB) *PrintStore { return &PrintStore{db: db} }

var (
	_ appprinting.Batches    = (*PrintStore)(nil)
	_ appprinting.Senders    = (*PrintStore)(nil)
	_ appprinting.Addressees = (*PrintStore)(nil)
)

type senderRow struct {
	bun.BaseModel `bun:"table:print_senders"`

	ClientExtID      string            `bun:"client_ext_id,pk"`
	Name             string            `bun:"name"`
	DisplayName      map[string]string `bun:"display_name,type:jsonb"`
	Recipients       []string          `bun:"recipients,array"`
	HelpdeskContact  map[string]string `bun:"helpdesk_contact,type:jsonb"`
	InPersonHandover bool              `bun:"in_person_handover"`
}

// Sender returns the client's sender; see appprinting.Senders.
func (s *PrintStore) Sender(ctx context.Context, clientExtID string) (printing.Sender, error) {
	var r senderRow
	err := selectOne(ctx, connOf(ctx, s.db).NewSelect().Model(&r).Where("client_ext_id = ?", clientExtID),
		&fault.NotFoundError{Entity: "client", ExtID: clientExtID})
	if err != nil {
		return printing.Sender{}, err
	}
	return printing.Sender{ClientExtID: r.ClientExtID, Name: r.Name, DisplayName: r.DisplayName, Recipients: r.Recipients,
		HelpdeskContact: r.HelpdeskContact, InPersonHandover: r.InPersonHandover}, nil
}

// SaveSender records the client's sender; see appprinting.Senders.
func (s *PrintStore) SaveSender(ctx context.Context, snd printing.Sender) error {
	r := senderRow{ClientExtID: snd.ClientExtID, Name: snd.Name, DisplayName: nonNil(snd.DisplayName),
		Recipients: snd.Recipients, HelpdeskContact: nonNil(snd.HelpdeskContact), InPersonHandover: snd.InPersonHandover}
	if r.Recipients == nil {
		r.Recipients = []string{}
	}
	_, err := connOf(ctx, s.db).NewInsert().Model(&r).On("CONFLICT (client_ext_id) DO UPDATE").
		Set("name = EXCLUDED.name, display_name = EXCLUDED.display_name, recipients = EXCLUDED.recipients").
		Set("helpdesk_contact = EXCLUDED.helpdesk_contact, in_person_handover = EXCLUDED.in_person_handover").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save print sender %s: %w", snd.ClientExtID, translate(err))
	}
	return nil
}

// DeleteSender forgets the client's sender; see appprinting.Senders.
func (s *PrintStore) DeleteSender(ctx context.Context, clientExtID string) error {
	_, err := connOf(ctx, s.db).NewDelete().Model((*senderRow)(nil)).Where("client_ext_id = ?", clientExtID).Exec(ctx)
	return translate(err)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

type addresseeRow struct {
	bun.BaseModel `bun:"table:print_addressees"`

	UserExtID     string `bun:"user_ext_id,pk"`
	ClientExtID   string `bun:"client_ext_id"`
	LanguageCode  string `bun:"language_code"`
	Title         string `bun:"title"`
	FirstName     string `bun:"first_name"`
	FamilyName    string `bun:"family_name"`
	Street        string `bun:"street"`
	HouseNumber   string `bun:"house_number"`
	AddressLine1  string `bun:"address_line1"`
	AddressLine2  string `bun:"address_line2"`
	PostOfficeBox string `bun:"post_office_box"`
	PostalCode    string `bun:"postal_code"`
	City          string `bun:"city"`
	CountryCode   string `bun:"country_code"`
}

// Addressees returns the client's users among ids; see appprinting.Addressees.
func (s *PrintStore) Addressees(ctx context.Context, clientExtID string, ids []string) (map[string]printing.Addressee, error) {
	var rows []addresseeRow
	if len(ids) > 0 {
		err := connOf(ctx, s.db).NewSelect().Model(&rows).Where("client_ext_id = ?", clientExtID).
			Where("user_ext_id IN (?)", bun.List(ids)).Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("read addressees: %w", translate(err))
		}
	}
	out := make(map[string]printing.Addressee, len(rows))
	for _, r := range rows {
		out[r.UserExtID] = r.addressee()
	}
	return out, nil
}

func (r addresseeRow) addressee() printing.Addressee {
	return printing.Addressee{ClientExtID: r.ClientExtID, UserExtID: r.UserExtID, LanguageCode: r.LanguageCode,
		Title: r.Title, FirstName: r.FirstName, FamilyName: r.FamilyName, Street: r.Street, HouseNumber: r.HouseNumber,
		AddressLine1: r.AddressLine1, AddressLine2: r.AddressLine2, PostOfficeBox: r.PostOfficeBox,
		PostalCode: r.PostalCode, City: r.City, CountryCode: r.CountryCode}
}

// SaveAddressee records the user; see appprinting.Addressees.
func (s *PrintStore) SaveAddressee(ctx context.Context, a printing.Addressee) error {
	r := addresseeRow{UserExtID: a.UserExtID, ClientExtID: a.ClientExtID, LanguageCode: a.LanguageCode, Title: a.Title,
		FirstName: a.FirstName, FamilyName: a.FamilyName, Street: a.Street, HouseNumber: a.HouseNumber,
		AddressLine1: a.AddressLine1, AddressLine2: a.AddressLine2, PostOfficeBox: a.PostOfficeBox,
		PostalCode: a.PostalCode, City: a.City, CountryCode: a.CountryCode}
	q := connOf(ctx, s.db).NewInsert().Model(&r).On("CONFLICT (user_ext_id) DO UPDATE")
	for _, col := range []string{"client_ext_id", "language_code", "title", "first_name", "family_name", "street",
		"house_number", "address_line1", "address_line2", "post_office_box", "postal_code", "city", "country_code"} {
		q = q.Set(col + " = EXCLUDED." + col)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("save addressee %s: %w", a.UserExtID, translate(err))
	}
	return nil
}

// DeleteAddressee forgets the user; see appprinting.Addressees.
func (s *PrintStore) DeleteAddressee(ctx context.Context, clientExtID, userExtID string) error {
	_, err := connOf(ctx, s.db).NewDelete().Model((*addresseeRow)(nil)).
		Where("user_ext_id = ?", userExtID).Where("client_ext_id = ?", clientExtID).Exec(ctx)
	return translate(err)
}

type batchRow struct {
	bun.BaseModel `bun:"table:print_batches"`

	ID          string    `bun:"id,pk"`
	ClientExtID string    `bun:"client_ext_id"`
	JobID       string    `bun:"job_id"`
	Recipients  []string  `bun:"recipients,array"`
	Created     time.Time `bun:"created"`
	Letters     int       `bun:"letters"`
	Chunks      int       `bun:"chunks"`
	Sealed      bool      `bun:"sealed"`
	Expires     time.Time `bun:"expires"`
}

func newBatchRow(b printing.Batch) batchRow {
	return batchRow{ID: b.ID, ClientExtID: b.ClientExtID, JobID: b.JobID, Recipients: b.Recipients, Created: b.Created.UTC(),
		Letters: b.Letters, Chunks: b.Chunks, Sealed: b.Sealed, Expires: b.Expires.UTC()}
}

func (r batchRow) batch() printing.Batch {
	return printing.Batch{ID: r.ID, ClientExtID: r.ClientExtID, JobID: r.JobID, Recipients: r.Recipients, Created: r.Created,
		Letters: r.Letters, Chunks: r.Chunks, Sealed: r.Sealed, Expires: r.Expires}
}

// CreateBatch saves a new batch; see appprinting.Batches.
func (s *PrintStore) CreateBatch(ctx context.Context, b printing.Batch, events []event.Event) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		r := newBatchRow(b)
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return fmt.Errorf("create print batch: %w", translate(err))
		}
		return insertEvents(ctx, tx, events)
	})
}

// UpdateBatch changes a batch under its row lock; see appprinting.Batches.
func (s *PrintStore) UpdateBatch(ctx context.Context, id string, fn func(context.Context, *printing.Batch) ([]event.Event, error)) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		var r batchRow
		err := selectOne(ctx, tx.NewSelect().Model(&r).Where("id = ?", id).For("UPDATE"), &fault.NotFoundError{Entity: "print batch", ExtID: id})
		if err != nil {
			return err
		}
		b := r.batch()
		events, err := fn(ctx, &b)
		if err != nil {
			return err
		}
		next := newBatchRow(b)
		if _, err := tx.NewUpdate().Model(&next).Column("letters", "chunks", "sealed").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("save print batch: %w", translate(err))
		}
		return insertEvents(ctx, tx, events)
	})
}

type chunkRow struct {
	bun.BaseModel `bun:"table:print_batch_chunks"`

	BatchID  string `bun:"batch_id,pk"`
	N        int    `bun:"n,pk"`
	Letters  []byte `bun:"letters"`
	Manifest []byte `bun:"manifest"`
}

// SaveChunk stores a chunk's ciphertext; see appprinting.Batches.
func (s *PrintStore) SaveChunk(ctx context.Context, batchID string, n int, letters, manifest []byte) error {
	r := chunkRow{BatchID: batchID, N: n, Letters: letters, Manifest: manifest}
	if _, err := connOf(ctx, s.db).NewInsert().Model(&r).Exec(ctx); err != nil {
		return fmt.Errorf("save print batch chunk: %w", translate(err))
	}
	return nil
}

// Batch returns one batch of the client; see appprinting.Batches.
func (s *PrintStore) Batch(ctx context.Context, clientExtID, id string) (printing.Batch, error) {
	var r batchRow
	err := selectOne(ctx, connOf(ctx, s.db).NewSelect().Model(&r).Where("id = ?", id).Where("client_ext_id = ?", clientExtID),
		&fault.NotFoundError{Entity: "print batch", ExtID: id})
	return r.batch(), err
}

// ListBatches pages through a client's batches; see appprinting.Batches.
func (s *PrintStore) ListBatches(ctx context.Context, clientExtID string, page listing.Page) (listing.Result[printing.Batch], error) {
	var rows []batchRow
	q := s.db.NewSelect().Model(&rows).Where("client_ext_id = ?", clientExtID).OrderExpr("created, id").Limit(int64(page.Limit) + 1)
	if page.After != nil {
		q = q.Where("(created, id::text) > (?, ?)", page.After.Created, page.After.ExtID)
	}
	if err := q.Scan(ctx); err != nil {
		return listing.Result[printing.Batch]{}, translate(err)
	}
	batches := make([]printing.Batch, len(rows))
	for i, r := range rows {
		batches[i] = r.batch()
	}
	return listing.Trim(batches, page.Limit, func(b printing.Batch) listing.Cursor {
		return listing.Cursor{Created: b.Created, ExtID: b.ID}
	}), nil
}

// Chunks streams a batch's chunks in order, one row at a time; see appprinting.Batches.
func (s *PrintStore) Chunks(ctx context.Context, batchID string, chunks int, fn func(n int, letters, manifest []byte) error) error {
	for n := 1; n <= chunks; n++ {
		var r chunkRow
		err := s.db.NewSelect().Model(&r).Where("batch_id = ?", batchID).Where("n = ?", n).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("print batch %s lost chunk %d while it was read (deleted meanwhile?)", batchID, n)
		}
		if err != nil {
			return translate(err)
		}
		if err := fn(r.N, r.Letters, r.Manifest); err != nil {
			return err
		}
	}
	return nil
}

// DeleteBatch deletes a batch and its chunks; see appprinting.Batches.
func (s *PrintStore) DeleteBatch(ctx context.Context, clientExtID, id string, events []event.Event) error {
	return runInTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*batchRow)(nil)).Where("id = ?", id).Where("client_ext_id = ?", clientExtID).Exec(ctx)
		if err != nil {
			return translate(err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return &fault.NotFoundError{Entity: "print batch", ExtID: id}
		}
		return insertEvents(ctx, tx, events)
	})
}

// OpenLifecycleBatches lists the lifecycle job's batches left open; see appprinting.Batches.
func (s *PrintStore) OpenLifecycleBatches(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.db.NewSelect().Model((*batchRow)(nil)).Column("id").Where("job_id = ''").Where("NOT sealed").Scan(ctx, &ids)
	return ids, translate(err)
}

// ExpiredBatches returns sealed batches past their retention; see appprinting.Batches.
func (s *PrintStore) ExpiredBatches(ctx context.Context, now time.Time, limit int) ([]printing.Batch, error) {
	var rows []batchRow
	if err := s.db.NewSelect().Model(&rows).Where("sealed").Where("expires <= ?", now.UTC()).OrderExpr("expires").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, translate(err)
	}
	out := make([]printing.Batch, len(rows))
	for i, r := range rows {
		out[i] = r.batch()
	}
	return out, nil
}
