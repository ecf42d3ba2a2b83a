package tests

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/tests/client"
)

// printedCells draws the cells of a default card, as another system printed them.
func printedCells(t *testing.T) []string {
	t.Helper()
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	raw := make([]byte, defaultLayout.Cells()*defaultLayout.CellLength)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	cells := make([]string, defaultLayout.Cells())
	for i := range cells {
		var b strings.Builder
		for _, r := range raw[i*4 : i*4+4] {
			b.WriteByte(alphabet[int(r)%32])
		}
		cells[i] = b.String()
	}
	return cells
}

// TestRolloutImport: an import file's good rows become cards that log in with their printed cells
// (read case-insensitively, as a user types them); each bad row is a failed item with its code,
// row and column, and no cell appears in any answer; the client needs no print recipients.
func TestRolloutImport(t *testing.T) {
	t.Parallel()
	s := startService(t)
	api := s.root(t)
	c := uid("ro-imp")
	api.CreateClient(t, client.ClientCreate{ExtID: c, Name: c}).Want(t, http.StatusCreated)
	// extIds and serials are unique across the service: each named after the test's client, the
	// serial drawn (target mode runs the suite twice against one service).
	u := func(name string) string { return c + "-" + name }
	for _, name := range []string{"ann", "ben", "cy", "dee", "two", "old"} {
		addressedUser(t, api, c, u(name), "en")
	}
	for range 2 {
		api.CreateCard(t, client.UserKey{Client: c, User: u("two")}, client.CredentialCreate{}).Want(t, http.StatusCreated)
	}
	serial := randomSerial(t)
	annCells, benCells, other := printedCells(t), printedCells(t), printedCells(t)
	lower := strings.ToLower(strings.Join(benCells, " "))
	validTo := time.Now().Add(400 * 24 * time.Hour).UTC().Format(time.RFC3339)
	rows := []string{
		"userExtId,extId,serialNumber,stateName,validTo,cells",
		u("ann") + "," + u("ann-imported") + "," + serial + ",active," + validTo + "," + strings.Join(annCells, " "), // row 2: imported
		u("ben") + ",,,,," + lower,                                                         // row 3: imported, generated extId and serial, cells in lower case
		u("cy") + ",,,,," + strings.Join(other[:100], " "),                                 // row 4: wrong geometry
		u("cy") + ",,,,," + strings.Replace(strings.Join(other, " "), other[5], "U!!U", 1), // row 5: bad charset
		u("dee") + ",," + serial + ",,," + strings.Join(other, " "),                        // row 6: serial taken (by row 2)
		u("dee") + ",,,,2020-01-01T00:00:00Z," + strings.Join(other, " "),                  // row 7: validTo passed
		u("dee") + ",,,archived,," + strings.Join(other, " "),                              // row 8: archived
		u("two") + ",,,,," + strings.Join(other, " "),                                      // row 9: holds two cards
		u("ghost") + ",,,,," + strings.Join(other, " "),                                    // row 10: unknown user
		"bad user!,,,,," + strings.Join(other, " "),                                        // row 11: malformed userExtId
		u("old") + ",,,,not-a-time," + strings.Join(other, " "),                            // row 12: bad validTo
	}
	r := api.ImportCards(t, c, "", []byte(strings.Join(rows, "\r\n")+"\r\n"))
	job := r.Want(t, http.StatusAccepted)
	for _, cell := range append(append(annCells, benCells...), other...) {
		if bytes.Contains(r.Body, []byte(cell)) {
			t.Fatalf("the 202 repeats a cell")
		}
	}
	if job.Kind != "import" || job.Total != 11 || job.PrintBatchID != "" {
		t.Fatalf("job %+v, want an import of 11 rows without a print batch", job)
	}
	job = waitJob(t, api, c, job.ID)
	if job.Status != "succeeded" || job.Done != 11 || job.Failed != 9 {
		t.Fatalf("job %+v, want succeeded with 11 done and 9 failed", job)
	}
	list := api.RolloutItems(t, c, job.ID, "?limit=100")
	items := list.Want(t, http.StatusOK).Items
	type want struct {
		result, code string
		row, column  int
	}
	wants := []want{
		{"imported", "", 2, 0}, {"imported", "", 3, 0},
		{"failed", "errors.invalidData", 4, 6}, {"failed", "errors.invalidData", 5, 6},
		{"failed", "errors.duplicateValue", 6, 0}, {"failed", "errors.invalidData", 7, 5},
		{"failed", "errors.missingReferenceData", 8, 4}, {"failed", "errors.tooManyOTPCards", 9, 0},
		{"failed", "errors.noRecord", 10, 0}, {"failed", "errors.invalidData", 11, 1}, {"failed", "errors.invalidData", 12, 5},
	}
	if len(items) != len(wants) {
		t.Fatalf("%d items, want %d", len(items), len(wants))
	}
	for i, w := range wants {
		it := items[i]
		if it.Result != w.result || it.ErrorCode != w.code || it.Row != w.row || it.Column != w.column {
			t.Errorf("item %d: got %s %s row %d column %d, want %s %q row %d column %d",
				i+1, it.Result, it.ErrorCode, it.Row, it.Column, w.result, w.code, w.row, w.column)
		}
	}
	if items[0].CredentialExtID != u("ann-imported") || items[0].SerialNumber != serial || items[1].SerialNumber == "" {
		t.Errorf("imported items %+v %+v, want ann's extId and serial kept and ben's serial generated", items[0], items[1])
	}
	for _, cell := range append(append(annCells, benCells...), other...) {
		if bytes.Contains(list.Body, []byte(cell)) {
			t.Fatalf("the items repeat a cell")
		}
	}
	card := api.GetCard(t, client.CardKey{Client: c, User: u("ann"), Card: u("ann-imported")}).Want(t, http.StatusOK)
	if card.StateName != "active" || !strings.HasPrefix(card.Validity.To, validTo[:10]) {
		t.Errorf("ann's card %+v, want active until %s", card, validTo)
	}
	for user, cells := range map[string][]string{u("ann"): annCells, u("ben"): benCells} {
		k := client.UserKey{Client: c, User: user}
		label := challenge(t, api, k)
		if got := logIn(t, api, k, label, answer(t, cells, label)); got != 5 {
			t.Errorf("%s logs in with a printed cell: statusCode %d, want 5", user, got)
		}
	}
}

// TestRolloutImportRefusesBrokenFiles: a file that is empty, lacks the header, is not CSV, is
// truncated or is over 50 MiB, a content type other than CSV or JSON, and a file for an unknown
// policy are refused whole, and no job comes of them.
func TestRolloutImportRefusesBrokenFiles(t *testing.T) {
	t.Parallel()
	s := startService(t)
	api := s.root(t)
	c := uid("ro-impbad")
	api.CreateClient(t, client.ClientCreate{ExtID: c, Name: c}).Want(t, http.StatusCreated)
	ann := c + "-ann"
	addressedUser(t, api, c, ann, "en")
	cells := strings.Join(printedCells(t), " ")
	header := "userExtId,extId,serialNumber,stateName,validTo,cells\n"
	for _, tt := range []struct {
		name, query, body, contentType string
		status                         int
		code                           string
	}{
		{"empty", "", "", "text/csv", http.StatusBadRequest, "errors.invalidData"},
		{"header only", "", header, "text/csv", http.StatusBadRequest, "errors.invalidData"},
		{"no header", "", ann + ",,,,," + cells + "\n", "text/csv", http.StatusBadRequest, "errors.invalidData"},
		{"wrong header", "", "user,extId,serialNumber,stateName,validTo,cells\nann,,,,," + cells + "\n", "text/csv", http.StatusBadRequest, "errors.invalidData"},
		{"truncated quote", "", header + ann + `,,,,,"` + cells[:40], "text/csv", http.StatusBadRequest, "errors.invalidData"},
		{"truncated row", "", header + ann + ",,,,," + cells + "\n" + ann + ",,", "text/csv", http.StatusBadRequest, "errors.invalidData"},
		{"unknown policy", "?policyExtId=nope", header + ann + ",,,,," + cells + "\n", "text/csv", http.StatusUnprocessableEntity, "errors.missingReferenceData"},
		{"malformed policy", "?policyExtId=%20", header + ann + ",,,,," + cells + "\n", "text/csv", http.StatusBadRequest, "errors.invalidData"},
		{"text/plain", "", header + ann + ",,,,," + cells + "\n", "text/plain", http.StatusUnsupportedMediaType, "errors.unsupportedMediaType"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := api.Do(t, client.Request{Method: http.MethodPost, Path: client.RolloutJobsPath(c) + tt.query,
				Body: []byte(tt.body), Header: http.Header{"Content-Type": {tt.contentType}}})
			r.WantProblem(t, tt.status, tt.code)
		})
	}
	t.Run("60 MiB announced", func(t *testing.T) {
		row := ann + ",,,,," + cells + "\n"
		body := bytes.Repeat([]byte(row), 60<<20/len(row)+1)
		r := api.Do(t, client.Request{Method: http.MethodPost, Path: client.RolloutJobsPath(c), Body: append([]byte(header), body...),
			Header: http.Header{"Content-Type": {"text/csv"}}})
		r.WantProblem(t, http.StatusRequestEntityTooLarge, "errors.payloadTooLarge")
	})
	t.Run("60 MiB streamed", func(t *testing.T) {
		// Rows refused before hashing, so that the test is quick: the limit holds all the same.
		row := ann + ",,,,," + strings.Repeat("x", 900) + "\n"
		big := io.MultiReader(strings.NewReader(header), &repeatReader{s: row, n: 60<<20/len(row) + 1})
		r := api.Do(t, client.Request{Method: http.MethodPost, Path: client.RolloutJobsPath(c), Stream: big,
			Header: http.Header{"Content-Type": {"text/csv"}}})
		r.WantProblem(t, http.StatusRequestEntityTooLarge, "errors.payloadTooLarge")
	})
	if jobs := api.ListRolloutJobs(t, c, client.Page{}).Want(t, http.StatusOK).Items; len(jobs) != 0 {
		t.Errorf("jobs %+v, want none", jobs)
	}
	if !s.external { // not even a staging job, nor a staged row, stays behind
		var jobs, staged int
		err := s.sql(t).QueryRow(`SELECT (SELECT count(*) FROM rollout_jobs WHERE client_ext_id = $1),
			(SELECT count(*) FROM rollout_import_rows r JOIN rollout_jobs j ON j.id = r.job_id WHERE j.client_ext_id = $1)`, c).Scan(&jobs, &staged)
		if err != nil || jobs != 0 || staged != 0 {
			t.Errorf("%d jobs and %d staged rows left (%v), want none", jobs, staged, err)
		}
	}
	if n := len(api.ListCards(t, client.UserKey{Client: c, User: ann}, client.Page{}).Want(t, http.StatusOK).Items); n != 0 {
		t.Errorf("ann holds %d cards, want none", n)
	}
}

// randomSerial draws a serial number in its printed form.
func randomSerial(t *testing.T) string {
	t.Helper()
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	raw := make([]byte, 12)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	for i, b := range raw {
		raw[i] = alphabet[int(b)%32]
	}
	return string(raw[:4]) + "-" + string(raw[4:8]) + "-" + string(raw[8:])
}

// repeatReader reads s n times.
type repeatReader struct {
	s   string
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.s[r.off:])
	r.off += k
	if r.off == len(r.s) {
		r.off, r.n = 0, r.n-1
	}
	return k, nil
}
