package client

import (
	"bytes"
	"encoding/json"
	"strings"
)

// LeakMarkers must never appear in an error body (API.md section 1.1): SQL, driver errors, panics.
// "sql", "panic" and "goroutine" are looked for in any case.
var LeakMarkers = []string{"SELECT", "INSERT", "UPDATE ", "pq:", "panic", "goroutine", "sql", "runtime."}

// WantProblem fails unless r is an RFC 9457 problem of the status whose first nevisIDM error has
// the code (API.md section 1.1): problem+json, no-store, type, title and detail non-empty, the
// status member equal to the HTTP status, a message with the code, and no trace of SQL, a driver
// or a panic.
func (r Response) WantProblem(t T, status int, code string) Problem {
	t.Helper()
	if !r.WantStatus(t, status) {
		return Problem{}
	}
	if got := r.Header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type: got %q, want application/problem+json", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	var p map[string]any
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem body: got %q, want a JSON object: %v", r.Body, err)
		return Problem{}
	}
	for _, m := range []string{"type", "title", "detail"} {
		if v, ok := p[m].(string); !ok || v == "" {
			t.Errorf("problem member %s: got %v, want a non-empty string", m, p[m])
		}
	}
	if got, ok := p["status"].(float64); !ok || int(got) != status {
		t.Errorf("problem status member: got %v, want %d", p["status"], status)
	}
	errs, _ := p["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("problem errors: got %v, want at least one item", p["errors"])
		return Problem{}
	}
	first, _ := errs[0].(map[string]any)
	if got := first["code"]; got != code {
		t.Errorf("errors[0].code: got %v, want %s", got, code)
	}
	if _, ok := first["message"].(string); !ok {
		t.Errorf("errors[0].message: got %v, want a string", first["message"])
	}
	body := string(r.Body)
	for _, m := range LeakMarkers {
		if strings.Contains(body, m) || (m == "sql" || m == "panic" || m == "goroutine") && strings.Contains(strings.ToLower(body), m) {
			t.Errorf("problem body: got %s, want no %q in it", body, m)
		}
	}
	var out Problem
	_ = json.Unmarshal(r.Body, &out) // the checks above report what does not fit
	return out
}

// Problem decodes the body as a problem without judging it; a body that is none gives the zero
// Problem.
func (r Response) Problem() Problem {
	var p Problem
	_ = json.Unmarshal(r.Body, &p)
	return p
}

// WantNoSecrets fails when the body carries one of the secrets (a token, a cell, a whole card).
func (r Response) WantNoSecrets(t T, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && bytes.Contains(r.Body, []byte(sec)) {
			t.Errorf("body: got a secret %.10q... in %s, want none", sec, r.Body)
		}
	}
}
