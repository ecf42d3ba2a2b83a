package postgres_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/otpcard/otpcard/adapters/agecrypt"
	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/application/caller"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	appprinting "github.com/otpcard/otpcard/application/printing"
	"github.com/otpcard/otpcard/domain/printing"
	"go.opentelemetry.io/otel/trace/noop"
)

// textLetters stands in for the PDF renderer (pdfcard has its own tests): one line per letter
// with its control number, serial, addressee and cells, so that a test can read a decrypted chunk.
type textLetters struct{}

func (textLetters) RenderLetters(letters []printing.Letter, _ time.Time) ([]byte, error) {
	var b bytes.Buffer
	for _, l := range letters {
		fmt.Fprintf(&b, "%d %s %s %s|%s\n", l.ControlNumber, l.Card.Serial, l.Card.UserExtID, l.Name, strings.Join(l.Card.Cells, " "))
	}
	return b.Bytes(), nil
}

// CheckLetter refuses a letter to a name with a character outside Latin-1, as the PDF renderer
// refuses what it cannot print.
func (textLetters) CheckLetter(l printing.Letter) error {
	for _, r := range l.Name {
		if r > 0xff {
			return errors.New("unprintable name")
		}
	}
	return nil
}

// printWorld is a lifecycle world whose automatic renewals go to print batches encrypted to id.
func printWorld(t *testing.T) (*lifecycleWorld, *age.X25519Identity, *postgres.PrintStore) {
	t.Helper()
	w := newLifecycleWorld(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.NewPrintStore(w.db)
	if err := store.SaveSender(t.Context(), printing.Sender{ClientExtID: "acme", Name: "Acme", Recipients: []string{id.Recipient().String()}}); err != nil {
		t.Fatal(err)
	}
	hasher, err := cellhash.New(bytes.Repeat([]byte("p"), 32), cellhash.DefaultParams(), 0)
	if err != nil {
		t.Fatal(err)
	}
	printer := appprinting.NewPrinter(appprinting.PrinterDeps{Batches: store, Senders: store, Addressees: store,
		Renderer: textLetters{}, Encrypter: agecrypt.Recipients{}, Now: w.clock.Now, Retention: 7 * 24 * time.Hour})
	issue := appcredential.NewIssueForPrint(appcredential.Deps{Cards: postgres.NewCardStore(w.db), Hasher: hasher, Now: w.clock.Now},
		postgres.NewTransactor(w.db))
	w.job = appcredential.NewLifecycleJob(appcredential.LifecycleDeps{Store: postgres.NewUpkeepStore(w.db),
		Cards: postgres.NewCardStore(w.db), Runs: postgres.NewJobRuns(w.db),
		Renewals: appprinting.NewAutomaticRenewals(issue, printer, store), Frame: caller.Frame{Now: w.clock.Now, Tracer: noop.NewTracerProvider().Tracer("test")}})
	_, err = w.cards.ModifyPolicy.Do(t.Context(), appcredential.ModifyPolicyCommand{Caller: w.root, ClientExtID: "acme",
		ExtID: w.policy.ExtID, Parameters: map[string]string{"renewWhenCloseToExpiration": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	return w, id, store
}

// addressee gives user a name and an address in the printing module's copy (the directory's seam
// keeps it in the service).
func addressee(t *testing.T, store *postgres.PrintStore, user string) {
	t.Helper()
	err := store.SaveAddressee(t.Context(), printing.Addressee{ClientExtID: "acme", UserExtID: user, FirstName: user,
		FamilyName: "Muster", Street: "Bahnhofstrasse", HouseNumber: "1", PostalCode: "8001", City: "Zürich", CountryCode: "ch"})
	if err != nil {
		t.Fatal(err)
	}
}

// decryptChunks reads every chunk of the batch with id: the letters' lines and the manifests' rows.
func decryptChunks(t *testing.T, store *postgres.PrintStore, b printing.Batch, id age.Identity) (lines []string, manifest [][]string) {
	t.Helper()
	err := store.Chunks(t.Context(), b.ID, b.Chunks, func(n int, letters, man []byte) error {
		for _, part := range []struct {
			data []byte
			into func([]byte)
		}{
			{letters, func(b []byte) { lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...) }},
			{man, func(b []byte) {
				rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
				if err != nil {
					t.Errorf("manifest %d: %v", n, err)
				}
				manifest = append(manifest, rows[1:]...)
			}},
		} {
			r, err := age.Decrypt(bytes.NewReader(part.data), id)
			if err != nil {
				return fmt.Errorf("chunk %d: %w", n, err)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			part.into(b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read chunks: %v", err)
	}
	return lines, manifest
}

// TestAutomaticRenewalsGoToAPrintBatch: the lifecycle job renews the cards close to expiry of a
// client with print recipients; their successors and one sealed batch, whose chunk decrypts with
// the recipient's identity to exactly those cards, commit together; the next run renews nothing.
func TestAutomaticRenewalsGoToAPrintBatch(t *testing.T) {
	w, id, store := printWorld(t)
	for _, u := range []string{"ann", "ben", "cy"} {
		w.issue(t, u)
		addressee(t, store, u)
	}
	w.clock.Set(lifecycleT0.Add(tenYears - 5*day))
	r := w.run(t)
	if r.RenewalsDue != 3 || r.Renewed != 3 || r.NoPrintBatch != 0 {
		t.Fatalf("report %+v, want 3 due and renewed", r)
	}
	page, err := store.ListBatches(t.Context(), "acme", listing.Page{Limit: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("batches %+v, %v; want one", page.Items, err)
	}
	b := page.Items[0]
	if !b.Sealed || b.Letters != 3 || b.Chunks != 1 || b.JobID != "" {
		t.Errorf("batch %+v, want sealed with 3 letters in 1 chunk", b)
	}
	lines, manifest := decryptChunks(t, store, b, id)
	if len(lines) != 3 || len(manifest) != 3 {
		t.Fatalf("letters %q, manifest %q; want 3 of each", lines, manifest)
	}
	for i, u := range []string{"ann", "ben", "cy"} {
		successor := w.card(t, u, w.card(t, u, u+"-1").SuccessorExtID)
		if !strings.Contains(strings.Join(lines, "\n"), string(successor.Serial)+" "+u+" ") {
			t.Errorf("no letter for %s's successor %s in %q", u, successor.Serial, lines)
		}
		if manifest[i][0] != fmt.Sprint(i+1) || manifest[i][3] != fmt.Sprint(i+1) {
			t.Errorf("manifest row %v, want control number and page %d", manifest[i], i+1)
		}
	}
	if n := count(t, w.db, "SELECT count(*) FROM events WHERE type = 'otp-card.renewed' AND actor_subject = 'system'"); n != 3 {
		t.Errorf("%d renewals recorded by the system, want 3", n)
	}
	if r := w.run(t); r.Renewed != 0 {
		t.Errorf("second run renewed %d, want 0", r.Renewed)
	}
	w.clock.Set(lifecycleT0.Add(tenYears - 4*day))
	if r := w.run(t); r.Renewed != 0 {
		t.Errorf("a later run renewed %d, want 0: the cards have successors", r.Renewed)
	}
}

// TestAutomaticRenewalsNeedRecipients: a client whose recipients were removed gets no renewal
// and no batch, only the count.
func TestAutomaticRenewalsNeedRecipients(t *testing.T) {
	w, _, store := printWorld(t)
	if err := store.SaveSender(t.Context(), printing.Sender{ClientExtID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	w.issue(t, "ann")
	addressee(t, store, "ann")
	w.clock.Set(lifecycleT0.Add(tenYears - 5*day))
	if r := w.run(t); r.Renewed != 0 || r.NoPrintBatch != 1 {
		t.Errorf("report %+v, want 1 without print batch", r)
	}
	if n := count(t, w.db, "SELECT count(*) FROM print_batches"); n != 0 {
		t.Errorf("%d batches, want none", n)
	}
}
