package tests

import (
	"database/sql"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/otpcard/otpcard/adapters/jwtauth"
)

// stateEvent is an otp-card.state-changed row of the events table.
type stateEvent struct {
	actor, mode, from, to, reason string
	version                       int32
}

// stateEvents reads the otp-card.state-changed events of a card from the database, oldest first
// (skipped against an external target).
func stateEvents(t *testing.T, s *service, card string) []stateEvent {
	t.Helper()
	rows, err := s.sql(t).Query(`SELECT actor_subject, actor_mode, data->>'from', data->>'to', data->>'reason', version
		FROM events WHERE credential_ext_id=$1 AND type='otp-card.state-changed' ORDER BY id`, card)
	if err != nil {
		t.Fatalf("read events: %v", err)
	}
	defer rows.Close()
	var out []stateEvent
	for rows.Next() {
		var e stateEvent
		var reason sql.NullString
		if err := rows.Scan(&e.actor, &e.mode, &e.from, &e.to, &reason, &e.version); err != nil {
			t.Fatalf("scan event: %v", err)
		}
		e.reason = reason.String
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read events: %v", err)
	}
	return out
}

// TestCardStateTransitions drives every allowed transition of API.md section 4 over HTTP and
// checks the response, a later GET and the event recorded with the change.
func TestCardStateTransitions(t *testing.T) {
	s := startService(t)
	tests := []struct {
		name             string
		start            cardStart // nil: the fresh card, initial
		from, to, reason string
		failed           float64
	}{
		{"disable an initial card", nil, "initial", "disabled", "changed-by-admin", 0},
		{"disable an active card", toActive, "active", "disabled", "changed-by-admin", 0},
		{"disable a tmp-locked card", toTmpLocked, "tmp-locked", "disabled", "changed-by-admin", 2},
		{"disable a fail-locked card", toFailLocked, "fail-locked", "disabled", "changed-by-admin", 3},
		{"enable a disabled card", toDisabled, "disabled", "active", "enabled", 0},
		{"unlock a tmp-locked card", toTmpLocked, "tmp-locked", "active", "unlock", 0},
		{"unlock a fail-locked card", toFailLocked, "fail-locked", "active", "unlock", 0},
		{"unlock a tmp-locked card whose lock has lapsed", toLapsedTmpLocked, "tmp-locked", "active", "unlock", 0},
		{"disable a tmp-locked card whose lock has lapsed", toLapsedTmpLocked, "tmp-locked", "disabled", "changed-by-admin", 2},
		{"archive an initial card", nil, "initial", "archived", "archived", 0},
		{"archive an active card", toActive, "active", "archived", "archived", 0},
		{"archive a tmp-locked card", toTmpLocked, "tmp-locked", "archived", "archived", 2},
		{"archive a fail-locked card", toFailLocked, "fail-locked", "archived", "archived", 3},
		{"archive a disabled card", toDisabled, "disabled", "archived", "archived", 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := s.bind(t)
			f := ss.newFixture(t, fmt.Sprintf("st%02d", i))
			var startEvents []stateEvent
			if tt.start != nil {
				startEvents = tt.start(t, ss, f)
			}
			before := ss.cardSnapshot(t, f)
			shown := tt.from
			if strings.Contains(tt.name, "lapsed") {
				shown = "active" // reads show a lock whose time is up as ended; the store still says tmp-locked
			}
			if got := before["stateName"]; got != shown {
				t.Fatalf("starting state: got %v, want %s", got, shown)
			}
			if _, locked := before["lockedUntil"]; locked != (shown == "tmp-locked") {
				t.Errorf("lockedUntil before: got %v, want it only while tmp-locked", before["lockedUntil"])
			}
			r := ss.do(request{method: "PATCH", path: ss.cardPath(f), bearer: roleToken(t, "Helpdesk"),
				body: map[string]any{"stateName": tt.to, "modificationComment": "ticket 42", "version": before["version"]}})
			mustStatus(t, r, http.StatusOK)
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("Content-Type: got %q, want application/json", got)
			}
			m := r.json(t)
			version := before["version"].(float64) + 1
			want := map[string]any{"stateName": tt.to, "stateChangeReason": tt.reason, "version": version,
				"failedLoginCount": tt.failed, "modificationComment": "ticket 42", "extId": f.card, "userExtId": f.user,
				"type": "OTP Card", "remainingChallenges": before["remainingChallenges"]}
			for k, w := range want {
				if m[k] != w {
					t.Errorf("%s: got %v, want %v", k, m[k], w)
				}
			}
			for _, k := range []string{"lockedUntil", "stateChangeDetail"} {
				if v, ok := m[k]; ok {
					t.Errorf("%s: got %v, want it absent", k, v)
				}
			}
			if !maskedOTP.MatchString(m["otp"].(string)) {
				t.Errorf("otp: got %q, want the card masked", m["otp"])
			}
			if m["created"] != before["created"] {
				t.Errorf("created: got %v, want %v kept", m["created"], before["created"])
			}
			if after := ss.cardSnapshot(t, f); !equalJSON(after, m) {
				t.Errorf("GET after the PATCH:\n got %v\nwant the PATCH response %v", after, m)
			}
			t.Run("in the database", func(t *testing.T) {
				var moved bool // the API shows seconds; the database keeps microseconds
				if err := ss.sql(t).QueryRow("SELECT last_modified > created FROM otp_cards WHERE ext_id=$1", f.card).Scan(&moved); err != nil || !moved {
					t.Errorf("last_modified > created: got %v, %v; want true", moved, err)
				}
				events := stateEvents(t, ss, f.card)
				want := append(startEvents, stateEvent{actor: "tester", mode: "admin", from: tt.from, to: tt.to,
					reason: tt.reason, version: int32(version)})
				if fmt.Sprint(events) != fmt.Sprint(want) {
					t.Errorf("state-changed events: got %+v, want %+v", events, want)
				}
			})
		})
	}

	t.Run("unlocked cards answer challenges again", func(t *testing.T) {
		for i, start := range []cardStart{toTmpLocked, toFailLocked} {
			ss := s.bind(t)
			f := ss.newFixture(t, fmt.Sprintf("stu%d", i))
			start(t, ss, f)
			challenge := "/nevisidm/api/auth/v1/" + f.client + "/users/" + f.user + "/otp/challenge"
			expectProblem(t, ss.do(request{method: "POST", path: challenge, bearer: rootToken(t)}), http.StatusLocked,
				"errors.credentialLocked")
			mustStatus(t, ss.do(request{method: "PATCH", path: ss.cardPath(f), bearer: rootToken(t),
				body: map[string]any{"stateName": "active"}}), http.StatusOK)
			mustStatus(t, ss.do(request{method: "POST", path: challenge, bearer: rootToken(t)}), http.StatusOK)
		}
	})

	t.Run("a card walks its whole life", func(t *testing.T) {
		ss := s.bind(t)
		f := ss.newFixture(t, "stlife")
		steps := []struct {
			body    string
			state   string
			comment any
			version int
		}{
			{`{"stateName":"disabled","version":1}`, "disabled", nil, 2},
			{`{"stateName":"active","version":"2","modificationComment":"back"}`, "active", "back", 3},
			{`{"modificationComment":"only a comment"}`, "active", "only a comment", 4},
			// Changes nothing (API.md section 1): no version, no event.
			{`{}`, "active", "only a comment", 4},
			{`{"stateName":null}`, "active", "only a comment", 4},
			{`{"stateName":"active","modificationComment":"only a comment","version":4}`, "active", "only a comment", 4},
			{`{"stateName":"archived","version":4}`, "archived", nil, 5},
		}
		for i, st := range steps {
			r := ss.do(request{method: "PATCH", path: ss.cardPath(f), bearer: rootToken(t), body: st.body})
			mustStatus(t, r, http.StatusOK)
			m := r.json(t)
			if m["stateName"] != st.state || m["modificationComment"] != st.comment || m["version"] != float64(st.version) {
				t.Errorf("step %d %s: got state %v, comment %v, version %v; want %s, %v, %d",
					i, st.body, m["stateName"], m["modificationComment"], m["version"], st.state, st.comment, st.version)
			}
		}
		// Archived is final: every further write is refused; a PATCH that changes nothing is no
		// write, so a retried archive gets the same answer; reads still work.
		for body, want := range map[string]int{`{"stateName":"active"}`: 422, `{"modificationComment":"x"}`: 422,
			`{"stateName":"disabled","version":5}`: 422, `{"stateName":"archived"}`: 200, `{}`: 200} {
			r := ss.do(request{method: "PATCH", path: ss.cardPath(f), bearer: rootToken(t), body: body})
			if want == 422 {
				expectProblem(t, r, http.StatusUnprocessableEntity, "errors.modifyReadonlyData")
			} else {
				mustStatus(t, r, want)
			}
		}
		if got := ss.cardSnapshot(t, f)["version"]; got != float64(5) {
			t.Errorf("version after refused writes: got %v, want 5", got)
		}
		t.Run("events in the database", func(t *testing.T) {
			events := stateEvents(t, ss, f.card)
			want := []stateEvent{
				{"tester", "admin", "initial", "disabled", "changed-by-admin", 2},
				{"tester", "admin", "disabled", "active", "enabled", 3},
				{"tester", "admin", "active", "archived", "archived", 5},
			}
			if fmt.Sprint(events) != fmt.Sprint(want) {
				t.Errorf("state-changed events:\n got %+v\nwant %+v", events, want)
			}
			// The comment alone is otp-card.changed, once (API.md section 7).
			var n int
			var comment string
			if err := ss.sql(t).QueryRow(`SELECT count(*), max(data->>'modificationComment') FROM events
				WHERE credential_ext_id = $1 AND type = 'otp-card.changed' AND version = 4`, f.card).Scan(&n, &comment); err != nil {
				t.Fatal(err)
			}
			if n != 1 || comment != "only a comment" {
				t.Errorf("otp-card.changed events: got %d with comment %q, want 1 with %q", n, comment, "only a comment")
			}
		})
	})
}

// TestCardStateRefusedTransitions: transitions outside the table, writes to an archived card and
// unknown state names are 422 and change nothing.
func TestCardStateRefusedTransitions(t *testing.T) {
	s := startService(t)
	started := map[string][]stateEvent{} // the events of each card's start, by card
	patch := func(start cardStart, body string) func(*testing.T, fixture) request {
		return func(t *testing.T, f fixture) request {
			if start != nil {
				started[f.card] = start(t, s.bind(t), f)
			}
			return request{method: "PATCH", path: s.cardPath(f), bearer: rootToken(t), body: body}
		}
	}
	archived := toArchived
	ro, ref := "errors.modifyReadonlyData", "errors.missingReferenceData"
	noEvent := func(t *testing.T, _ response, f fixture) {
		t.Run("no event in the database", func(t *testing.T) {
			if got, want := stateEvents(t, s.bind(t), f.card), started[f.card]; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("state-changed events: got %+v, want only those of the start %+v", got, want)
			}
		})
	}
	cases := []mcase{
		{"initial to active", patch(nil, `{"stateName":"active"}`), 422, ro, noEvent},
		{"initial to tmp-locked", patch(nil, `{"stateName":"tmp-locked"}`), 422, ro, noEvent},
		{"active to initial", patch(toActive, `{"stateName":"initial"}`), 422, ro, noEvent},
		{"active to fail-locked", patch(toActive, `{"stateName":"fail-locked"}`), 422, ro, noEvent},
		{"active to reset-code", patch(toActive, `{"stateName":"reset-code"}`), 422, ro, noEvent},
		{"active to admin-changed", patch(toActive, `{"stateName":"admin-changed"}`), 422, ro, noEvent},
		{"disabled to initial", patch(toDisabled, `{"stateName":"initial"}`), 422, ro, noEvent},
		{"tmp-locked to fail-locked", patch(toTmpLocked, `{"stateName":"fail-locked"}`), 422, ro, noEvent},
		{"fail-locked to tmp-locked", patch(toFailLocked, `{"stateName":"tmp-locked"}`), 422, ro, noEvent},
		{"fail-locked to initial", patch(toFailLocked, `{"stateName":"initial"}`), 422, ro, noEvent},
		{"archived to active", patch(archived, `{"stateName":"active","version":2}`), 422, ro, noEvent},
		{"archived to disabled", patch(archived, `{"stateName":"disabled"}`), 422, ro, noEvent},
		{"comment on an archived card", patch(archived, `{"modificationComment":"x"}`), 422, ro, noEvent},
		{"unknown state name", patch(nil, `{"stateName":"locked"}`), 422, ref, noEvent},
		{"state name in upper case", patch(nil, `{"stateName":"DISABLED"}`), 422, ref, noEvent},
		{"state name with an underscore", patch(nil, `{"stateName":"tmp_locked"}`), 422, ref, noEvent},
		{"state name with a space", patch(nil, `{"stateName":" disabled"}`), 422, ref, noEvent},
		{"unknown state name on an archived card", patch(archived, `{"stateName":"gone"}`), 422, ref, noEvent},
	}
	runMatrix(t, s, "sr", nil, cases)
}

// TestCardStatePatchThatChangesNothing: a PATCH without members, with null members, or
// repeating the stored state and comment answers 200 with the card as it was: no new version, no
// event (API.md section 1), in every state, archived included.
func TestCardStatePatchThatChangesNothing(t *testing.T) {
	s := startService(t)
	type start struct {
		name  string
		to    cardStart
		state string
	}
	for _, st := range []start{{"initial", nil, "initial"}, {"active", toActive, "active"},
		{"disabled", toDisabled, "disabled"}, {"tmp-locked", toTmpLocked, "tmp-locked"}, {"archived", toArchived, "archived"}} {
		t.Run(st.name, func(t *testing.T) {
			ss := s.bind(t)
			f := ss.newFixture(t, "snop-"+st.name)
			if st.to != nil {
				st.to(t, ss, f)
			}
			before := ss.cardSnapshot(t, f)
			for _, body := range []string{`{}`, `{"stateName":null}`, `{"stateName":"` + st.state + `"}`,
				fmt.Sprintf(`{"stateName":%q,"version":%v}`, st.state, before["version"])} {
				r := ss.do(request{method: "PATCH", path: ss.cardPath(f), bearer: rootToken(t), body: body})
				mustStatus(t, r, http.StatusOK)
				if got := r.json(t); !reflect.DeepEqual(got, before) {
					t.Errorf("PATCH %s: got %v, want the card unchanged %v", body, got, before)
				}
			}
			if after := ss.cardSnapshot(t, f); !reflect.DeepEqual(after, before) {
				t.Errorf("GET: got %v, want %v", after, before)
			}
			t.Run("no event in the database", func(t *testing.T) {
				var n int
				if err := ss.sql(t).QueryRow(`SELECT count(*) FROM events WHERE credential_ext_id = $1 AND version > $2`,
					f.card, before["version"]).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("events after the PATCHes: got %d, want none", n)
				}
			})
		})
	}
}

// TestCardStateMatrix is the negative matrix of PATCH .../otp-credentials/{extId} (API.md
// sections 1, 1.1, 2 and 4). Every row gets a fresh client, user and initial card.
func TestCardStateMatrix(t *testing.T) {
	s := startService(t)

	// rq is a PATCH of f that disables the card, with a Root token unless mods say otherwise.
	rq := func(mods ...func(*request)) func(*testing.T, fixture) request {
		return func(t *testing.T, f fixture) request {
			r := request{method: "PATCH", path: s.cardPath(f), bearer: rootToken(t), body: map[string]any{"stateName": "disabled"}}
			for _, m := range mods {
				m(&r)
			}
			return r
		}
	}
	as := func(tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return func(t *testing.T, f fixture) request {
			r := rq()(t, f)
			r.bearer = tok(t, f)
			return r
		}
	}
	self := func(tok func(*testing.T, fixture) string) func(*testing.T, fixture) request {
		return func(t *testing.T, f fixture) request {
			r := rq()(t, f)
			r.bearer, r.xToken = "", tok(t, f)
			return r
		}
	}
	body := func(b any, ct string) func(*testing.T, fixture) request {
		return rq(func(r *request) { r.body, r.contentType = b, ct })
	}
	disabled := func(t *testing.T, r response, f fixture) {
		m := r.json(t)
		if m["stateName"] != "disabled" || m["version"] != f.version+1 {
			t.Errorf("got state %v at version %v, want disabled at %v", m["stateName"], m["version"], f.version+1)
		}
		if !maskedOTP.MatchString(m["otp"].(string)) {
			t.Errorf("otp: got %q, want the card masked", m["otp"])
		}
	}
	unauth, deny, room := "errors.notAuthenticated", "errors.permissionDenied", "errors.dataroomPermissionDenied"
	missing, lock, bad, mt := "errors.noRecord", "errors.optimisticLockingFailure", "errors.invalidData", "errors.unsupportedMediaType"

	t.Run("401 notAuthenticated", func(t *testing.T) {
		runMatrix(t, s, "sa", nil, []mcase{
			{"no token", rq(func(r *request) { r.bearer = "" }), 401, unauth, nil},
			{"Basic credentials", rq(func(r *request) {
				r.bearer, r.headers = "", map[string]string{"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}
			}), 401, unauth, nil},
			{"bad signature", as(func(t *testing.T, _ fixture) string { return wrongSecretToken(t) }), 401, unauth, nil},
			{"expired", as(func(t *testing.T, _ fixture) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Now: time.Now().Add(-2 * time.Hour), TTL: time.Hour})
			}), 401, unauth, nil},
			{"alg none", as(func(t *testing.T, _ fixture) string { return algNoneToken(t, claimsFor("tester", "Root")) }), 401, unauth, nil},
			{"wrong audience", as(func(t *testing.T, _ fixture) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Audience: "another-service"})
			}), 401, unauth, nil},
			{"garbage", as(func(*testing.T, fixture) string { return "not-a-jwt" }), 401, unauth, nil},
			{"garbage X-Token", self(func(*testing.T, fixture) string { return "not-a-jwt" }), 401, unauth, nil},
		})
	})

	t.Run("403 and the roles allowed", func(t *testing.T) {
		runMatrix(t, s, "sp", nil, []mcase{
			{"CredentialModify only", as(tokPerms("AccessControl.CredentialModify")), 403, deny, nil},
			{"CredentialChangeState only", as(tokPerms("AccessControl.CredentialChangeState")), 403, deny, nil},
			{"CredentialModify and CredentialView", as(tokPerms("AccessControl.CredentialModify", "AccessControl.CredentialView")),
				403, deny, nil},
			{"unprefixed rights ignored", as(func(t *testing.T, _ fixture) string {
				c := claimsFor("tester")
				c["permissions"] = []string{"CredentialModify", "CredentialChangeState"}
				return craftToken(t, jwt.SigningMethodHS256, []byte(testSecret), nil, c)
			}), 403, deny, nil},
			{"Auditor", as(tokRoles("Auditor")), 403, deny, nil},
			{"unknown role", as(tokRoles("Superuser")), 403, deny, nil},
			{"self-admin owner, fresh", self(tokOwner), 403, deny, nil},
			{"self-admin owner, comment only", func(t *testing.T, f fixture) request {
				r := self(tokOwner)(t, f)
				r.body = map[string]any{"modificationComment": "mine"}
				return r
			}, 403, deny, nil},
			{"self-admin of another user", self(func(t *testing.T, f fixture) string { return selfToken(t, "someone-else", 0) }),
				403, deny, nil},
			{"Root token sent as X-Token", self(func(t *testing.T, _ fixture) string { return rootToken(t) }), 403, deny, nil},
			{"Root outside the data room", as(tokRoom("other")), 403, room, nil},
			{"Root with an empty data room", as(tokRoom()), 403, room, nil},
			{"data room and unknown client", func(t *testing.T, f fixture) request {
				r := rq()(t, f)
				r.path = strings.Replace(r.path, f.client, "nobody-client", 1)
				r.bearer = token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{f.client}, HasClients: true})
				return r
			}, 403, room, nil},
			{"CredentialModify and CredentialChangeState", as(tokPerms("AccessControl.CredentialModify",
				"AccessControl.CredentialChangeState")), 200, "", disabled},
			{"Helpdesk", as(tokRoles("Helpdesk")), 200, "", disabled},
			{"UserAdmin", as(tokRoles("UserAdmin")), 200, "", disabled},
			{"ClientRoot", as(tokRoles("ClientRoot")), 200, "", disabled},
			{"Root inside its data room", as(func(t *testing.T, f fixture) string {
				return token(t, jwtauth.MintOptions{Roles: []string{"Root"}, Clients: []string{"other", f.client}, HasClients: true})
			}), 200, "", disabled},
		})
	})

	t.Run("404 noRecord", func(t *testing.T) {
		path := func(edit func(t *testing.T, f fixture) fixture) func(*testing.T, fixture) request {
			return func(t *testing.T, f fixture) request {
				r := rq()(t, f)
				r.path = s.cardPath(edit(t, f))
				return r
			}
		}
		runMatrix(t, s, "sn", nil, []mcase{
			{"unknown client", path(func(_ *testing.T, f fixture) fixture { f.client = "unknown-client"; return f }), 404, missing, nil},
			{"unknown user", path(func(_ *testing.T, f fixture) fixture { f.user = "unknown-user"; return f }), 404, missing, nil},
			{"unknown credential", path(func(_ *testing.T, f fixture) fixture { f.card = "unknown-card"; return f }), 404, missing, nil},
			{"card of another client's user", path(func(t *testing.T, f fixture) fixture {
				g := s.bind(t).newFixture(t, "sno-"+f.client)
				f.card = g.card // f's path, g's card
				return f
			}), 404, missing, func(t *testing.T, _ response, f fixture) {
				if got := s.bind(t).cardSnapshot(t, fixture{client: "sno-" + f.client + "-client", user: "sno-" + f.client + "-user",
					card: "sno-" + f.client + "-card"})["stateName"]; got != "initial" {
					t.Errorf("the other card's state: got %v, want initial", got)
				}
			}},
			{"user under the wrong client", path(func(t *testing.T, f fixture) fixture {
				g := s.bind(t).newFixture(t, "snu-"+f.client)
				f.client, f.card = g.client, g.card
				return f
			}), 404, missing, nil},
		})
	})

	t.Run("409 stale version", func(t *testing.T) {
		withVersion := func(v any, patchFirst bool) func(*testing.T, fixture) request {
			return func(t *testing.T, f fixture) request {
				if patchFirst {
					mustStatus(t, s.bind(t).do(request{method: "PATCH", path: s.cardPath(f), bearer: rootToken(t),
						body: map[string]any{"modificationComment": "first"}}), 200)
				}
				return rq(func(r *request) { r.body = map[string]any{"stateName": "disabled", "version": v} })(t, f)
			}
		}
		runMatrix(t, s, "sv", nil, []mcase{
			{"number 0", withVersion(0, false), 409, lock, nil},
			{"string 0", withVersion("0", false), 409, lock, nil},
			{"future version 2", withVersion(2, false), 409, lock, nil},
			{"future version \"2\"", withVersion("2", false), 409, lock, nil},
			{"negative", withVersion(-1, false), 409, lock, nil},
			{"negative as a string", withVersion("-1", false), 400, "errors.invalidData", nil},
			{"signed string", withVersion("+1", false), 400, "errors.invalidData", nil},
			{"old version after a PATCH (number)", withVersion(1, true), 409, lock, nil},
			{"old version after a PATCH (string)", withVersion("1", true), 409, lock, nil},
			{"stale version on a forbidden transition", rq(func(r *request) { r.body = `{"stateName":"initial","version":7}` }),
				409, lock, nil},
			{"current version as number", withVersion(1, false), 200, "", disabled},
			{"current version as string", withVersion("1", false), 200, "", disabled},
		})
	})

	t.Run("400 415 413 bodies", func(t *testing.T) {
		id := func(edit func(f *fixture)) func(*testing.T, fixture) request {
			return func(t *testing.T, f fixture) request {
				edit(&f)
				return rq()(t, f)
			}
		}
		long := strings.Repeat("x", 70*1024)
		runMatrix(t, s, "sb", nil, []mcase{
			{"malformed JSON", body(`{"stateName":`, ""), 400, bad, nil},
			{"unknown member", body(`{"foo":1}`, ""), 400, bad, nil},
			{"unknown member beside known ones", body(`{"stateName":"disabled","policyExtId":"p"}`, ""), 400, bad, nil},
			{"mass assignment of failedLoginCount", body(`{"stateName":"active","failedLoginCount":0}`, ""), 400, bad, nil},
			{"stateName of wrong type", body(`{"stateName":5}`, ""), 400, bad, nil},
			{"stateName as an array", body(`{"stateName":["disabled"]}`, ""), 400, bad, nil},
			{"comment of wrong type", body(`{"modificationComment":true}`, ""), 400, bad, nil},
			{"comment with a NUL character", body(`{"modificationComment":"a\u0000b"}`, ""), 400, bad, nil},
			{"comment of 1025 characters", body(map[string]any{"modificationComment": strings.Repeat("é", 1025)}, ""), 400, bad, nil},
			{"version 1.5", body(`{"stateName":"disabled","version":1.5}`, ""), 400, bad, nil},
			{"version abc", body(`{"stateName":"disabled","version":"abc"}`, ""), 400, bad, nil},
			{"version true", body(`{"stateName":"disabled","version":true}`, ""), 400, bad, nil},
			{"version null", body(`{"stateName":"disabled","version":null}`, ""), 400, bad, nil},
			{"version beyond int32", body(`{"stateName":"disabled","version":2147483648}`, ""), 400, bad, nil},
			{"JSON array body", body(`[{"stateName":"disabled"}]`, ""), 400, bad, nil},
			{"JSON string body", body(`"disabled"`, ""), 400, bad, nil},
			{"trailing data", body(`{"stateName":"disabled"} {}`, ""), 400, bad, nil},
			{"whitespace body", body(`   `, ""), 400, bad, nil},
			{"no body", rq(func(r *request) { r.body = nil }), 400, bad, nil},
			{"extId with a space", id(func(f *fixture) { f.card = "bad%20id" }), 400, bad, nil},
			{"extId of 65 characters", id(func(f *fixture) { f.card = strings.Repeat("c", 65) }), 400, bad, nil},
			{"userExtId with a bad character", id(func(f *fixture) { f.user = "us%24er" }), 400, bad, nil},
			{"text/plain", body(`{"stateName":"disabled"}`, "text/plain"), 415, mt, nil},
			{"form", body(`stateName=disabled`, "application/x-www-form-urlencoded"), 415, mt, nil},
			{"empty Content-Type", rq(func(r *request) {
				r.body, r.headers = `{"stateName":"disabled"}`, map[string]string{"Content-Type": ""}
			}), 415, mt, nil},
			{"70 KiB body", body(map[string]any{"stateName": "disabled", "modificationComment": long}, ""), 413,
				"errors.payloadTooLarge", nil},
			{"comment of 1024 characters", body(map[string]any{"stateName": "disabled", "modificationComment": strings.Repeat("é", 1024)}, ""),
				200, "", disabled},
			{"JSON with charset", body(`{"stateName":"disabled"}`, "application/json; charset=utf-8"), 200, "", disabled},
		})
	})

	t.Run("405 on the replace path", func(t *testing.T) {
		ss := s.bind(t)
		f := ss.newFixture(t, "s405")
		r := ss.do(request{method: "PATCH", path: ss.replacePath(f), bearer: rootToken(t), body: `{}`})
		expectProblem(t, r, http.StatusMethodNotAllowed, "errors.methodNotAllowed")
		if got := r.header.Get("Allow"); !strings.Contains(got, "POST") {
			t.Errorf("Allow: got %q, want it to list POST", got)
		}
		r = ss.do(request{method: "PUT", path: ss.cardPath(f), bearer: rootToken(t), body: `{}`})
		expectProblem(t, r, http.StatusMethodNotAllowed, "errors.methodNotAllowed")
		if got := r.header.Get("Allow"); !strings.Contains(got, "PATCH") {
			t.Errorf("Allow: got %q, want it to list PATCH", got)
		}
	})
}
