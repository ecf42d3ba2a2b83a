package tests

import (
	"net/http"
	"testing"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
)

func TestZZScratchProbe(t *testing.T) {
	s := startService(t)
	f, _ := s.rolloutFixture(t, "zz")
	api := s.root(t)
	r := api.Do(t, client.Request{Method: "POST", Path: client.RolloutJobsPath(f.Client), Body: []byte(`{"kind":"issue","users":["zz-x"],"policyExtId":"nope"}`)})
	t.Logf("unknown policy: %d %s", r.Status, r.Body)
	r = api.Do(t, client.Request{Method: "POST", Path: client.RolloutJobsPath(f.Client), Body: []byte("userExtId,extId,serialNumber,stateName,validTo,cells\n"), Header: http.Header{"Content-Type": {"text/csv"}}})
	t.Logf("csv: %d %s", r.Status, r.Body)
	r = api.Do(t, client.Request{Method: "HEAD", Path: client.PrintBatchesPath(f.Client) + "/a%20b/content"})
	t.Logf("head: %d %s", r.Status, r.Body)
	r = s.api.Do(t, client.Request{Method: "POST", Path: client.RolloutJobsPath(f.Client), Body: []byte(`{`), Header: http.Header{"Content-Type": {"text/plain"}}})
	t.Logf("anon bad: %d %s", r.Status, r.Body)
	r = s.api.As(token(t, jwtauthOpts())).Do(t, client.Request{Method: "POST", Path: client.RolloutJobsPath(f.Client), Body: []byte(`{`)})
	t.Logf("noright malformed: %d %s", r.Status, r.Body)
	r = s.api.As(token(t, jwtauthOpts())).Do(t, client.Request{Method: "POST", Path: client.RolloutJobsPath(f.Client), Body: []byte(`{"kind":"issue","users":["x"]}`), Header: http.Header{"Content-Type": {"text/plain"}}})
	t.Logf("noright textplain: %d %s", r.Status, r.Body)
}

func jwtauthOpts() jwtauth.MintOptions { return jwtauth.MintOptions{Roles: []string{"Helpdesk"}} }
