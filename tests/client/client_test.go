package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// seen is what a fake otpcard received.
type seen struct {
	mu       sync.Mutex
	requests []string // "METHOD path?query content-type authorization x-token body"
}

func (s *seen) add(r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, strings.Join([]string{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"),
		r.Header.Get("Authorization"), r.Header.Get("X-Token"), string(body)}, " "))
}

func (s *seen) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// fake answers every request with the status and body given, after recording it.
func fake(t *testing.T, status func(n int) int, body string) (*API, *seen) {
	t.Helper()
	var got seen
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.add(r)
		n++
		code := status(n)
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL, Options{}), &got
}

func always(code int) func(int) int { return func(int) int { return code } }

// TestTypedCallsSendTheWire checks the paths built from keys, the bodies, the credentials and
// the content type that typed calls put on the wire.
func TestTypedCallsSendTheWire(t *testing.T) {
	api, got := fake(t, always(http.StatusOK), `{"extId":"c1","version":3}`)
	card := CardKey{Client: "bank", User: "alice", Card: "c1"}
	c := api.As("tok").ReplaceCard(t, card, CredentialReplace{Version: 2}).Want(t, http.StatusOK)
	if c.ExtID != "c1" || c.Version != 3 {
		t.Errorf("answer: got %+v, want extId c1 at version 3", c)
	}
	api.Self("self").GetCard(t, card)
	api.As("tok").ListUsers(t, "bank", UserQuery{Page: Page{Limit: 2}, LoginID: "a b"})
	api.Challenge(t, card.UserKey())
	api.Do(t, Request{Method: "POST", Path: card.ReplacePath(), Body: []byte(`{}`), Header: http.Header{"Content-Type": {""}}})
	want := []string{
		"POST /nevisidm/api/core/v1/bank/users/alice/otp-credentials/c1/replace application/json Bearer tok  {\"version\":2}",
		"GET /nevisidm/api/core/v1/bank/users/alice/otp-credentials/c1   self ",
		"GET /nevisidm/api/core/v1/clients/bank/users?limit=2&loginId=a+b  Bearer tok  ",
		"POST /nevisidm/api/auth/v1/bank/users/alice/otp/challenge    ",
		"POST /nevisidm/api/core/v1/bank/users/alice/otp-credentials/c1/replace    {}",
	}
	if all := got.all(); strings.Join(all, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n got %q\nwant %q", all, want)
	}
}

// TestRetryTooMany: a 429 is asked again after its Retry-After while the budget lasts, and only
// when the API is told to.
func TestRetryTooMany(t *testing.T) {
	api, got := fake(t, func(n int) int {
		if n == 1 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}, `{}`)
	if r := api.GetClient(t, "c"); r.Status != http.StatusTooManyRequests || len(got.all()) != 1 {
		t.Errorf("without RetryTooMany: got %d after %d requests, want the 429 after 1", r.Status, len(got.all()))
	}
	api, got = fake(t, func(n int) int {
		if n <= 2 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}, `{}`)
	api.opts.RetryTooMany = time.Minute
	if r := api.NoRetry().GetClient(t, "c"); r.Status != http.StatusTooManyRequests || len(got.all()) != 1 {
		t.Errorf("NoRetry: got %d after %d requests, want the 429 after 1", r.Status, len(got.all()))
	}
	began := time.Now()
	if r := api.GetClient(t, "c"); r.Status != http.StatusOK || len(got.all()) != 3 || time.Since(began) < time.Second {
		t.Errorf("with RetryTooMany: got %d after %d requests in %v, want 200 after 3, a second apart", r.Status, len(got.all()), time.Since(began))
	}
}

// TestCheckSeesEveryAnswer: the Check gets every answer, HEAD included.
func TestCheckSeesEveryAnswer(t *testing.T) {
	api, _ := fake(t, always(http.StatusNotFound), `{}`)
	var checked []string
	api.opts.Check = func(_ T, req *http.Request, status int, _ http.Header, _ []byte) {
		checked = append(checked, req.Method+" "+http.StatusText(status))
	}
	api.GetClient(t, "c")
	api.Head(t, ClientPath("c"))
	api.Unchecked().GetClient(t, "c")
	if want := []string{"GET Not Found", "HEAD Not Found"}; strings.Join(checked, ",") != strings.Join(want, ",") {
		t.Errorf("checked: got %v, want %v", checked, want)
	}
}

// TestRecorderKeepsTheFirstFailure: a program's calls report to a Recorder, whose Fatalf returns
// and keeps the first failure; the call then answers zero values.
func TestRecorderKeepsTheFirstFailure(t *testing.T) {
	api, _ := fake(t, always(http.StatusConflict), `{"type":"about:blank","title":"Conflict","status":409,"detail":"stale",`+
		`"errors":[{"code":"errors.optimisticLockingFailure","message":"stale"}]}`)
	rec := NewRecorder(context.Background())
	c := api.ReplaceCard(rec, CardKey{Client: "a", User: "b", Card: "c"}, CredentialReplace{}).Want(rec, http.StatusOK)
	api.GetClient(rec, "x").Want(rec, http.StatusNotFound)
	if c.ExtID != "" || rec.Err() == nil || !strings.Contains(rec.Err().Error(), "got status 409, want 200; body errors.optimisticLockingFailure: stale") {
		t.Errorf("got %+v and error %v, want a zero credential and the first failure", c, rec.Err())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec = NewRecorder(ctx)
	if _, err := api.Send(rec, Request{Method: "GET", Path: "/healthz"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a call under a cancelled context: got %v, want context.Canceled", err)
	}
}
