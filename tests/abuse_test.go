package tests

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/tests/client"
)

// The abuse tests of issue 5 ("Abuse and bad input"): path ids with odd characters; huge query
// values and headers; hostile JSON bodies. Whatever comes in, the answer is a 4xx (a problem, when
// the service itself answers) and never a 5xx. The attacks on tokens are adapters/jwtauth's matrix
// (see authentication_test.go); the fuzz targets of the decoders, the otp codec, labels, policy
// parameters and token validation live beside those packages.

// pathRoute is a route with one path id replaced by an odd value.
type pathRoute struct {
	name, method string
	path         func(f fixture, id string) string
	body         string // raw JSON; "" sends none
	limited      bool   // per-user rate limited: 429 is a possible answer too
}

// abuseRoutes puts the odd id in every position of every kind of route.
func abuseRoutes() []pathRoute {
	user := func(f fixture, id string) client.UserKey { return client.UserKey{Client: f.Client, User: id} }
	return []pathRoute{
		{"GET client", "GET", func(_ fixture, id string) string { return client.ClientPath(id) }, "", false},
		{"PATCH client", "PATCH", func(_ fixture, id string) string { return client.ClientPath(id) }, `{}`, false},
		{"DELETE client", "DELETE", func(_ fixture, id string) string { return client.ClientPath(id) }, "", false},
		{"GET users of client", "GET", func(_ fixture, id string) string { return client.UserListPath(id) }, "", false},
		{"GET policies of client", "GET", func(_ fixture, id string) string { return client.PolicyListPath(id) }, "", false},
		{"POST policy in client", "POST", func(_ fixture, id string) string { return client.PoliciesPath(id) },
			`{"name":"p","policyType":"OTPCardPolicy"}`, false},
		{"GET policy", "GET", func(f fixture, id string) string { return client.PolicyKey{Client: f.Client, Policy: id}.Path() }, "", false},
		{"GET user in client", "GET", func(f fixture, id string) string { return client.UserKey{Client: id, User: f.User}.Path() }, "", false},
		{"GET user", "GET", func(f fixture, id string) string { return user(f, id).Path() }, "", false},
		{"PATCH user", "PATCH", func(f fixture, id string) string { return user(f, id).Path() }, `{"remarks":"r"}`, false},
		{"DELETE user", "DELETE", func(f fixture, id string) string { return user(f, id).Path() }, "", false},
		{"POST card for user", "POST", func(f fixture, id string) string { return user(f, id).CardsPath() }, `{}`, true},
		{"GET cards of user", "GET", func(f fixture, id string) string { return user(f, id).CardsPath() }, "", false},
		{"GET card", "GET", func(f fixture, id string) string { return f.UserKey().Card(id).Path() }, "", false},
		{"PATCH card", "PATCH", func(f fixture, id string) string { return f.UserKey().Card(id).Path() }, `{"stateName":"disabled"}`, false},
		{"DELETE card", "DELETE", func(f fixture, id string) string { return f.UserKey().Card(id).Path() }, "", false},
		{"POST replace", "POST", func(f fixture, id string) string { return f.UserKey().Card(id).ReplacePath() }, `{}`, true},
		{"POST challenge", "POST", func(f fixture, id string) string { return user(f, id).ChallengePath() }, "", true},
		{"POST login", "POST", func(f fixture, id string) string { return client.UserKey{Client: id, User: f.User}.LoginPath() },
			`{"challenge":"001","password":"0000"}`, true},
	}
}

// oddIDs are path ids no entity can have (or, for the dots, ids no entity has), written as they go
// on the wire.
var oddIDs = []string{
	"%2F", "a%2Fb", "%2Fusers", "%5C", "..", "%2E%2E", ".", "...", "%C3%A9", "%F0%9F%94%91", "%E2%80%AE",
	"%FF", "%C0%AE", "%00", "a%00b", "%0A", "%0D%0A", "%20", "%09", "%25", "%252F", "%3F", "%23", "%3B",
	"%2A", "%24", "%27%20OR%201%3D1", "%7B%7D", "%5B%5D", "%22", "%3C%3E",
	strings.Repeat("k", 65), strings.Repeat("k", 4096), strings.Repeat("%C3%A9", 40),
}

// expectRefusal checks a 400 or 404 problem (or 429 on a rate-limited route), never a 5xx. An
// encoded slash is decoded before routing, so such an id may name another route's path, which
// allows other methods only: 405.
func expectRefusal(t *testing.T, r client.Response, id string, limited bool) {
	t.Helper()
	codes := map[int]string{http.StatusBadRequest: "errors.invalidData", http.StatusNotFound: "errors.noRecord"}
	if limited {
		codes[http.StatusTooManyRequests] = "errors.tooManyRequests"
	}
	if strings.Contains(id, "%2F") {
		codes[http.StatusMethodNotAllowed] = "errors.methodNotAllowed"
	}
	code, ok := codes[r.Status]
	if !ok {
		t.Fatalf("status: got %d, want 400 or 404 (or 429 when rate limited), never 5xx; body %.300s", r.Status, r.Body)
	}
	r.WantProblem(t, r.Status, code)
}

// TestAbusePathIDs sends odd path ids in every position of every route: 400 or 404, never 5xx, and
// nothing changes. It runs twice: with the rate limits off, so that every answer comes from the
// handlers, and on, since the per-user limits read the path ids before the handlers do (the
// per-user budgets then run out: 429 is a valid answer on those routes).
func TestAbusePathIDs(t *testing.T) {
	t.Parallel()
	for _, limits := range []string{"off", "on"} {
		t.Run("rate limits "+limits, func(t *testing.T) {
			t.Parallel()
			abusePathIDs(t, limits == "on")
		})
	}
}

func abusePathIDs(t *testing.T, limits bool) {
	env := map[string]string{"OTPCARD_RATE_LIMIT": "off"}
	if limits {
		env["OTPCARD_RATE_LIMIT"] = "on"
	}
	s := startServiceWith(t, io.Discard, env)
	f := s.newFixture(t, "path")
	before := s.cardSnapshot(t, f)
	// The decoded path may name no operation of the API: no contract to hold the answer to
	// (expectRefusal checks the problem).
	api := s.root(t).Unchecked()
	for _, rt := range abuseRoutes() {
		t.Run(rt.name, func(t *testing.T) {
			for _, id := range oddIDs {
				req := client.Request{Method: rt.method, Path: rt.path(f, id)}
				if rt.body != "" {
					req.Body = []byte(rt.body)
				}
				r, err := api.Send(t, req)
				if err != nil {
					t.Fatalf("%s %s: %v", req.Method, req.Path, err)
				}
				t.Run(fmt.Sprintf("%.40s", id), func(t *testing.T) { expectRefusal(t, r, id, limits && rt.limited) })
			}
		})
	}
	if after := s.cardSnapshot(t, f); !sameCard(before, after) {
		t.Errorf("card after the odd paths: got %+v, want it unchanged %+v", after, before)
	}
	s.root(t).GetClient(t, f.Client).Want(t, http.StatusOK)
	s.root(t).GetUser(t, f.UserKey()).Want(t, http.StatusOK)
	if limits {
		return
	}

	t.Run("request lines net/http refuses", func(t *testing.T) {
		tok := rootToken(t)
		for _, target := range []string{
			client.ClientsPath + "/%zz", client.ClientsPath + "/a%", client.ClientsPath + "/a%2",
			client.ClientsPath + "/\xff\xfe", client.ClientsPath + "/a b", client.ClientsPath + "/\x7f",
			client.ClientsPath + "/%u002F", "//" + client.ClientsPath[1:], "*",
			client.ClientsPath + "/" + strings.Repeat("%2F", 20<<10),
		} {
			status := rawRequestLine(t, s, "GET "+target+" HTTP/1.1", tok)
			if status != http.StatusBadRequest && status != http.StatusNotFound && status != http.StatusRequestHeaderFieldsTooLarge &&
				status != http.StatusRequestURITooLong {
				t.Errorf("GET %.60q: got status %d, want 400, 404, 414 or 431", target, status)
			}
		}
	})
}

// rawRequestLine sends one request line as written, with a Root token, over a fresh connection and
// returns the status of the answer.
func rawRequestLine(t *testing.T, s *service, line, tok string) int {
	t.Helper()
	u, err := url.Parse(s.api.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := fmt.Fprintf(conn, "%s\r\nHost: %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", line, u.Host, tok); err != nil {
		t.Fatalf("write %.60q: %v", line, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer to %.60q: %v", line, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAbuseQueries sends huge and malformed query values to the list endpoints.
func TestAbuseQueries(t *testing.T) {
	t.Parallel()
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_RATE_LIMIT": "on"})
	f := s.newFixture(t, "query")
	api := s.root(t)
	lists := []string{client.ClientsPath, client.UserListPath(f.Client), client.PolicyListPath(f.Client), f.UserKey().CardsPath()}
	// bad sends a query the service must refuse with a 400 problem. Beyond net/http's header limit
	// (32 KiB), net/http refuses the request line itself (431 or 414, in plain text).
	bad := func(t *testing.T, p, query string) {
		t.Helper()
		req := client.Request{Method: "GET", Path: p + "?" + query}
		if len(query) > 32<<10 {
			r, err := api.Unchecked().Send(t, req)
			if err != nil {
				t.Fatalf("GET %s?%.60s: %v", p, query, err)
			}
			if r.Status != http.StatusRequestURITooLong && r.Status != http.StatusRequestHeaderFieldsTooLarge &&
				r.Status != http.StatusBadRequest {
				t.Fatalf("GET %s?%.60s: got status %d, want 431, 414 or 400, never 5xx; body %.300s", p, query, r.Status, r.Body)
			}
			return
		}
		r, err := api.Send(t, req)
		if err != nil {
			t.Fatalf("GET %s?%.60s: %v", p, query, err)
		}
		if r.Status != http.StatusBadRequest {
			t.Fatalf("GET %s?%.60s: got status %d, want 400, never 5xx; body %.300s", p, query, r.Status, r.Body)
		}
		r.WantProblem(t, http.StatusBadRequest, "errors.invalidData")
	}
	cursor := func(v any) string {
		data, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(data)
	}
	for _, p := range lists {
		t.Run(strings.TrimPrefix(p, client.CorePath), func(t *testing.T) {
			for _, q := range []string{
				"limit=1000000000000000000000000000000", "limit=-1", "limit=0", "limit=1001", "limit=", "limit=1.5",
				"limit=1e3", "limit=0x10", "limit=%00", "limit=%EF%BC%91", "limit=" + strings.Repeat("9", 10<<10),
				"continuationToken=" + strings.Repeat("A", 100<<10),
				"continuationToken=" + strings.Repeat("A", 20<<10),
				"continuationToken=", "continuationToken=%00", "continuationToken=%FF%FE",
				"continuationToken=" + cursor(map[string]any{"c": "not a time", "e": "x"}),
				"continuationToken=" + cursor(map[string]any{"c": "2026-01-01T00:00:00Z", "e": "bad id"}),
				"continuationToken=" + cursor(map[string]any{"c": "2026-01-01T00:00:00Z", "e": strings.Repeat("e", 65)}),
				"continuationToken=" + cursor(map[string]any{"c": 5, "e": []int{1}}),
				"continuationToken=" + cursor([]any{1, 2}),
			} {
				bad(t, p, q)
			}
		})
	}
	t.Run("odd but valid cursors are no 5xx", func(t *testing.T) {
		for _, c := range []map[string]any{
			{"c": "0001-01-01T00:00:00Z", "e": "a"}, {"c": "9999-12-31T23:59:59.999999999Z", "e": "~"},
			{"c": "2026-01-01T00:00:00+23:59", "e": "::"}, {"c": "2026-01-01T00:00:00Z", "e": strings.Repeat("z", 64)},
		} {
			r := api.ListClients(t, client.Page{ContinuationToken: cursor(c)})
			if r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
				t.Errorf("cursor %v: got status %d, want 200 or 400; body %.300s", c, r.Status, r.Body)
			}
		}
	})
	t.Run("loginId filter", func(t *testing.T) {
		users := client.UserListPath(f.Client)
		for _, q := range []string{
			"loginId=" + strings.Repeat("l", 10<<10), "loginId=" + strings.Repeat("%C3%A9", 256),
			"loginId=" + strings.Repeat("l", 40<<10), "loginId=", "loginId=%00", "loginId=a%00b", "loginId=%FF",
			"loginId=a&loginId=b",
		} {
			bad(t, users, q)
		}
		// The longest loginId a user may have is still a valid filter.
		api.ListUsers(t, f.Client, client.UserQuery{LoginID: strings.Repeat("é", 255)}).Want(t, http.StatusOK)
	})
}

// TestAbuseBodies sends hostile JSON to the write endpoints: deep nesting, duplicate members,
// invalid UTF-8. The answer is 400 or a safe acceptance, quickly, never a 5xx.
func TestAbuseBodies(t *testing.T) {
	s, f, api := startWithFixture(t, "body")
	deep := func(member string, levels int, open, close string) string {
		return `{"` + member + `":` + strings.Repeat(open, levels) + strings.Repeat(close, levels) + `}`
	}
	targets := []struct {
		name, method, path, member string
	}{
		{"POST clients", "POST", client.ClientsPath, "name"},
		{"PATCH client", "PATCH", client.ClientPath(f.Client), "displayName"},
		{"POST user", "POST", client.UsersPath(f.Client), "name"},
		{"PATCH user", "PATCH", f.UserKey().Path(), "address"},
		{"POST policy", "POST", client.PoliciesPath(f.Client), "parameters"},
		{"PATCH card", "PATCH", f.Path(), "stateName"},
		{"POST replace", "POST", f.ReplacePath(), "modificationComment"},
		{"POST login", "POST", f.UserKey().LoginPath(), "password"},
	}
	// send is timed: a hostile body must be answered quickly, and a 429 of a shared target is an
	// answer too.
	send := func(t *testing.T, method, path, body string) client.Response {
		t.Helper()
		start := time.Now()
		r, err := api.NoRetry().Send(t, client.Request{Method: method, Path: path, Body: []byte(body)})
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s %s: answered after %v, want well under 5 s", method, path, d)
		}
		return r
	}
	t.Run("deep nesting", func(t *testing.T) {
		for _, tg := range targets {
			for _, b := range []struct {
				name, body string
			}{
				{"10k [ in a member", deep(tg.member, 10_000, "[", "]")},
				{"30k [ in a member", deep(tg.member, 30_000, "[", "]")},
				{"10k objects in a member", deep(tg.member, 10_000, `{"a":`, "}")},
				{"10k [ unclosed", `{"` + tg.member + `":` + strings.Repeat("[", 10_000)},
				{"10k [ in an unknown member", deep("zzz", 10_000, "[", "]")},
			} {
				t.Run(tg.name+"/"+b.name, func(t *testing.T) {
					send(t, tg.method, tg.path, b.body).WantProblem(t, http.StatusBadRequest, "errors.invalidData")
				})
			}
		}
	})
	t.Run("invalid UTF-8 and odd strings", func(t *testing.T) {
		for _, tg := range targets {
			for _, v := range []string{"\xff\xfe", "a\xc3", "\xed\xa0\x80", `\ud800`, `\udfff\ud800`, "\xc0\xaf", `\u0000`, "\x00", "\x1f"} {
				t.Run(fmt.Sprintf("%s/%q", tg.name, v), func(t *testing.T) {
					r := send(t, tg.method, tg.path, `{"`+tg.member+`":"`+v+` `+uid("odd")+`"}`) // a client it creates is new to the run
					if r.Status >= 500 {
						t.Fatalf("got status %d, want no 5xx; body %.300s", r.Status, r.Body)
					}
					if r.Status >= 400 {
						r.WantProblem(t, r.Status, r.Problem().Code())
					}
				})
			}
		}
		// Accepted safely: a loginId with invalid UTF-8 is stored with U+FFFD and reads back as valid JSON.
		r := send(t, "POST", client.UsersPath(f.Client), "{\"loginId\":\"bad\xffutf8\",\"remarks\":\"\xed\xa0\x80\"}")
		if r.Status == http.StatusCreated {
			if got := client.Decode[client.User](t, r).LoginID; got != "bad\uFFFDutf8" {
				t.Errorf("loginId: got %q, want the invalid byte as U+FFFD", got)
			}
		} else {
			r.WantProblem(t, http.StatusBadRequest, "errors.invalidData")
		}
	})
	t.Run("duplicate members", func(t *testing.T) {
		// RFC 8259 leaves duplicates to the parser; this one keeps the last. Either refuse or keep the
		// last consistently, never 5xx.
		dupA, dupB, first, second := uid("dup-a"), uid("dup-b"), uid("first"), uid("second")
		r := send(t, "POST", client.ClientsPath, `{"extId":"`+dupA+`","extId":"`+dupB+`","name":"`+first+`","name":"`+second+`"}`)
		if r.Status == http.StatusCreated {
			if m := client.Decode[client.Client](t, r); m.ExtID != dupB || m.Name != second {
				t.Errorf("duplicate members: got extId %v name %v, want the last ones (%s, %s)", m.ExtID, m.Name, dupB, second)
			}
		} else {
			r.WantProblem(t, http.StatusBadRequest, "errors.invalidData")
		}
		g := s.newFixture(t, "dupv")
		r = send(t, "POST", g.ReplacePath(), `{"version":999,"version":"1"}`)
		if r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
			t.Fatalf("version 999 then 1: got status %d, want 200 (the last wins) or 400; body %.300s", r.Status, r.Body)
		}
		send(t, "POST", g.ReplacePath(), `{"version":2,"version":"x"}`).WantProblem(t, http.StatusBadRequest, "errors.invalidData")
		r = send(t, "PATCH", g.Path(), `{"stateName":"disabled","stateName":"bogus"}`)
		if r.Status < 400 || r.Status >= 500 {
			t.Fatalf("stateName disabled then bogus: got status %d, want 4xx (the last wins or refused); body %.300s", r.Status, r.Body)
		}
	})
	t.Run("big bodies of many members", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"loginId":"many","properties":{`)
		for i := range 3000 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"k%d":"v"`, i)
		}
		b.WriteString(`}}`)
		send(t, "POST", client.UsersPath(f.Client), b.String()).WantProblem(t, http.StatusBadRequest, "errors.invalidData")
		name := `"name":"` + uid("many") + `"`
		many := `{` + name + strings.Repeat(`,`+name, 5000) + `}`
		if r := send(t, "POST", client.ClientsPath, many); r.Status >= 500 {
			t.Fatalf("5000 duplicate members: got status %d, want no 5xx", r.Status)
		}
	})
	// The service is still healthy after all of it.
	s.api.Readyz(t).Want(t, http.StatusOK)
}
