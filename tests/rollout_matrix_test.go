package tests

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/tests/client"
)

// The negative matrices of the rollout jobs and print batches (API.md sections 1, 2, 11 and 14).
// Every error row must leave the jobs and batches of every client involved as they were: a refused
// request stores no job, opens no batch, cancels nothing and deletes nothing.

// rolloutFixture is a client with print recipients and a user with a postal address holding one
// card: the matrices' fixture, whose card runMatrix checks after every error row.
func (s *service) rolloutFixture(t *testing.T, prefix string) (fixture, *age.X25519Identity) {
	t.Helper()
	api := s.root(t)
	c, id := rolloutClient(t, api, prefix)
	f := fixture{CardKey: client.CardKey{Client: c, User: uid(prefix + "-user"), Card: uid(prefix + "-card")}, clientName: c + " bank"}
	addressedUser(t, api, c, f.User, "en")
	f.login = f.User + "-login"
	card := api.CreateCard(t, f.UserKey(), client.CredentialCreate{ExtID: f.Card}).Want(t, http.StatusCreated)
	f.cells, f.version = cellsOf(t, card.OTP), card.Version
	return f, id
}

// endedJob creates an issue job for the users and waits until it has ended.
func endedJob(t *testing.T, api *client.API, clientExtID string, users ...string) client.RolloutJob {
	t.Helper()
	j := api.CreateRolloutJob(t, clientExtID, client.RolloutJobCreate{Kind: "issue", Users: users}).Want(t, http.StatusAccepted)
	return waitJob(t, api, clientExtID, j.ID)
}

// rolloutState is what an error row must leave alone: every job of the clients with its progress
// and batch, and every print batch with its letters and seal.
func (s *service) rolloutState(t *testing.T, clients ...string) string {
	t.Helper()
	api := s.root(t)
	var b strings.Builder
	for _, c := range clients {
		for _, j := range api.ListRolloutJobs(t, c, client.Page{Limit: 1000}).Want(t, http.StatusOK).Items {
			fmt.Fprintf(&b, "%s: job %s %s %d/%d done, %d failed, batch %s\n", c, j.ID, j.Status, j.Done, j.Total, j.Failed, j.PrintBatchID)
		}
		for _, p := range api.ListPrintBatches(t, c, client.Page{Limit: 1000}).Want(t, http.StatusOK).Items {
			fmt.Fprintf(&b, "%s: batch %s of job %s sealed=%v, %d letters in %d chunks\n", c, p.ID, p.JobID, p.Sealed, p.Letters, p.Chunks)
		}
	}
	return b.String()
}

// leavesRollout makes every row check, besides its own check, that the rollout state of the
// clients is still before, that a 401 challenges for a bearer token and that a 405 says what is
// allowed.
func leavesRollout(s *service, before string, clients []string, rows []row) []row {
	for i := range rows {
		own := rows[i].check
		rows[i].check = func(t *testing.T, r client.Response, f fixture) {
			if r.Status == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate: got %q, want a Bearer challenge", r.Header.Get("WWW-Authenticate"))
			}
			if r.Status == http.StatusMethodNotAllowed && r.Header.Get("Allow") == "" {
				t.Errorf("Allow: got none, want the methods of the path")
			}
			if own != nil {
				own(t, r, f)
			}
			if after := s.rolloutState(t, clients...); after != before {
				t.Errorf("jobs and batches: got\n%s\nwant them unchanged\n%s", after, before)
			}
		}
	}
	return rows
}

// Tokens the rollout matrices send besides those of matrix_test.go.
var (
	// expiredAdmin is Root whose token expired an hour ago.
	expiredAdmin = bearer(fixed(func(t *testing.T) string {
		c := claimsFor("tester", "Root")
		c["iat"], c["nbf"], c["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
		return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
	}))
	// malformedBearer is a bearer token that is no JWT at all.
	malformedBearer = bearer(fixed(func(*testing.T) string { return "not-a-jwt" }))
	// malformedXToken is a self-admin token that is no JWT at all.
	malformedXToken = xToken(fixed(func(*testing.T) string { return "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln" }))
	// forgedAdmin is Root signed with a secret the service does not know.
	forgedAdmin = bearer(fixed(wrongSecretToken))
	// unsignedAdmin is Root with alg none.
	unsignedAdmin = bearer(fixed(func(t *testing.T) string { return algNoneToken(t, claimsFor("tester", "Root")) }))
)

// roomOf is an admin with the roles confined to the data room of the clients.
func roomOf(roles []string, clients ...string) caller {
	return bearer(func(t *testing.T, _ fixture) string {
		return token(t, jwtauth.MintOptions{Roles: roles, Clients: clients, HasClients: true})
	})
}

// ghosts are n well-formed userExtIds that name no user.
func ghosts(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return out
}

// usersBody is a JSON body of an issue job for the users.
func usersBody(users []string) string {
	return `{"kind":"issue","users":["` + strings.Join(users, `","`) + `"]}`
}

const (
	codeInvalid    = "errors.invalidData"
	codeDenied     = "errors.permissionDenied"
	codeRoom       = "errors.dataroomPermissionDenied"
	codeUnauth     = "errors.notAuthenticated"
	codeNoRecord   = "errors.noRecord"
	codeReadonly   = "errors.modifyReadonlyData"
	codeMissingRef = "errors.missingReferenceData"
)

// TestRolloutMatrix is the negative matrix of the rollout job routes (API.md sections 2, 11.1 and
// 14): who may call them, which bodies, ids and queries they refuse, and that a refusal stores,
// runs or cancels no job.
func TestRolloutMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	api := s.root(t)
	f, _ := s.rolloutFixture(t, "rjm")
	g, _ := s.rolloutFixture(t, "rjm-other") // another client with a job of its own
	newcomer := uid("rjm-newcomer")          // a user without a card: what a wrongly accepted job would issue to
	addressedUser(t, api, f.Client, newcomer, "de")
	bare := s.newFixture(t, "rjm-bare").Client // a client that never set print recipients
	emptied, _ := rolloutClient(t, api, "rjm-emptied")
	api.SetPrintSettings(t, emptied, client.PrintSettingsPut{Recipients: []string{}}).Want(t, http.StatusOK) // recipients removed

	done := endedJob(t, api, f.Client, uid("rjm-ghost"))
	if done.Status != "succeeded" {
		t.Fatalf("setup job %+v, want succeeded", done)
	}
	foreign := endedJob(t, api, g.Client, uid("rjm-ghost"))
	unknown := extid.New()

	jobs := func(f fixture) string { return client.RolloutJobsPath(f.Client) }
	jobsAt := func(query string) func(fixture) string {
		return func(f fixture) string { return client.RolloutJobsPath(f.Client) + query }
	}
	job := func(id, rest string) func(fixture) string {
		return func(f fixture) string { return client.RolloutJobsPath(f.Client) + "/" + id + rest }
	}
	valid := usersBody([]string{newcomer})
	post := func(body string, header ...string) func(*testing.T, *client.API, fixture) client.Response {
		return raw(http.MethodPost, jobs, body, header...)
	}
	get := func(path func(fixture) string) func(*testing.T, *client.API, fixture) client.Response {
		return raw(http.MethodGet, path, "")
	}
	cancel := func(id string) func(*testing.T, *client.API, fixture) client.Response {
		return raw(http.MethodPost, job(id, "/cancel"), "")
	}
	under := func(clientExtID string) func(*testing.T, *service, fixture) fixture {
		return edit(func(f *fixture) { f.Client = clientExtID })
	}

	type endpoint struct {
		name, method string
		path         func(fixture) string
		body         string
	}
	endpoints := []endpoint{
		{"POST", http.MethodPost, jobs, valid},
		{"GET list", http.MethodGet, jobs, ""},
		{"GET job", http.MethodGet, job(done.ID, ""), ""},
		{"GET items", http.MethodGet, job(done.ID, "/items"), ""},
		{"cancel", http.MethodPost, job(done.ID, "/cancel"), ""},
	}
	var rows []row
	for _, e := range endpoints {
		send := raw(e.method, e.path, e.body)
		rows = append(rows,
			row{name: e.name + ": no token", as: anonymous, send: send, status: 401, code: codeUnauth},
			row{name: e.name + ": malformed bearer token", as: malformedBearer, send: send, status: 401, code: codeUnauth},
			row{name: e.name + ": expired token", as: expiredAdmin, send: send, status: 401, code: codeUnauth},
			row{name: e.name + ": the user as self-admin", as: owner(0), send: send, status: 403, code: codeDenied},
			row{name: e.name + ": Root in another client's data room", as: inRoom(g.Client), send: send, status: 403, code: codeRoom},
			row{name: e.name + ": RolloutOperator in another client's data room", as: roomOf([]string{"RolloutOperator"}, g.Client), send: send,
				status: 403, code: codeRoom},
			row{name: e.name + ": empty data room", as: inRoom(), send: send, status: 403, code: codeRoom},
		)
	}
	for _, e := range endpoints[1:4] { // the reads need RolloutView
		send := raw(e.method, e.path, e.body)
		rows = append(rows,
			row{name: e.name + ": every rollout right but RolloutView", as: withRights("RolloutCreate", "CredentialCreate", "PrintBatchDownload"),
				send: send, status: 403, code: codeDenied},
			row{name: e.name + ": Helpdesk", as: withRoles("Helpdesk"), send: send, status: 403, code: codeDenied},
			row{name: e.name + ": Auditor", as: withRoles("Auditor"), send: send, status: 403, code: codeDenied},
		)
	}
	rows = append(rows, []row{
		{name: "POST: forged token", as: forgedAdmin, send: post(valid), status: 401, code: codeUnauth},
		{name: "POST: alg none", as: unsignedAdmin, send: post(valid), status: 401, code: codeUnauth},
		{name: "POST: malformed X-Token", as: malformedXToken, send: post(valid), status: 401, code: codeUnauth},
		{name: "GET list: malformed X-Token", as: malformedXToken, send: get(jobs), status: 401, code: codeUnauth},
		{name: "POST: another user as self-admin", as: selfOf(newcomer), send: post(valid), status: 403, code: codeDenied},
		{name: "POST: RolloutCreate without CredentialCreate", as: withRights("RolloutCreate", "RolloutView", "PrintBatchDownload"),
			send: post(valid), status: 403, code: codeDenied},
		{name: "POST: CredentialCreate without RolloutCreate", as: withRights("CredentialCreate", "RolloutView", "PrintBatchDownload"),
			send: post(valid), status: 403, code: codeDenied},
		{name: "POST: UserAdmin", as: withRoles("UserAdmin"), send: post(valid), status: 403, code: codeDenied},
		{name: "POST: unprefixed rights", as: withUnprefixedRights("RolloutCreate", "CredentialCreate"), send: post(valid), status: 403, code: codeDenied},
		{name: "cancel: every rollout right but RolloutCreate", as: withRights("RolloutView", "CredentialCreate", "PrintBatchDownload"),
			send: cancel(done.ID), status: 403, code: codeDenied},
		{name: "cancel: UserAdmin", as: withRoles("UserAdmin"), send: cancel(done.ID), status: 403, code: codeDenied},

		{name: "GET job: malformed id", send: get(job("a%20b", "")), status: 400, code: codeInvalid},
		{name: "GET job: id with markup", send: get(job("bad%3Cid%3E", "")), status: 400, code: codeInvalid},
		{name: "GET job: unknown id", send: get(job(unknown, "")), status: 404, code: codeNoRecord},
		{name: "GET job: another client's job", send: get(job(foreign.ID, "")), status: 404, code: codeNoRecord},
		{name: "GET job: a print batch's id", send: get(job(done.PrintBatchID, "")), status: 404, code: codeNoRecord},
		{name: "GET job: unknown client", given: under(uid("rjm-nobody")), send: get(job(done.ID, "")), status: 404, code: codeNoRecord},
		{name: "GET items: malformed id", send: get(job("a%20b", "/items")), status: 400, code: codeInvalid},
		{name: "GET items: unknown id", send: get(job(unknown, "/items")), status: 404, code: codeNoRecord},
		{name: "GET items: another client's job", send: get(job(foreign.ID, "/items")), status: 404, code: codeNoRecord},
		{name: "GET items: result=bogus", send: get(job(done.ID, "/items?result=bogus")), status: 400, code: codeInvalid},
		{name: "GET items: limit=0", send: get(job(done.ID, "/items?limit=0")), status: 400, code: codeInvalid},
		{name: "GET items: continuationToken not ours", send: get(job(done.ID, "/items?continuationToken=e30")), status: 400, code: codeInvalid},
		{name: "GET list: limit=0", send: get(jobsAt("?limit=0")), status: 400, code: codeInvalid},
		{name: "GET list: limit=1001", send: get(jobsAt("?limit=1001")), status: 400, code: codeInvalid},
		{name: "GET list: continuationToken not ours", send: get(jobsAt("?continuationToken=e30")), status: 400, code: codeInvalid},
		{name: "GET list: unknown client", given: under(uid("rjm-nobody")), send: get(jobs), status: 404, code: codeNoRecord},
		{name: "cancel: malformed id", send: cancel("a%20b"), status: 400, code: codeInvalid},
		{name: "cancel: unknown id", send: cancel(unknown), status: 404, code: codeNoRecord},
		{name: "cancel: another client's job", send: cancel(foreign.ID), status: 404, code: codeNoRecord},
		{name: "cancel: a finished job", send: cancel(done.ID), status: 422, code: codeReadonly},
		{name: "cancel: a finished job, RolloutCreate only", as: withRights("RolloutCreate"), send: cancel(done.ID), status: 422, code: codeReadonly},
		{name: "DELETE a job: not allowed", send: raw(http.MethodDelete, job(done.ID, ""), ""), status: 405, code: "errors.methodNotAllowed"},
		{name: "PUT the jobs: not allowed", send: raw(http.MethodPut, jobs, valid), status: 405, code: "errors.methodNotAllowed"},

		{name: "POST: unknown client", given: under(uid("rjm-nobody")), send: post(valid), status: 404, code: codeNoRecord},
		{name: "POST: a client without print recipients", given: under(bare), send: post(valid), status: 422, code: codeMissingRef},
		{name: "POST: renew for a client without print recipients", given: under(bare),
			send: post(`{"kind":"renew","users":["` + newcomer + `"]}`), status: 422, code: codeMissingRef},
		{name: "POST: a selection for a client without print recipients", given: under(bare),
			send: post(`{"kind":"issue","selection":"usersWithoutCard"}`), status: 422, code: codeMissingRef},
		{name: "POST: a client whose recipients were removed", given: under(emptied), send: post(valid), status: 422, code: codeMissingRef},

		{name: "POST: both users and selection", send: post(`{"kind":"issue","users":["` + newcomer + `"],"selection":"usersWithoutCard"}`),
			status: 400, code: codeInvalid},
		{name: "POST: neither users nor selection", send: post(`{"kind":"issue"}`), status: 400, code: codeInvalid},
		{name: "POST: renew with neither", send: post(`{"kind":"renew","modificationComment":"wave 1"}`), status: 400, code: codeInvalid},
		{name: "POST: empty users", send: post(`{"kind":"issue","users":[]}`), status: 400, code: codeInvalid},
		{name: "POST: users null", send: post(`{"kind":"issue","users":null}`), status: 400, code: codeInvalid},
		{name: "POST: duplicate users", send: post(usersBody([]string{newcomer, f.User, newcomer})), status: 400, code: codeInvalid},
		{name: "POST: a malformed user id", send: post(usersBody([]string{newcomer, "a b"})), status: 400, code: codeInvalid},
		{name: "POST: users a string", send: post(`{"kind":"issue","users":"` + newcomer + `"}`), status: 400, code: codeInvalid},
		{name: "POST: 10,001 users", send: post(usersBody(ghosts("rjm-many", 10001))), status: 400, code: codeInvalid},
		{name: "POST: issue with cardsLowOnChallenges", send: post(`{"kind":"issue","selection":"cardsLowOnChallenges"}`), status: 400, code: codeInvalid},
		{name: "POST: issue with cardsCloseToExpiration", send: post(`{"kind":"issue","selection":"cardsCloseToExpiration"}`), status: 400,
			code: codeInvalid},
		{name: "POST: renew with usersWithoutCard", send: post(`{"kind":"renew","selection":"usersWithoutCard"}`), status: 400, code: codeInvalid},
		{name: "POST: an unknown selection", send: post(`{"kind":"issue","selection":"everyone"}`), status: 400, code: codeInvalid},
		{name: "POST: kind import as JSON", send: post(`{"kind":"import","users":["` + newcomer + `"]}`), status: 400, code: codeInvalid},
		{name: "POST: kind import as JSON, no users", send: post(`{"kind":"import"}`), status: 400, code: codeInvalid},
		{name: "POST: kind missing", send: post(`{"users":["` + newcomer + `"]}`), status: 400, code: codeInvalid},
		{name: "POST: an unknown kind", send: post(`{"kind":"revoke","users":["` + newcomer + `"]}`), status: 400, code: codeInvalid},
		{name: "POST: kind a number", send: post(`{"kind":1,"users":["` + newcomer + `"]}`), status: 400, code: codeInvalid},
		{name: "POST: an unknown member", send: post(`{"kind":"issue","users":["` + newcomer + `"],"priority":1}`), status: 400, code: codeInvalid},
		{name: "POST: status is response only", send: post(`{"kind":"issue","users":["` + newcomer + `"],"status":"succeeded"}`), status: 400,
			code: codeInvalid},
		{name: "POST: malformed JSON", send: post(`{"kind":"issue","users":[`), status: 400, code: codeInvalid},
		{name: "POST: not an object", send: post(`["issue"]`), status: 400, code: codeInvalid},
		{name: "POST: trailing data", send: post(valid + `{}`), status: 400, code: codeInvalid},
		{name: "POST: invalid UTF-8", send: post(`{"kind":"issue","users":["` + newcomer + `"],"modificationComment":"` + "\xff\xfe" + `"}`),
			status: 400, code: codeInvalid},
		{name: "POST: no body", send: post(""), status: 400, code: codeInvalid},
		{name: "POST: over 1 MiB", send: post(`{"kind":"issue","users":["` + newcomer + `"],"modificationComment":"` + strings.Repeat("x", 1<<20) + `"}`),
			status: 413, code: "errors.payloadTooLarge"},
		{name: "POST: over 1 MiB, chunked", send: func(t *testing.T, api *client.API, f fixture) client.Response {
			return api.Do(t, client.Request{Method: http.MethodPost, Path: client.RolloutJobsPath(f.Client),
				Stream: strings.NewReader(usersBody(ghosts("rjm-chunked-with-a-long-name-to-pass-one-mebibyte", 20000)))})
		}, status: 413, code: "errors.payloadTooLarge"},
		{name: "POST: text/plain", send: post(valid, "Content-Type", "text/plain"), status: 415, code: "errors.unsupportedMediaType"},
		{name: "POST: application/xml", send: post(valid, "Content-Type", "application/xml"), status: 415, code: "errors.unsupportedMediaType"},
		{name: "POST: no content type", send: post(valid, "Content-Type", ""), status: 415, code: "errors.unsupportedMediaType"},
	}...)
	clients := []string{f.Client, g.Client, bare, emptied}
	before := s.rolloutState(t, clients...)
	runMatrix(t, s, "", &f, leavesRollout(s, before, clients, rows))

	// What the rights and rooms above were refused, the right ones may do.
	accepted := func(users int) func(*testing.T, client.Response, fixture) {
		return func(t *testing.T, r client.Response, f fixture) {
			j := client.Decode[client.RolloutJob](t, r)
			if loc := r.Header.Get("Location"); loc != client.RolloutJobsPath(f.Client)+"/"+j.ID {
				t.Errorf("Location: got %q, want %q", loc, client.RolloutJobsPath(f.Client)+"/"+j.ID)
			}
			if j.Kind != "issue" || j.Total != users || j.PrintBatchID == "" || j.CreatedBy != "tester" {
				t.Errorf("job: got %+v, want an issue job of %d items by tester with a batch", j, users)
			}
			if ended := waitJob(t, s.root(t), f.Client, j.ID); ended.Status != "succeeded" || ended.Done != users {
				t.Errorf("job: got %+v, want it succeeded with %d items done", ended, users)
			}
		}
	}
	n := 0
	create := func(users int) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, f fixture) client.Response {
			n++
			return api.CreateRolloutJob(t, f.Client, client.RolloutJobCreate{Kind: "issue", Users: ghosts(uid(fmt.Sprintf("rjm-ok%d", n)), users)}).Response
		}
	}
	listed := func(t *testing.T, r client.Response, _ fixture) {
		l := client.Decode[client.List[client.RolloutJob]](t, r)
		if len(l.Items) == 0 || l.Items[0].ID != done.ID {
			t.Errorf("jobs: got %+v, want the setup job first", l.Items)
		}
	}
	runMatrix(t, s, "", &f, []row{
		{name: "POST: RolloutCreate and CredentialCreate", as: withRights("RolloutCreate", "CredentialCreate"), send: create(1), status: 202,
			check: accepted(1)},
		{name: "POST: RolloutOperator in its data room", as: roomOf([]string{"RolloutOperator"}, f.Client), send: create(2), status: 202,
			check: accepted(2)},
		{name: "POST: 5,000 users, over 64 KiB and under 1 MiB", send: create(5000), status: 202, check: accepted(5000)},
		{name: "GET list: RolloutView only", as: withRights("RolloutView"), send: get(jobs), status: 200, check: listed},
		{name: "GET job: RolloutView only", as: withRights("RolloutView"), send: get(job(done.ID, "")), status: 200},
		{name: "GET items: RolloutView only", as: withRights("RolloutView"), send: get(job(done.ID, "/items?result=failed")), status: 200,
			check: func(t *testing.T, r client.Response, _ fixture) {
				if items := client.Decode[client.List[client.RolloutItem]](t, r).Items; len(items) != 1 || items[0].ErrorCode != codeNoRecord {
					t.Errorf("failed items: got %+v, want the unknown user failed with %s", items, codeNoRecord)
				}
			}},
		{name: "GET items: RolloutOperator in its data room", as: roomOf([]string{"RolloutOperator"}, f.Client), send: get(job(done.ID, "/items")),
			status: 200},
	})
}

// TestPrintBatchMatrix is the negative matrix of the print batch routes (API.md sections 2, 11.2
// and 14): who may list, read, download and delete them, which ids they refuse, and that a refusal
// deletes nothing; then a delete, after which the batch is gone for every route.
func TestPrintBatchMatrix(t *testing.T) {
	t.Parallel()
	s := startService(t)
	api := s.root(t)
	f, id := s.rolloutFixture(t, "pbm")
	g, _ := s.rolloutFixture(t, "pbm-other")
	reader := uid("pbm-reader") // gets one letter into the batch
	addressedUser(t, api, f.Client, reader, "fr")
	done := endedJob(t, api, f.Client, reader)
	if b := api.GetPrintBatch(t, f.Client, done.PrintBatchID).Want(t, http.StatusOK); !b.Sealed || b.Letters != 1 {
		t.Fatalf("setup batch %+v, want sealed with one letter", b)
	}
	foreign := endedJob(t, api, g.Client, uid("pbm-ghost"))
	unknown := extid.New()

	batches := func(f fixture) string { return client.PrintBatchesPath(f.Client) }
	batchesAt := func(query string) func(fixture) string {
		return func(f fixture) string { return client.PrintBatchesPath(f.Client) + query }
	}
	batch := func(id, rest string) func(fixture) string {
		return func(f fixture) string { return client.PrintBatchesPath(f.Client) + "/" + id + rest }
	}
	get := func(path func(fixture) string) func(*testing.T, *client.API, fixture) client.Response {
		return raw(http.MethodGet, path, "")
	}
	del := func(path func(fixture) string) func(*testing.T, *client.API, fixture) client.Response {
		return raw(http.MethodDelete, path, "")
	}
	type endpoint struct {
		name, method string
		path         func(fixture) string
	}
	endpoints := []endpoint{
		{"GET list", http.MethodGet, batches},
		{"GET batch", http.MethodGet, batch(done.PrintBatchID, "")},
		{"content", http.MethodGet, batch(done.PrintBatchID, "/content")},
		{"DELETE", http.MethodDelete, batch(done.PrintBatchID, "")},
	}
	var rows []row
	for _, e := range endpoints {
		send := raw(e.method, e.path, "")
		rows = append(rows,
			row{name: e.name + ": no token", as: anonymous, send: send, status: 401, code: codeUnauth},
			row{name: e.name + ": malformed bearer token", as: malformedBearer, send: send, status: 401, code: codeUnauth},
			row{name: e.name + ": expired token", as: expiredAdmin, send: send, status: 401, code: codeUnauth},
			row{name: e.name + ": the user as self-admin", as: owner(0), send: send, status: 403, code: codeDenied},
			row{name: e.name + ": Root in another client's data room", as: inRoom(g.Client), send: send, status: 403, code: codeRoom},
			row{name: e.name + ": RolloutOperator in another client's data room", as: roomOf([]string{"RolloutOperator"}, g.Client), send: send,
				status: 403, code: codeRoom},
		)
	}
	for _, e := range endpoints[:2] { // listing and reading need RolloutView
		send := raw(e.method, e.path, "")
		rows = append(rows,
			row{name: e.name + ": every rollout right but RolloutView", as: withRights("PrintBatchDownload", "RolloutCreate", "CredentialCreate"),
				send: send, status: 403, code: codeDenied},
			row{name: e.name + ": Helpdesk", as: withRoles("Helpdesk"), send: send, status: 403, code: codeDenied},
		)
	}
	for _, e := range endpoints[2:] { // content and delete need PrintBatchDownload
		send := raw(e.method, e.path, "")
		rows = append(rows,
			row{name: e.name + ": every rollout right but PrintBatchDownload", as: withRights("RolloutView", "RolloutCreate", "CredentialCreate"),
				send: send, status: 403, code: codeDenied},
			row{name: e.name + ": Auditor", as: withRoles("Auditor"), send: send, status: 403, code: codeDenied},
		)
	}
	for _, e := range endpoints[1:] { // the routes of one batch
		at := func(id, rest string) func(*testing.T, *client.API, fixture) client.Response {
			return raw(e.method, batch(id, rest), "")
		}
		rest := strings.TrimPrefix(e.path(f), client.PrintBatchesPath(f.Client)+"/"+done.PrintBatchID)
		rows = append(rows,
			row{name: e.name + ": malformed id", send: at("a%20b", rest), status: 400, code: codeInvalid},
			row{name: e.name + ": id with markup", send: at("bad%3Cid%3E", rest), status: 400, code: codeInvalid},
			row{name: e.name + ": unknown id", send: at(unknown, rest), status: 404, code: codeNoRecord},
			row{name: e.name + ": another client's batch", send: at(foreign.PrintBatchID, rest), status: 404, code: codeNoRecord},
			row{name: e.name + ": a job's id", send: at(done.ID, rest), status: 404, code: codeNoRecord},
			row{name: e.name + ": unknown client", given: edit(func(f *fixture) { f.Client = uid("pbm-nobody") }), send: at(done.PrintBatchID, rest),
				status: 404, code: codeNoRecord},
		)
	}
	rows = append(rows, []row{
		{name: "GET list: forged token", as: forgedAdmin, send: get(batches), status: 401, code: codeUnauth},
		{name: "content: alg none", as: unsignedAdmin, send: get(batch(done.PrintBatchID, "/content")), status: 401, code: codeUnauth},
		{name: "DELETE: malformed X-Token", as: malformedXToken, send: del(batch(done.PrintBatchID, "")), status: 401, code: codeUnauth},
		{name: "content: RolloutCreate and CredentialCreate only", as: withRights("RolloutCreate", "CredentialCreate"),
			send: get(batch(done.PrintBatchID, "/content")), status: 403, code: codeDenied},
		{name: "GET list: limit=0", send: get(batchesAt("?limit=0")), status: 400, code: codeInvalid},
		{name: "GET list: limit=1001", send: get(batchesAt("?limit=1001")), status: 400, code: codeInvalid},
		{name: "GET list: continuationToken not ours", send: get(batchesAt("?continuationToken=e30")), status: 400, code: codeInvalid},
		{name: "GET list: unknown client", given: edit(func(f *fixture) { f.Client = uid("pbm-nobody") }), send: get(batches), status: 404,
			code: codeNoRecord},
		{name: "POST the batches: not allowed", send: raw(http.MethodPost, batches, `{}`), status: 405, code: "errors.methodNotAllowed"},
		{name: "PUT a batch: not allowed", send: raw(http.MethodPut, batch(done.PrintBatchID, ""), `{}`), status: 405, code: "errors.methodNotAllowed"},
		{name: "DELETE the content: not allowed", send: del(batch(done.PrintBatchID, "/content")), status: 405, code: "errors.methodNotAllowed"},
	}...)
	clients := []string{f.Client, g.Client}
	before := s.rolloutState(t, clients...)
	runMatrix(t, s, "", &f, leavesRollout(s, before, clients, rows))

	// The right callers read and download; a delete removes the batch for every route.
	content := func(t *testing.T, r client.Response, _ fixture) {
		if ct := r.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("Content-Type: got %q, want application/octet-stream", ct)
		}
		var names []string
		tr := tar.NewReader(bytes.NewReader(r.Body))
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("read the archive: %v", err)
			}
			names = append(names, h.Name)
		}
		if strings.Join(names, " ") != "letters-0001.pdf.age manifest-0001.csv.age" {
			t.Errorf("archive: got %v, want letters-0001.pdf.age and manifest-0001.csv.age", names)
		}
	}
	// deleted is the batch that the row's given sealed, or sealed and deleted, and deletedJob its job
	// (rows run one after another).
	var deleted, deletedJob string
	sealedBatch := func(t *testing.T) {
		t.Helper()
		j := endedJob(t, s.root(t), f.Client, uid("pbm-deleted"))
		deleted, deletedJob = j.PrintBatchID, j.ID
	}
	deleteFirst := func(t *testing.T, s *service, f fixture) fixture {
		sealedBatch(t)
		s.root(t).DeletePrintBatch(t, f.Client, deleted).Want(t, http.StatusNoContent)
		return f
	}
	gone := func(t *testing.T, _ client.Response, f fixture) {
		for _, b := range s.root(t).ListPrintBatches(t, f.Client, client.Page{Limit: 1000}).Want(t, http.StatusOK).Items {
			if b.ID == deleted {
				t.Errorf("the batch list still shows the deleted batch %+v", b)
			}
		}
	}
	ofDeleted := func(method, rest string) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, f fixture) client.Response {
			return raw(method, batch(deleted, rest), "")(t, api, f)
		}
	}
	runMatrix(t, s, "", &f, []row{
		{name: "GET list: RolloutView only", as: withRights("RolloutView"), send: get(batches), status: 200},
		{name: "GET batch: RolloutView only", as: withRights("RolloutView"), send: get(batch(done.PrintBatchID, "")), status: 200},
		{name: "content: PrintBatchDownload only", as: withRights("PrintBatchDownload"), send: get(batch(done.PrintBatchID, "/content")),
			status: 200, check: content},
		{name: "content: RolloutOperator in its data room", as: roomOf([]string{"RolloutOperator"}, f.Client),
			send: get(batch(done.PrintBatchID, "/content")), status: 200, check: func(t *testing.T, r client.Response, f fixture) {
				content(t, r, f)
				if parts := decryptBatch(t, s.root(t), f.Client, done.PrintBatchID, id); len(parts) != 2 {
					t.Errorf("decrypted parts: got %d, want 2", len(parts))
				}
			}},
		{name: "DELETE: a sealed batch, PrintBatchDownload only", as: withRights("PrintBatchDownload"),
			given: func(t *testing.T, _ *service, f fixture) fixture { sealedBatch(t); return f },
			send:  ofDeleted(http.MethodDelete, ""), status: 204, check: gone},
		{name: "GET batch: a deleted batch", given: deleteFirst, send: ofDeleted(http.MethodGet, ""), status: 404, code: codeNoRecord, check: gone},
		{name: "DELETE: a deleted batch", given: deleteFirst, send: ofDeleted(http.MethodDelete, ""), status: 404, code: codeNoRecord, check: gone},
		{name: "content: a deleted batch", given: deleteFirst, send: ofDeleted(http.MethodGet, "/content"), status: 404, code: codeNoRecord,
			check: gone},
		{name: "GET job: its batch deleted, the job stays", given: deleteFirst,
			send: func(t *testing.T, api *client.API, f fixture) client.Response {
				return api.GetRolloutJob(t, f.Client, deletedJob).Response
			}, status: 200},
	})
}

// runningJob creates a job of 10,000 unknown users, calls during while the job runs, then cancels
// it and returns the job with the answers to during and to the cancel. A 200 to the cancel proves
// that the job had not ended, so its batch was not sealed while during ran (a batch is sealed
// only as its job ends). The job may end first on a fast machine: then it tries another, and
// skips the row after five.
func runningJob(t *testing.T, s *service, cancelAs *client.API, clientExtID string,
	during func(j client.RolloutJob) client.Response) (client.RolloutJob, client.Response, client.Response) {
	t.Helper()
	root := s.root(t)
	for range 5 {
		j := root.CreateRolloutJob(t, clientExtID, client.RolloutJobCreate{Kind: "issue", Users: ghosts(uid("rrm-ghost"), 10000)}).
			Want(t, http.StatusAccepted)
		var r client.Response
		if during != nil {
			r = during(j)
		}
		c := cancelAs.CancelRolloutJob(t, clientExtID, j.ID)
		switch c.Status {
		case http.StatusOK:
			return j, r, c.Response
		case http.StatusUnprocessableEntity:
			c.WantProblem(t, 422, codeReadonly)
			waitJob(t, root, clientExtID, j.ID)
		default:
			t.Fatalf("cancel: got %d, want 200, or 422 for a job that ended first; body %s", c.Status, c.Body)
		}
	}
	t.Skip("five jobs of 10,000 items ended before they could be cancelled: no running job to ask about")
	return client.RolloutJob{}, client.Response{}, client.Response{}
}

// TestRolloutMatrixRunningJob: a batch whose job still runs is not there to download or delete
// (404 errors.noRecord, API.md 14), a cancel ends a running job and seals its batch with what it
// holds, and a cancelled job cannot be cancelled again (422 errors.modifyReadonlyData).
func TestRolloutMatrixRunningJob(t *testing.T) {
	t.Parallel()
	s := startService(t)
	f, _ := s.rolloutFixture(t, "rrm")
	var job client.RolloutJob // the job of the last row: running when it was asked, then cancelled
	during := func(method, rest string) func(*testing.T, *client.API, fixture) client.Response {
		return func(t *testing.T, api *client.API, f fixture) client.Response {
			var r client.Response
			job, r, _ = runningJob(t, s, s.root(t), f.Client, func(j client.RolloutJob) client.Response {
				return api.Do(t, client.Request{Method: method, Path: client.PrintBatchesPath(f.Client) + "/" + j.PrintBatchID + rest})
			})
			return r
		}
	}
	cancelRunning := func(t *testing.T, api *client.API, f fixture) client.Response {
		var r client.Response
		job, _, r = runningJob(t, s, api, f.Client, nil)
		return r
	}
	// sealedNow: the cancel ended the job and sealed its batch, which is now there to download.
	sealedNow := func(t *testing.T, _ client.Response, f fixture) {
		root := s.root(t)
		if j := root.GetRolloutJob(t, f.Client, job.ID).Want(t, http.StatusOK); j.Status != "cancelled" || j.Finished == "" || j.Done >= j.Total {
			t.Errorf("job after the cancel: got %+v, want cancelled before all its items were tried", j)
		}
		if b := root.GetPrintBatch(t, f.Client, job.PrintBatchID).Want(t, http.StatusOK); !b.Sealed {
			t.Errorf("batch after the cancel: got %+v, want it sealed", b)
		}
		root.PrintBatchContent(t, f.Client, job.PrintBatchID).Want(t, http.StatusOK)
	}
	cancelledJob := func(t *testing.T, r client.Response, f fixture) {
		if j := client.Decode[client.RolloutJob](t, r); j.ID != job.ID || j.Status != "cancelled" || j.Finished == "" {
			t.Errorf("cancel answered %+v, want job %s cancelled", j, job.ID)
		}
		sealedNow(t, r, f)
		root := s.root(t)
		if pending := root.RolloutItems(t, f.Client, job.ID, "?result=pending").Want(t, http.StatusOK).Items; len(pending) != 0 {
			t.Errorf("pending items after the cancel: got %d, want none", len(pending))
		}
		skipped := root.RolloutItems(t, f.Client, job.ID, "?result=skipped&limit=1").Want(t, http.StatusOK).Items
		if len(skipped) != 1 || skipped[0].ErrorCode != "errors.jobCancelled" {
			t.Errorf("skipped items after the cancel: got %+v, want them skipped with errors.jobCancelled", skipped)
		}
	}
	// cancelFirst makes job a job cancelled while it ran, as it is stored.
	cancelFirst := func(t *testing.T, s *service, f fixture) fixture {
		job, _, _ = runningJob(t, s, s.root(t), f.Client, nil)
		job = s.root(t).GetRolloutJob(t, f.Client, job.ID).Want(t, http.StatusOK)
		if job.Status != "cancelled" {
			t.Fatalf("job: got %+v, want cancelled", job)
		}
		return f
	}
	cancelAgain := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.CancelRolloutJob(t, f.Client, job.ID).Response
	}
	unchanged := func(t *testing.T, _ client.Response, f fixture) {
		if j := s.root(t).GetRolloutJob(t, f.Client, job.ID).Want(t, http.StatusOK); j != job {
			t.Errorf("job after a second cancel: got %+v, want it unchanged %+v", j, job)
		}
	}
	runMatrix(t, s, "", &f, []row{
		{name: "content: a batch whose job still runs", send: during(http.MethodGet, "/content"), status: 404, code: codeNoRecord, check: sealedNow},
		{name: "DELETE: a batch whose job still runs", send: during(http.MethodDelete, ""), status: 404, code: codeNoRecord, check: sealedNow},
		{name: "cancel: a running job, RolloutCreate only", as: withRights("RolloutCreate"), send: cancelRunning, status: 200, check: cancelledJob},
		{name: "cancel: a cancelled job", given: cancelFirst, send: cancelAgain, status: 422, code: codeReadonly, check: unchanged},
		{name: "cancel: a cancelled job, RolloutOperator", as: withRoles("RolloutOperator"), given: cancelFirst, send: cancelAgain, status: 422,
			code: codeReadonly, check: unchanged},
	})
}
