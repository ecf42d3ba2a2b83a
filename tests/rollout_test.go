package tests

import (
	"archive/tar"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/otpcard/otpcard/tests/client"
)

// rolloutClient creates a client whose print batches are encrypted to a fresh age identity, and
// returns the client's extId with the identity.
func rolloutClient(t *testing.T, api *client.API, prefix string) (string, *age.X25519Identity) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	c := uid(prefix)
	api.CreateClient(t, client.ClientCreate{ExtID: c, Name: c + " bank", DisplayName: map[string]string{"EN": "Demo Bank", "DE": "Demobank"}}).
		Want(t, http.StatusCreated)
	api.SetPrintSettings(t, c, client.PrintSettingsPut{Recipients: []string{id.Recipient().String()},
		HelpdeskContact: map[string]string{"EN": "+41 58 000 00 00"}}).Want(t, http.StatusOK)
	return c, id
}

// addressedUser creates a user with a name, a postal address and a language.
func addressedUser(t *testing.T, api *client.API, clientExtID, user, lang string) {
	t.Helper()
	api.CreateUser(t, clientExtID, client.UserCreate{ExtID: user, LoginID: user + "-login", UserDetails: client.UserDetails{
		Name: &client.UserName{FirstName: "Anna", FamilyName: "Muster " + user}, LanguageCode: lang,
		Address: &client.UserAddress{Street: "Bahnhofstrasse", HouseNumber: "1", PostalCode: "8001", City: "Zürich", CountryCode: "CH"},
	}}).Want(t, http.StatusCreated)
}

// waitJob polls the job until it has ended, for at most a minute.
func waitJob(t *testing.T, api *client.API, clientExtID, id string) client.RolloutJob {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		j := api.GetRolloutJob(t, clientExtID, id).Want(t, http.StatusOK)
		switch j.Status {
		case "succeeded", "failed", "cancelled":
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after a minute: %+v", id, j.Status, j)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// batchPart is one decrypted file of a print batch's archive.
type batchPart struct {
	name string
	data []byte
}

// decryptBatch downloads a sealed batch and decrypts every part with id.
func decryptBatch(t *testing.T, api *client.API, clientExtID, batchID string, id age.Identity) []batchPart {
	t.Helper()
	r := api.PrintBatchContent(t, clientExtID, batchID)
	archive := r.Want(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("content type %q, want application/octet-stream", ct)
	}
	var parts []batchPart
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read the archive: %v", err)
		}
		dec, err := age.Decrypt(tr, id)
		if err != nil {
			t.Fatalf("decrypt %s: %v", h.Name, err)
		}
		data, err := io.ReadAll(dec)
		if err != nil {
			t.Fatalf("decrypt %s: %v", h.Name, err)
		}
		parts = append(parts, batchPart{name: h.Name, data: data})
	}
	return parts
}

// letterCells reads the cells of each letter of a PDF of letters for default cards, page by page:
// the values are shown in row-major order after the labels.
func letterCells(t *testing.T, pdf []byte) [][]string {
	t.Helper()
	var cells []string
	for _, s := range pdfTexts(pdf) {
		if crockfordCell.MatchString(s) {
			cells = append(cells, s)
		}
	}
	n := defaultLayout.Cells()
	if len(cells)%n != 0 {
		t.Fatalf("the letters show %d cells, not a multiple of %d", len(cells), n)
	}
	var cards [][]string
	for i := 0; i < len(cells); i += n {
		cards = append(cards, cells[i:i+n])
	}
	return cards
}

// TestRolloutIssueJob: an issue job for five users (three without a card, one with a card, one
// unknown) is stored before the 202, runs in the background, issues three cards, skips the user
// with a card and fails the unknown one; its sealed batch decrypts with the recipient's identity to
// three letters and a manifest that match the items, and a cell read from a letter logs in.
func TestRolloutIssueJob(t *testing.T) {
	t.Parallel()
	s := startService(t)
	api := s.root(t)
	c, id := rolloutClient(t, api, "ro-issue")
	// extIds are unique across the service: each named after the test's client (target mode).
	has, ghost := c+"-has", c+"-ghost"
	users := []string{c + "-ann", c + "-ben", c + "-cleo"}
	for i, u := range users {
		addressedUser(t, api, c, u, []string{"de", "fr", "en"}[i])
	}
	addressedUser(t, api, c, has, "it")
	api.CreateCard(t, client.UserKey{Client: c, User: has}, client.CredentialCreate{}).Want(t, http.StatusCreated)

	r := api.CreateRolloutJob(t, c, client.RolloutJobCreate{Kind: "issue", Users: append(slices.Clone(users), has, ghost)})
	job := r.Want(t, http.StatusAccepted)
	if loc := r.Header.Get("Location"); loc != client.RolloutJobsPath(c)+"/"+job.ID {
		t.Errorf("Location %q, want the job's path", loc)
	}
	if job.Total != 5 || job.PrintBatchID == "" || (job.Status != "queued" && job.Status != "running" && job.Status != "succeeded") {
		t.Fatalf("job %+v, want 5 items and a batch", job)
	}
	job = waitJob(t, api, c, job.ID)
	if job.Status != "succeeded" || job.Done != 5 || job.Failed != 1 || job.Started == "" || job.Finished == "" {
		t.Fatalf("job %+v, want succeeded with 5 done, 1 failed", job)
	}
	items := api.RolloutItems(t, c, job.ID, "").Want(t, http.StatusOK).Items
	if len(items) != 5 {
		t.Fatalf("items %+v, want 5", items)
	}
	serials := map[string]string{}
	for i, it := range items[:3] {
		if it.UserExtID != users[i] || it.Result != "issued" || it.SerialNumber == "" || it.CredentialExtID == "" {
			t.Errorf("item %+v, want %s issued", it, users[i])
		}
		serials[it.SerialNumber] = it.UserExtID
	}
	if it := items[3]; it.Result != "skipped" || it.ErrorCode == "" {
		t.Errorf("item %+v, want the user with a card skipped", it)
	}
	if it := items[4]; it.Result != "failed" || it.ErrorCode != "errors.noRecord" {
		t.Errorf("item %+v, want the unknown user failed with errors.noRecord", it)
	}
	if failed := api.RolloutItems(t, c, job.ID, "?result=failed").Want(t, http.StatusOK).Items; len(failed) != 1 || failed[0].UserExtID != ghost {
		t.Errorf("failed items %+v, want ghost", failed)
	}

	batch := api.GetPrintBatch(t, c, job.PrintBatchID).Want(t, http.StatusOK)
	if !batch.Sealed || batch.Letters != 3 || batch.Chunks != 1 || batch.JobID != job.ID {
		t.Fatalf("batch %+v, want sealed with 3 letters in 1 chunk of the job", batch)
	}
	if h := api.Head(t, client.PrintBatchesPath(c)+"/"+batch.ID+"/content"); h.Status != http.StatusOK || len(h.Body) != 0 {
		t.Errorf("HEAD of the content: %d with %d bytes, want 200 without a body (and no download recorded)", h.Status, len(h.Body))
	}
	parts := decryptBatch(t, api, c, batch.ID, id)
	if !s.external {
		var downloads int
		if err := s.sql(t).QueryRow(`SELECT count(*) FROM events WHERE type = 'print-batch.downloaded' AND client_ext_id = $1`, c).Scan(&downloads); err != nil || downloads != 1 {
			t.Errorf("print-batch.downloaded recorded %d times (%v), want once: the HEAD downloads nothing", downloads, err)
		}
	}
	if len(parts) != 2 || parts[0].name != "letters-0001.pdf.age" || parts[1].name != "manifest-0001.csv.age" {
		t.Fatalf("archive %v, want letters-0001.pdf.age and manifest-0001.csv.age", parts)
	}
	rows, err := csv.NewReader(bytes.NewReader(parts[1].data)).ReadAll()
	if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "controlNumber,serialNumber,userExtId,page" {
		t.Fatalf("manifest %q, %v; want a header and 3 rows", rows, err)
	}
	cards := letterCells(t, parts[0].data)
	if len(cards) != 3 {
		t.Fatalf("%d letters with cells, want 3", len(cards))
	}
	for i, row := range rows[1:] {
		if serials[row[1]] != row[2] {
			t.Errorf("manifest row %v names a serial the items do not give that user", row)
		}
		k := client.UserKey{Client: c, User: row[2]}
		label := challenge(t, api, k)
		idx, err := defaultLayout.ParseLabel(label)
		if err != nil {
			t.Fatal(err)
		}
		if got := logIn(t, api, k, label, cards[i][idx]); got != 5 {
			t.Errorf("%s logs in with the cell of letter %d: statusCode %d, want 5 (Login Ok)", row[2], i+1, got)
		}
	}
	if !strings.Contains(string(parts[0].data), "Demobank") {
		t.Errorf("ann's letter (de) does not name the client's German display name")
	}
	// The audit trail records the job, the batch and its download, each by the caller, and the
	// cards with the job's id.
	for _, typ := range []string{"rollout-job.created", "rollout-job.finished", "print-batch.created", "print-batch.downloaded"} {
		events := s.auditEvents(t, client.AuditQuery{ClientExtID: c, Type: typ}, 1)
		if len(events) != 1 || events[0].Actor.Subject != "tester" || events[0].Data["jobId"] != job.ID {
			t.Errorf("%s in the audit trail: %+v, want one by tester naming the job", typ, events)
		}
	}
	if created := s.auditEvents(t, client.AuditQuery{ClientExtID: c, Type: "otp-card.created"}, 4); len(created) != 4 {
		t.Errorf("otp-card.created: %d events, want 4 (3 by the job, 1 before)", len(created))
	} else {
		byJob := 0
		for _, e := range created {
			if e.Data["jobId"] == job.ID && e.Actor.Subject == "tester" {
				byJob++
			}
		}
		if byJob != 3 {
			t.Errorf("%d otp-card.created events name the job, want 3", byJob)
		}
	}
}

// TestRolloutUnprintableLetters: a user whose name the letter cannot print fails alone
// (errors.invalidData, no card), the others get their cards and letters.
func TestRolloutUnprintableLetters(t *testing.T) {
	t.Parallel()
	s := startService(t)
	api := s.root(t)
	c, _ := rolloutClient(t, api, "ro-unprint")
	ann, yamada := c+"-ann", c+"-yamada"
	addressedUser(t, api, c, ann, "en")
	api.CreateUser(t, c, client.UserCreate{ExtID: yamada, LoginID: "yamada", UserDetails: client.UserDetails{
		Name: &client.UserName{FirstName: "太郎", FamilyName: "山田"}}}).Want(t, http.StatusCreated)
	job := api.CreateRolloutJob(t, c, client.RolloutJobCreate{Kind: "issue", Users: []string{ann, yamada}}).Want(t, http.StatusAccepted)
	job = waitJob(t, api, c, job.ID)
	items := api.RolloutItems(t, c, job.ID, "").Want(t, http.StatusOK).Items
	if job.Status != "succeeded" || len(items) != 2 || items[0].Result != "issued" || items[1].Result != "failed" ||
		items[1].ErrorCode != "errors.invalidData" {
		t.Fatalf("job %+v, items %+v; want ann issued and yamada failed with errors.invalidData", job, items)
	}
	if n := len(api.ListCards(t, client.UserKey{Client: c, User: yamada}, client.Page{}).Want(t, http.StatusOK).Items); n != 0 {
		t.Errorf("yamada holds %d cards, want none: no card without its letter", n)
	}
	if b := api.GetPrintBatch(t, c, job.PrintBatchID).Want(t, http.StatusOK); b.Letters != 1 {
		t.Errorf("batch %+v, want ann's letter alone", b)
	}
}
