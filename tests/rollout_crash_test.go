package tests

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/tests/client"
)

// TestRolloutSurvivesKill9 kills the real binary with SIGKILL in the middle of a 2,000-user issue
// job and starts it again on the same database: the job completes, every user holds exactly one
// card, every item was done once, and the batch decrypts to exactly the cards issued, each once.
// The cards are small (2 x 5 cells) so that the job's hashing takes seconds even in a race build.
func TestRolloutSurvivesKill9(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	const users = 2000
	url, pepper := pgtest.URL(t), make([]byte, 32)
	env := cleanEnv("OTPCARD_HTTP_ADDR=127.0.0.1:0", "OTPCARD_DATABASE_URL="+url, "OTPCARD_CELL_PEPPER="+b64(pepper),
		"OTPCARD_JWT_HS256_SECRET="+testSecret, "OTPCARD_DATA_DIR="+t.TempDir(), "OTPCARD_LOG_LEVEL=warn",
		"OTPCARD_RATE_LIMIT=off", "OTPCARD_ROLLOUT_LEASE=2s")
	first := startBinary(t, bin, env)
	base, _ := first.banner(t, time.Minute)
	api := newAPI(base, false).As(rootToken(t))
	c, id := rolloutClient(t, api, "ro-kill")
	policy := api.CreatePolicy(t, c, client.PolicyCreate{Name: "small", PolicyType: "OTPCardPolicy",
		Parameters: map[string]string{"rows": "2", "cols": "5"}}).Want(t, http.StatusCreated)
	names := make([]string, users)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < users; i += 8 {
				names[i] = fmt.Sprintf("k%04d", i)
				api.CreateUser(t, c, client.UserCreate{ExtID: names[i], LoginID: names[i]}).Want(t, http.StatusCreated)
			}
		})
	}
	wg.Wait()
	job := api.CreateRolloutJob(t, c, client.RolloutJobCreate{Kind: "issue", Users: names, PolicyExtID: policy.ExtID}).
		Want(t, http.StatusAccepted)

	deadline := time.Now().Add(2 * time.Minute)
	for {
		j := api.GetRolloutJob(t, c, job.ID).Want(t, http.StatusOK)
		if j.Status != "queued" && j.Status != "running" {
			t.Fatalf("the job ended before the kill (%+v): make it longer", j)
		}
		if j.Done >= 300 {
			t.Logf("killing the service at %d of %d items done", j.Done, j.Total)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not get going: %+v", j)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.cmd.Process.Kill(); err != nil { // SIGKILL: no hook runs, a chunk in flight is cut off
		t.Fatal(err)
	}
	if err := first.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("otpcard after SIGKILL: %v, want killed", err)
	}

	second := startBinary(t, bin, env)
	base, _ = second.banner(t, time.Minute)
	api = newAPI(base, false).As(rootToken(t))
	done := waitJobFor(t, api, c, job.ID, 3*time.Minute)
	if done.Status != "succeeded" || done.Done != users || done.Failed != 0 {
		t.Fatalf("after the restart the job is %+v, want succeeded with %d done and none failed", done, users)
	}

	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cards, holders, maxPerUser int
	err = db.QueryRowContext(context.Background(), `SELECT count(*), count(DISTINCT user_ext_id), coalesce(max(n), 0) FROM
		(SELECT user_ext_id, count(*) OVER (PARTITION BY user_ext_id) AS n FROM otp_cards WHERE client_ext_id = $1) c`, c).
		Scan(&cards, &holders, &maxPerUser)
	if err != nil {
		t.Fatal(err)
	}
	if cards != users || holders != users || maxPerUser != 1 {
		t.Fatalf("%d cards for %d users (at most %d each), want %d users with exactly one card", cards, holders, maxPerUser, users)
	}
	serials := map[string]string{} // serial -> user, from the database
	rows, err := db.Query(`SELECT serial_number, user_ext_id FROM otp_cards WHERE client_ext_id = $1`, c)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var serial, user string
		if err := rows.Scan(&serial, &user); err != nil {
			t.Fatal(err)
		}
		serials[serial] = user
	}
	rows.Close()

	batch := api.GetPrintBatch(t, c, job.PrintBatchID).Want(t, http.StatusOK)
	if !batch.Sealed || batch.Letters != users {
		t.Fatalf("batch %+v, want sealed with %d letters", batch, users)
	}
	printed := map[string]bool{}
	pages := 0
	for _, p := range decryptBatch(t, api, c, batch.ID, id) {
		switch {
		case strings.HasPrefix(p.name, "manifest-"):
			recs, err := csv.NewReader(bytes.NewReader(p.data)).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			for _, r := range recs[1:] {
				if printed[r[1]] {
					t.Errorf("serial %s printed twice", r[1])
				}
				printed[r[1]] = true
				if serials[r[1]] != r[2] {
					t.Errorf("the batch prints serial %s for %s, but the database has no such card of that user", r[1], r[2])
				}
			}
		case strings.HasPrefix(p.name, "letters-"):
			pages += bytes.Count(p.data, []byte("/Type /Page\n"))
		}
	}
	if len(printed) != users || pages != users {
		t.Errorf("the batch holds %d serials on %d pages, want %d of each", len(printed), pages, users)
	}
	failed := api.RolloutItems(t, c, job.ID, "?result=pending").Want(t, http.StatusOK).Items
	if len(failed) != 0 {
		t.Errorf("items still pending: %+v", failed)
	}
	second.stop(t)
}

// waitJobFor is waitJob with its own limit.
func waitJobFor(t *testing.T, api *client.API, clientExtID, id string, limit time.Duration) client.RolloutJob {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		j := api.GetRolloutJob(t, clientExtID, id).Want(t, http.StatusOK)
		if j.Status == "succeeded" || j.Status == "failed" || j.Status == "cancelled" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after %s: %+v", id, j.Status, limit, j)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
