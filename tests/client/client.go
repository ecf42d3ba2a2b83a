// Package client is the typed HTTP client of otpcard's API (API.md sections 1-9), shared by the
// black-box tests in tests/ and the load benchmark in tests/bench, so that a test reads as the
// specification it checks:
//
//	api := client.New(baseURL, client.Options{}).As(token)
//	card := api.ReplaceCard(t, client.CardKey{Client: "bank", User: "alice", Card: "c1"},
//		client.CredentialReplace{Version: 3}).Want(t, http.StatusOK)
//
// Request and response bodies are the types of openapi.json under the same names (ClientCreate,
// Credential, LoginResult, ...); paths are built from typed keys. Every call goes through one
// function, Send, which a test can also call directly with a Request written as it goes on the wire
// (malformed JSON, odd headers, raw paths). A Check hook sees every answer: the tests validate it
// against openapi.json there; the benchmark sets none.
package client

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// T is the caller of a call: a test (*testing.T satisfies it) or a program's Recorder. Fatalf must
// either stop the caller, as a test's does, or return; a call whose Fatalf returns gives back a zero
// answer, and the program reads the failure from its Recorder.
type T interface {
	Helper()
	Context() context.Context
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Check judges an answer beside the call's own expectations (the tests hold every answer to
// openapi.json); it reports through t.Errorf.
type Check func(t T, req *http.Request, status int, header http.Header, body []byte)

// Options configure an API.
type Options struct {
	// HTTP sends the requests; nil means a client with a 30 s timeout.
	HTTP *http.Client
	// Check sees every answer; nil checks nothing.
	Check Check
	// RetryTooMany is how long in all a call keeps retrying 429 answers after their Retry-After,
	// for a shared target whose rate limits are on; zero never retries.
	RetryTooMany time.Duration
}

// API calls one otpcard instance with one set of credentials. Its methods are safe for concurrent
// use; As, Self, With, NoRetry and Unchecked return changed copies.
type API struct {
	base   string
	opts   Options
	header http.Header // sent with every request: the credentials, and what With adds
}

// New returns an API for the instance at baseURL (scheme, host and port, no trailing slash) that
// sends no credentials.
func New(baseURL string, o Options) *API {
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	return &API{base: baseURL, opts: o, header: http.Header{}}
}

// BaseURL is the instance's URL.
func (a *API) BaseURL() string { return a.base }

// HTTP is the client that sends the requests.
func (a *API) HTTP() *http.Client { return a.opts.HTTP }

// As returns the API calling as an admin: Authorization: Bearer tok (API.md section 2).
func (a *API) As(tok string) *API {
	return a.anonymous().With("Authorization", "Bearer "+tok)
}

// Self returns the API calling as a self-admin user: X-Token: tok.
func (a *API) Self(tok string) *API {
	return a.anonymous().With("X-Token", tok)
}

// anonymous returns the API without credentials (and without the headers With added).
func (a *API) anonymous() *API {
	c := *a
	c.header = http.Header{}
	return &c
}

// With returns the API sending one more header with every request, beside its credentials.
func (a *API) With(name, value string) *API {
	c := *a
	c.header = a.header.Clone()
	c.header.Set(name, value)
	return &c
}

// NoRetry returns the API that gives back a 429 as it comes, for a check of the first answer.
func (a *API) NoRetry() *API {
	c := *a
	c.opts.RetryTooMany = 0
	return &c
}

// Unchecked returns the API without its Check: for answers that net/http gives before the service
// sees the request, or to paths that name no operation of the API.
func (a *API) Unchecked() *API {
	c := *a
	c.opts.Check = nil
	return &c
}

// Recorder is the T of a program: it keeps the first failure instead of ending a test, so that one
// operation's calls can run to their end and report one error.
type Recorder struct {
	ctx context.Context
	err error
}

// NewRecorder returns a Recorder whose calls run under ctx.
func NewRecorder(ctx context.Context) *Recorder { return &Recorder{ctx: ctx} }

// Err is the first failure, or nil.
func (r *Recorder) Err() error { return r.err }

// Helper does nothing: a program has no test log to tidy.
func (r *Recorder) Helper() {}

// Context is the context the Recorder was made with.
func (r *Recorder) Context() context.Context { return r.ctx }

// Errorf records the failure unless one is recorded already.
func (r *Recorder) Errorf(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// Fatalf records the failure like Errorf and returns; the call then returns a zero answer.
func (r *Recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

// Logf does nothing.
func (r *Recorder) Logf(string, ...any) {}
