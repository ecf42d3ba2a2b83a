package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Request is one request as it goes on the wire: the raw entry point for what a typed call cannot
// send (malformed JSON, another content type, odd headers and paths).
type Request struct {
	Method string
	// Path is the path and query, written as they go on the wire: nothing is escaped.
	Path string
	// Header is sent beside the API's headers and wins over them; a Content-Type present here, even
	// empty, replaces the default application/json of a request with a body.
	Header http.Header
	// Body is sent as it is; nil sends no body.
	Body []byte
	// Stream is an unsized body, sent chunked, instead of Body.
	Stream io.Reader
}

// Option changes the request of a typed call.
type Option func(*Request)

// Header sets a header of the request.
func Header(name, value string) Option {
	return func(r *Request) {
		if r.Header == nil {
			r.Header = http.Header{}
		}
		r.Header.Set(name, value)
	}
}

// acceptPDF asks for the printable card instead of JSON (API.md section 4).
var acceptPDF = Header("Accept", "application/pdf")

// Response is an answer of the service.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Request is the request as it was sent (its body consumed).
	Request *http.Request
}

// Send sends r, retrying 429 answers when the API is configured to, and gives every answer to the
// Check. A transport error is returned, with whatever part of the answer arrived: the server may
// close a connection right after answering a request it refused.
func (a *API) Send(t T, r Request) (Response, error) {
	t.Helper()
	var waited time.Duration
	for {
		hr, err := a.newRequest(t, r)
		if err != nil {
			return Response{}, err
		}
		resp, err := a.opts.HTTP.Do(hr)
		if err != nil {
			return Response{Request: hr}, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
		}
		body, err := readBody(resp)
		out := Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Request: hr}
		if err != nil {
			return out, fmt.Errorf("%s %s: read the answer: %w", r.Method, r.Path, err)
		}
		if a.opts.Check != nil {
			a.opts.Check(t, hr, out.Status, out.Header, out.Body)
		}
		if out.Status != http.StatusTooManyRequests || waited >= a.opts.RetryTooMany || r.Stream != nil {
			return out, nil
		}
		// A 429 changes nothing: ask again once the limit allows it.
		wait := time.Second
		if secs, err := strconv.Atoi(out.Header.Get("Retry-After")); err == nil && secs > 0 {
			wait = time.Duration(secs) * time.Second
		}
		t.Logf("%s %s: 429 from the target, retrying in %v", r.Method, r.Path, wait)
		timer := time.NewTimer(wait)
		select {
		case <-t.Context().Done():
			timer.Stop()
			return out, nil
		case <-timer.C:
		}
		waited += wait
	}
}

// Do is Send for a test: a transport error fails it.
func (a *API) Do(t T, r Request) Response {
	t.Helper()
	resp, err := a.Send(t, r)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return resp
}

// readBody reads and closes the body, into one buffer of the announced size when there is one.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	if resp.ContentLength < 0 || resp.ContentLength > 1<<20 || resp.Request.Method == http.MethodHead {
		return io.ReadAll(resp.Body)
	}
	body := make([]byte, resp.ContentLength)
	n, err := io.ReadFull(resp.Body, body)
	return body[:n], err
}

func (a *API) newRequest(t T, r Request) (*http.Request, error) {
	var body io.Reader
	switch {
	case r.Stream != nil:
		body = io.MultiReader(r.Stream) // hides the size: sent chunked
	case r.Body != nil:
		body = bytes.NewReader(r.Body)
	}
	hr, err := http.NewRequestWithContext(t.Context(), r.Method, a.base+r.Path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
	}
	for k, v := range a.header {
		hr.Header[k] = v
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.Header {
		hr.Header[http.CanonicalHeaderKey(k)] = v
	}
	return hr, nil
}

// call is every typed call: body marshalled to JSON unless nil, the options applied, the answer
// typed.
func call[R any](t T, a *API, method, path string, body any, opts []Option) Reply[R] {
	t.Helper()
	r := Request{Method: method, Path: path}
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("%s %s: marshal the body: %v", method, path, err)
			return Reply[R]{}
		}
		r.Body = data
	}
	for _, o := range opts {
		o(&r)
	}
	return Reply[R]{a.Do(t, r)}
}

// Reply is the answer to a typed call: the response and the type a success decodes into.
type Reply[R any] struct{ Response }

// Want fails unless the status is want and returns the decoded body.
func (r Reply[R]) Want(t T, want int) R {
	t.Helper()
	if !r.WantStatus(t, want) {
		var zero R
		return zero
	}
	return r.Value(t)
}

// Value decodes the body, whatever the status.
func (r Reply[R]) Value(t T) R {
	t.Helper()
	return Decode[R](t, r.Response)
}

// Decode decodes the body of r into an R: JSON, or the bytes themselves for PDF and []byte.
func Decode[R any](t T, r Response) R {
	t.Helper()
	var out R
	switch p := any(&out).(type) {
	case *NoContent:
	case *PDF:
		*p = r.Body
	case *Archive:
		*p = r.Body
	case *[]byte:
		*p = r.Body
	default:
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("%s: decode the %d answer as %T: %v; body %s", r.what(), r.Status, out, err, brief(r.Body))
		}
	}
	return out
}

// WantStatus fails unless the status is want.
func (r Response) WantStatus(t T, want int) bool {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: got status %d, want %d; body %s", r.what(), r.Status, want, brief(r.Body))
		return false
	}
	return true
}

// JSON decodes the body as a JSON object, for checks of members as they are on the wire (absent,
// null, of another type).
func (r Response) JSON(t T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s: the %d answer is not a JSON object: %v: %s", r.what(), r.Status, err, brief(r.Body))
	}
	return m
}

func (r Response) what() string {
	if r.Request == nil {
		return "request"
	}
	return r.Request.Method + " " + r.Request.URL.RequestURI()
}

// brief is a body for a failure message: a problem's code and detail, else at most 500 bytes.
func brief(body []byte) string {
	var p Problem
	if json.Unmarshal(body, &p) == nil && len(p.Errors) > 0 {
		return p.Errors[0].Code + ": " + p.Detail
	}
	if len(body) > 500 {
		return string(body[:500]) + "..."
	}
	return string(body)
}
