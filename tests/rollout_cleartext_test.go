package tests

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

// lockedBuffer collects the service's logs while it writes them.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

// TestNoRolledOutCellAtRest rolls cards out through an issue and a renew job, decrypts their
// batches with the test's own age identity, and looks for the cells the letters print in the
// database (every table), PostgreSQL's data directory (tables, WAL, everything on disk), the
// service's data directory, its logs at level debug and every answer of the rollout and print
// batch routes: no two neighbouring cells of a letter appear anywhere outside the decrypted batch.
func TestNoRolledOutCellAtRest(t *testing.T) {
	t.Parallel()
	needOwnInstance(t, "it reads the service's logs, database and data directory")
	logs := &lockedBuffer{}
	dataDir := t.TempDir()
	s := startServiceWith(t, logs, map[string]string{"OTPCARD_LOG_LEVEL": "debug", "OTPCARD_DATA_DIR": dataDir})
	api := s.root(t)
	c, id := rolloutClient(t, api, "ro-clear")
	var users []string
	for i := range 8 {
		u := fmt.Sprintf("u%d", i)
		addressedUser(t, api, c, u, []string{"en", "de", "fr", "it"}[i%4])
		users = append(users, u)
	}
	var answers [][]byte
	keep := func(r client.Response) { answers = append(answers, r.Body) }
	var letters [][]string
	for _, kind := range []string{"issue", "renew"} {
		r := api.CreateRolloutJob(t, c, client.RolloutJobCreate{Kind: kind, Users: users})
		keep(r.Response)
		job := waitJob(t, api, c, r.Want(t, http.StatusAccepted).ID)
		if job.Status != "succeeded" || job.Failed != 0 {
			t.Fatalf("%s job %+v, want succeeded without failures", kind, job)
		}
		keep(api.GetRolloutJob(t, c, job.ID).Response)
		keep(api.RolloutItems(t, c, job.ID, "").Response)
		keep(api.GetPrintBatch(t, c, job.PrintBatchID).Response)
		keep(api.PrintBatchContent(t, c, job.PrintBatchID).Response)
		for _, p := range decryptBatch(t, api, c, job.PrintBatchID, id) {
			if strings.HasPrefix(p.name, "letters-") {
				letters = append(letters, letterCells(t, p.data)...)
			}
		}
	}
	keep(api.ListRolloutJobs(t, c, client.Page{}).Response)
	keep(api.ListPrintBatches(t, c, client.Page{}).Response)
	if len(letters) != 2*len(users) {
		t.Fatalf("%d letters decrypted, want %d", len(letters), 2*len(users))
	}
	pairs := map[string]bool{} // two neighbouring cells: 8 characters no file holds by chance
	for _, cells := range letters {
		for i := 0; i+1 < len(cells); i++ {
			pairs[cells[i]+cells[i+1]] = true
		}
	}

	control := letters[0][3] + letters[0][4]
	if findPair([]byte("..."+control+"..."), pairs) != control {
		t.Fatalf("the scan does not find a pair where one is")
	}
	places := map[string][]byte{"logs": logs.Bytes()}
	for i, a := range answers {
		places[fmt.Sprintf("answer %d", i+1)] = a
	}
	places["database"] = databaseText(t, s)
	var pgData string
	if err := s.sql(t).QueryRow(`SELECT current_setting('data_directory')`).Scan(&pgData); err != nil {
		t.Fatalf("data_directory: %v", err)
	}
	if _, err := s.sql(t).Exec(`CHECKPOINT`); err != nil { // what is only in shared buffers goes to disk
		t.Fatalf("checkpoint: %v", err)
	}
	scanned := 0
	for _, dir := range []string{pgData, dataDir} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return nil // a file PostgreSQL removed meanwhile
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			scanned += len(b)
			if pair := findPair(b, pairs); pair != "" {
				t.Errorf("%s holds two neighbouring cells of a letter", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for where, b := range places {
		if findPair(bytes.ToUpper(b), pairs) != "" {
			t.Errorf("%s holds two neighbouring cells of a letter", where)
		}
	}
	if scanned < 1<<20 || len(places["logs"]) == 0 {
		t.Fatalf("scanned %d bytes on disk and %d of logs: the scan did not look", scanned, len(places["logs"]))
	}
}

// findPair returns the first pair of cells b holds, or "".
func findPair(b []byte, pairs map[string]bool) string {
	for i := 0; i+8 <= len(b); i++ {
		if pairs[string(b[i:i+8])] {
			return string(b[i : i+8])
		}
	}
	return ""
}

// databaseText is every row of every table of the service's schema as text, upper-cased.
func databaseText(t *testing.T, s *service) []byte {
	t.Helper()
	db := s.sql(t)
	var out bytes.Buffer
	for _, table := range publicTables(t, db) {
		rows, err := db.Query(`SELECT to_jsonb(t)::text FROM "` + table + `" t`)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out.WriteString(strings.ToUpper(line))
			out.WriteByte('\n')
		}
		rows.Close()
	}
	return out.Bytes()
}
