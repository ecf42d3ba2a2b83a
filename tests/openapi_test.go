package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/otpcard/otpcard/adapters/httpapi"
	"github.com/otpcard/otpcard/tests/client"
)

// openAPIFile is the document the service embeds and serves at /openapi.json.
const openAPIFile = "../adapters/httpapi/openapi.json"

// contract validates responses against an OpenAPI document.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	contractOnce sync.Once
	theContract  *contract
	contractErr  error
)

// apiContract is the contract of openapi.json, built once per test binary.
func apiContract() (*contract, error) {
	contractOnce.Do(func() {
		// Media types whose bodies the document describes beyond JSON: the printable card is
		// opaque bytes, problems are JSON, metrics are text.
		openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/octet-stream", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/problem+json", openapi3filter.JSONBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/openmetrics-text", openapi3filter.PlainBodyDecoder)
		doc, err := loadOpenAPI()
		if err != nil {
			contractErr = err
			return
		}
		theContract, contractErr = newContract(doc)
	})
	return theContract, contractErr
}

// loadOpenAPI reads and validates openapi.json.
func loadOpenAPI() (*openapi3.T, error) {
	data, err := os.ReadFile(openAPIFile)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", openAPIFile, err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("validate %s: %w", openAPIFile, err)
	}
	return doc, nil
}

// openAPIDoc is loadOpenAPI for a test: an error fails it.
func openAPIDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := loadOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// testContract is apiContract for a test: an error fails it.
func testContract(t *testing.T) *contract {
	t.Helper()
	c, err := apiContract()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newContract routes by path alone: the tests' service listens on a port of its own, not on the
// document's server URL.
func newContract(doc *openapi3.T) (*contract, error) {
	routed := *doc
	routed.Servers = nil
	router, err := gorillamux.NewRouter(&routed)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", openAPIFile, err)
	}
	return &contract{doc: doc, router: router}, nil
}

// contractOptions fail on undocumented statuses and report every mismatch of a response.
var contractOptions = func() *openapi3filter.Options {
	o := &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	o.WithCustomSchemaErrorFunc(schemaErrorMessage)
	return o
}()

// schemaErrorMessage names where a value breaks the schema and why, leaving out the value (it
// could be a card in clear) and the schema (it is in openapi.json).
func schemaErrorMessage(err *openapi3.SchemaError) string {
	var causes openapi3.MultiError
	if errors.As(err.Origin, &causes) {
		return causes.Error()
	}
	if strings.HasPrefix(err.Reason, "error at ") { // the JSON Schema 2020-12 reason names the place
		return err.Reason
	}
	return "at /" + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
}

// validateResponse fails the test when a response of the service does not match openapi.json: the
// Check of the tests' client, so every answer is held to it.
func validateResponse(t client.T, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	c, err := apiContract()
	if err != nil {
		t.Errorf("openapi.json: %v", err)
		return
	}
	if err := c.check(req, status, header, body); err != nil {
		t.Errorf("%s %s: the %d response does not match openapi.json: %v", req.Method, req.URL.Path, status, err)
	}
}

// check validates the status, headers and body of one response to req.
func (c *contract) check(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := c.router.FindRoute(req)
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		return c.checkUnrouted(req.Method, err, status, header, body)
	}
	if err != nil {
		return fmt.Errorf("find the operation: %w", err)
	}
	validated := req
	if req.Method == http.MethodHead {
		// openapi3filter.ValidateResponse accepts any answer to a HEAD request without a look (it
		// reads the request for nothing else). The HEAD operation's responses describe status and
		// headers, and no content: the answer is validated against them with the method renamed,
		// the route staying HEAD's.
		if len(body) != 0 {
			return fmt.Errorf("a HEAD answer with a body of %d bytes", len(body))
		}
		validated = req.Clone(req.Context())
		validated.Method = http.MethodGet
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: validated, PathParams: params, Route: route, Options: contractOptions,
		},
		Status:  status,
		Header:  header,
		Options: contractOptions,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return err
	}
	if status >= 400 && len(body) != 0 {
		return checkProblem(status, body)
	}
	return nil
}

// problemCodes are the errors[].code each status may carry (API.md 1.1). The document has one
// Problem schema for every status, so that a generated client has one error type; the tests hold
// the service to the table that the one schema leaves out.
var problemCodes = map[int][]string{
	400: {"errors.invalidData"},
	401: {"errors.notAuthenticated", "errors.reauthenticationRequired"},
	403: {"errors.permissionDenied", "errors.dataroomPermissionDenied", "errors.credentialNotUsable", "errors.userNotUsable"},
	404: {"errors.noRecord"},
	405: {"errors.methodNotAllowed"},
	409: {"errors.optimisticLockingFailure", "errors.duplicateValue"},
	413: {"errors.payloadTooLarge"},
	415: {"errors.unsupportedMediaType"},
	422: {"errors.tooManyOTPCards", "errors.missingReferenceData", "errors.modifyReadonlyData", "errors.policyViolation",
		"errors.undeletedDependencies", "errors.noChallenge"},
	423: {"errors.credentialLocked"},
	429: {"errors.tooManyRequests"},
	431: {"errors.invalidData"},
	500: {"errors.fatalError"},
	503: {"errors.serviceUnavailable"},
}

// checkProblem checks what the one Problem schema cannot say per status: the member status equals
// the HTTP status, every code belongs to that status, and only a 423 carries lockedUntil.
func checkProblem(status int, body []byte) error {
	var p struct {
		Status int `json:"status"`
		Errors []struct {
			Code string `json:"code"`
		} `json:"errors"`
		LockedUntil *string `json:"lockedUntil"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("problem body: %w", err)
	}
	if p.Status != status {
		return fmt.Errorf("problem status %d, want the HTTP status %d", p.Status, status)
	}
	for _, e := range p.Errors {
		if !slices.Contains(problemCodes[status], e.Code) {
			return fmt.Errorf("problem code %q with status %d, want one of %v", e.Code, status, problemCodes[status])
		}
	}
	if p.LockedUntil != nil && status != http.StatusLocked {
		return fmt.Errorf("problem member lockedUntil with status %d, want it with 423 only", status)
	}
	return nil
}

// checkUnrouted judges the answer to a request the document has no operation for: a path it does
// not list, or a method the path lacks. openapi3filter cannot validate those, and the document
// cannot list them, but the service must still answer with a problem of the document's Problem
// schema (404 noRecord, 405 methodNotAllowed with Allow, 429 before routing, ...; to HEAD, its
// headers without a body). A success here means a route the document lacks, which
// TestOpenAPICoversEveryRoute names.
func (c *contract) checkUnrouted(method string, routeErr error, status int, header http.Header, body []byte) error {
	if status < 400 {
		return fmt.Errorf("status %d for a request openapi.json has no operation for (%v)", status, routeErr)
	}
	if mt, _, err := mime.ParseMediaType(header.Get("Content-Type")); err != nil || mt != "application/problem+json" {
		return fmt.Errorf("Content-Type %q, want application/problem+json", header.Get("Content-Type"))
	}
	if header.Get("X-Request-Id") == "" || header.Get("Cache-Control") != "no-store" {
		return fmt.Errorf("headers X-Request-Id %q and Cache-Control %q, want an id and no-store",
			header.Get("X-Request-Id"), header.Get("Cache-Control"))
	}
	if status == http.StatusMethodNotAllowed && header.Get("Allow") == "" {
		return errors.New("405 without Allow")
	}
	if method == http.MethodHead { // the problem's headers without the problem
		if len(body) != 0 {
			return fmt.Errorf("a HEAD answer with a body of %d bytes", len(body))
		}
		return nil
	}
	var p any
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("problem body: %w", err)
	}
	schema := c.doc.Components.Schemas["Problem"].Value
	if err := schema.VisitJSON(p, openapi3.MultiErrors(), openapi3.VisitAsResponse(),
		openapi3.EnableJSONSchema2020(), openapi3.SetSchemaErrorMessageCustomizer(schemaErrorMessage)); err != nil {
		return fmt.Errorf("problem body does not match the Problem schema: %w", err)
	}
	return checkProblem(status, body)
}

// TestOpenAPIServedAndValid checks that the document is valid OpenAPI and that /openapi.json
// serves exactly the file in the repository, without a token.
func TestOpenAPIServedAndValid(t *testing.T) {
	t.Parallel()
	openAPIDoc(t) // fails unless it loads and validates
	want, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	s := startService(t)
	r := s.api.OpenAPI(t)
	got := r.Want(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type: got %q, want application/json", ct)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("GET /openapi.json: got %d bytes that differ from %s (%d bytes)", len(got), openAPIFile, len(want))
	}
}

// TestOpenAPICoversEveryRoute compares the routes gin serves with the operations of the document,
// both ways.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	// Metrics is the one dependency that decides whether a route exists; the service always has it.
	h := httpapi.NewHandler(httpapi.Deps{Metrics: http.NotFoundHandler()})
	served := map[string]bool{}
	for _, r := range httpapi.RoutesOf(h) {
		served[r[0]+" "+openAPIPath(r[1])] = true
	}
	if len(served) == 0 {
		t.Fatal("RoutesOf: got no routes, want the API's")
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, r := range sortedKeys(served) {
		if !documented[r] {
			t.Errorf("route %s is served but not in openapi.json", r)
		}
	}
	for _, r := range sortedKeys(documented) {
		if !served[r] {
			t.Errorf("operation %s is in openapi.json but not served", r)
		}
	}
}

// openAPIPath turns gin's /users/:userExtId into OpenAPI's /users/{userExtId}.
func openAPIPath(ginPath string) string {
	segs := strings.Split(ginPath, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
		}
	}
	return strings.Join(segs, "/")
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestOpenAPIMismatchFails proves that the validation can fail: real responses of the service
// pass the document as written and are rejected once the document is changed to disagree.
func TestOpenAPIMismatchFails(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "oa")
	created := api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: uid("oa-card-2")})
	created.WantStatus(t, http.StatusCreated)
	createReq := created.Request
	unknown := api.Do(t, client.Request{Method: "GET", Path: "/no/such/route"})
	unknownReq := unknown.Request

	credential := func(doc *openapi3.T) *openapi3.Schema { return doc.Components.Schemas["Credential"].Value }
	cases := []struct {
		name   string
		mutate func(doc *openapi3.T)
		want   string // in the error
	}{
		{"extId an integer", func(doc *openapi3.T) {
			credential(doc).Properties["extId"] = openapi3.NewIntegerSchema().NewRef()
		}, "extId"},
		{"otp not described", func(doc *openapi3.T) {
			delete(credential(doc).Properties, "otp")
			credential(doc).Required = slices.DeleteFunc(slices.Clone(credential(doc).Required),
				func(s string) bool { return s == "otp" })
		}, "otp"},
		{"a member required that the service omits", func(doc *openapi3.T) {
			credential(doc).Required = append(slices.Clone(credential(doc).Required), "lockedUntil")
		}, "lockedUntil"},
		{"201 not documented", func(doc *openapi3.T) {
			doc.Paths.Value(client.CorePath + "/{clientExtId}/users/{userExtId}/otp-credentials").Post.Responses.Delete("201")
		}, "status is not supported"},
		{"Cache-Control documented as no-cache", func(doc *openapi3.T) {
			doc.Components.Headers["Cache-Control"].Value.Schema = openapi3.NewStringSchema().WithEnum("no-cache").NewRef()
		}, "Cache-Control"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := openAPIDoc(t)
			c, err := newContract(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.check(createReq, created.Status, created.Header, created.Body); err != nil {
				t.Fatalf("before the change: got %v, want the response to match", err)
			}
			tc.mutate(doc)
			err = c.check(createReq, created.Status, created.Header, created.Body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("after the change: got error %v, want one naming %q", err, tc.want)
			}
			t.Logf("rejected: %v", err)
		})
	}
	t.Run("a success on a route the document lacks", func(t *testing.T) {
		c := testContract(t)
		if err := c.check(unknownReq, unknown.Status, unknown.Header, unknown.Body); err != nil {
			t.Fatalf("404 problem of an unknown route: got %v, want it accepted", err)
		}
		ok := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"x"}}
		if err := c.check(unknownReq, http.StatusOK, ok, []byte(`{}`)); err == nil {
			t.Error("200 on a route openapi.json lacks: got no error, want one")
		}
		if err := c.check(unknownReq, unknown.Status, unknown.Header, []byte(`{"status": 404}`)); err == nil {
			t.Error("404 with a body that is no problem: got no error, want one")
		}
	})
}

// TestOpenAPIOneProblemSchema checks that every 4xx and 5xx of every operation is the one Problem
// schema, so that a generated client has one error type and one error handler: per-status
// variants (a 423 with its own members, a 409 with its own code enum) would each become a type
// of their own.
func TestOpenAPIOneProblemSchema(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	const problem = "#/components/schemas/Problem"
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for status, ref := range op.Responses.Map() {
				if status == "default" || status < "400" {
					continue
				}
				where := fmt.Sprintf("%s %s %s", method, path, status)
				content := ref.Value.Content
				if method == http.MethodHead {
					if len(content) != 0 {
						t.Errorf("%s: HEAD answers no body, but the response has content %v", where, slices.Sorted(maps.Keys(content)))
					}
					continue
				}
				if len(content) != 1 || content["application/problem+json"] == nil {
					t.Errorf("%s: got content %v, want application/problem+json alone", where, slices.Sorted(maps.Keys(content)))
					continue
				}
				if got := content["application/problem+json"].Schema.Ref; got != problem {
					t.Errorf("%s: schema %q, want a reference to %s", where, got, problem)
				}
			}
		}
	}
}

// TestOpenAPIHeadMirrorsGet checks that every GET has a HEAD (API.md 1: every GET route answers HEAD
// as well) with the same parameters, security, statuses and headers, and no body; and that no other
// path has one.
func TestOpenAPIHeadMirrorsGet(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	for path, item := range doc.Paths.Map() {
		if item.Get == nil {
			if item.Head != nil {
				t.Errorf("HEAD %s: documented without a GET", path)
			}
			continue
		}
		if item.Head == nil {
			t.Errorf("GET %s: no HEAD documented", path)
			continue
		}
		get, head := item.Get, item.Head
		if !reflect.DeepEqual(get.Security, head.Security) || !reflect.DeepEqual(get.Parameters, head.Parameters) ||
			!slices.Equal(get.Tags, head.Tags) {
			t.Errorf("HEAD %s: security, parameters or tags differ from the GET's", path)
		}
		getStatuses, headStatuses := slices.Sorted(maps.Keys(get.Responses.Map())), slices.Sorted(maps.Keys(head.Responses.Map()))
		if !slices.Equal(getStatuses, headStatuses) {
			t.Errorf("HEAD %s: statuses %v, want the GET's %v", path, headStatuses, getStatuses)
			continue
		}
		for _, status := range getStatuses {
			g, h := get.Responses.Value(status).Value, head.Responses.Value(status).Value
			if len(h.Content) != 0 {
				t.Errorf("HEAD %s %s: has content, want headers only", path, status)
			}
			if !reflect.DeepEqual(g.Headers, h.Headers) {
				t.Errorf("HEAD %s %s: headers %v, want the GET's %v",
					path, status, slices.Sorted(maps.Keys(h.Headers)), slices.Sorted(maps.Keys(g.Headers)))
			}
		}
	}
}

// TestOpenAPIValidatesHead checks that the contract judges answers to HEAD as the service gives
// them (the GET's status and headers, an empty body), before the service's own HEAD routes are
// exercised by the other tests: a documented HEAD answer passes, one without a required header
// fails, and so does a HEAD answer to an undocumented path that carries a body.
func TestOpenAPIValidatesHead(t *testing.T) {
	t.Parallel()
	c := testContract(t)
	head := func(path string) *http.Request {
		r, err := http.NewRequest(http.MethodHead, "http://otpcard.test"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	card := client.CardKey{Client: "bank", User: "alice", Card: "card-1"}.Path()
	ok := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"},
		"Cache-Control": {"no-store"}, "Pragma": {"no-cache"}}
	problem := http.Header{"Content-Type": {"application/problem+json"}, "X-Request-Id": {"r1"}, "Cache-Control": {"no-store"}}
	if err := c.check(head(card), http.StatusOK, ok, nil); err != nil {
		t.Errorf("HEAD 200 of a card: got %v, want it accepted", err)
	}
	if err := c.check(head(card), http.StatusNotFound, problem, nil); err != nil {
		t.Errorf("HEAD 404 of a card: got %v, want it accepted", err)
	}
	if err := c.check(head("/healthz"), http.StatusOK, http.Header{"X-Request-Id": {"r1"}}, nil); err != nil {
		t.Errorf("HEAD 200 of /healthz: got %v, want it accepted", err)
	}
	if err := c.check(head(card), http.StatusOK, http.Header{"X-Request-Id": {"r1"}}, nil); err == nil {
		t.Error("HEAD 200 of a card without Cache-Control: got no error, want one")
	}
	if err := c.check(head(card), http.StatusConflict, problem, nil); err == nil {
		t.Error("HEAD 409 of a card (a status the GET does not have): got no error, want one")
	}
	if err := c.check(head("/no/such/route"), http.StatusNotFound, problem, nil); err != nil {
		t.Errorf("HEAD 404 of an unknown path: got %v, want it accepted", err)
	}
	if err := c.check(head("/no/such/route"), http.StatusNotFound, problem, []byte(`{"status":404}`)); err == nil {
		t.Error("HEAD 404 of an unknown path with a body: got no error, want one")
	}
}

// TestOpenAPIProblemCodes checks the per-status table that the tests keep beside the one Problem
// schema: a problem passes with a code of its status and fails with another status's code, a
// status member that differs from the HTTP status, or lockedUntil outside a 423.
func TestOpenAPIProblemCodes(t *testing.T) {
	t.Parallel()
	c := testContract(t)
	login, err := http.NewRequest(http.MethodPost, "http://otpcard.test/nevisidm/api/auth/v1/bank/users/alice/otp/login", nil)
	if err != nil {
		t.Fatal(err)
	}
	header := http.Header{"Content-Type": {"application/problem+json"}, "X-Request-Id": {"r1"}, "Cache-Control": {"no-store"}}
	problem := func(status int, code, extra string) []byte {
		return fmt.Appendf(nil, `{"type":"about:blank","title":"t","status":%d,"detail":"d","errors":[{"code":%q,"message":"m"}]%s}`,
			status, code, extra)
	}
	locked := http.Header{"Retry-After": {"30"}}
	for k, v := range header {
		locked[k] = v
	}
	for _, tc := range []struct {
		name   string
		status int
		header http.Header
		body   []byte
		ok     bool
	}{
		{"423 of a tmp lock", 423, locked, problem(423, "errors.credentialLocked", `,"lockedUntil":"2026-11-26T21:30:00Z"`), true},
		{"423 of a fail lock", 423, header, problem(423, "errors.credentialLocked", ""), true},
		{"403 userNotUsable", 403, header, problem(403, "errors.userNotUsable", ""), true},
		{"422 noChallenge", 422, header, problem(422, "errors.noChallenge", ""), true},
		{"409 with a 404 code", 409, header, problem(409, "errors.noRecord", ""), false},
		{"status member 400 in a 422", 422, header, problem(400, "errors.noChallenge", ""), false},
		{"lockedUntil in a 403", 403, header, problem(403, "errors.credentialNotUsable", `,"lockedUntil":"2026-11-26T21:30:00Z"`), false},
		{"lockedUntil not a timestamp", 423, header, problem(423, "errors.credentialLocked", `,"lockedUntil":"soon"`), false},
		{"an undocumented code", 400, header, problem(400, "errors.somethingElse", ""), false},
	} {
		err := c.check(login, tc.status, tc.header, tc.body)
		if (err == nil) != tc.ok {
			t.Errorf("%s: got error %v, want accepted %v", tc.name, err, tc.ok)
		}
	}
}
