package tests

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
	"github.com/otpcard/otpcard/tests/client"
)

// TestRolloutWatchCommand: `otpcard rollout watch JOB` draws the job's progress until it ends and
// exits 0 for a job that succeeded; an unknown or malformed job id exits 1 with one line.
func TestRolloutWatchCommand(t *testing.T) {
	needOwnInstance(t, "the command line reads the service's database")
	url, pepper := pgtest.URL(t), make([]byte, 32)
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_DATABASE_URL": url, "OTPCARD_CELL_PEPPER": b64(pepper)})
	api := s.root(t)
	c, _ := rolloutClient(t, api, "ro-watch")
	var users []string
	for i := range 40 {
		u := fmt.Sprintf("w%02d", i)
		addressedUser(t, api, c, u, "en")
		users = append(users, u)
	}
	job := api.CreateRolloutJob(t, c, client.RolloutJobCreate{Kind: "issue", Users: users}).Want(t, http.StatusAccepted)

	for k, v := range map[string]string{"OTPCARD_DATABASE_URL": url, "OTPCARD_CELL_PEPPER": b64(pepper),
		"OTPCARD_JWT_HS256_SECRET": testSecret, "OTPCARD_DATA_DIR": t.TempDir(), "OTPCARD_LOG_LEVEL": "warn"} {
		t.Setenv(k, v)
	}
	watch := func(id string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := bootstrap.Main(t.Context(), []string{"rollout", "watch", id}, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := watch(job.ID)
	if code != 0 || !strings.Contains(out, "succeeded: 40 of 40 items done, 0 failed; print batch "+job.PrintBatchID) ||
		!strings.Contains(out, "issue") || !strings.Contains(out, "items/s") {
		t.Errorf("watch: exit %d, stdout %q, stderr %q; want 0 and a bar that ends with the job", code, out, errOut)
	}
	if got := api.GetRolloutJob(t, c, job.ID).Want(t, http.StatusOK); got.Status != "succeeded" {
		t.Errorf("the job is %s after the watch, want succeeded", got.Status)
	}
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-job"} {
		code, out, errOut := watch(id)
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "rollout job") {
			t.Errorf("watch %s: exit %d, stdout %q, stderr %q; want 1 and one line", id, code, out, errOut)
		}
	}
}
