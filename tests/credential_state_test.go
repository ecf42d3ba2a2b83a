package tests

import (
	"database/sql"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/tests/client"
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
	t.Parallel()
	s := startService(t)
	tests := []struct {
		name             string
		start            cardStart // nil: the fresh card, initial
		from, to, reason string
		failed           int32
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
			t.Parallel()
			f := s.newFixture(t, fmt.Sprintf("st%02d", i))
			var startEvents []stateEvent
			if tt.start != nil {
				startEvents = tt.start(t, s, f)
			}
			before := s.cardSnapshot(t, f)
			shown := tt.from
			if strings.Contains(tt.name, "lapsed") {
				shown = "active" // reads show a lock whose time is up as ended; the store still says tmp-locked
			}
			if got := before.StateName; got != shown {
				t.Fatalf("starting state: got %v, want %s", got, shown)
			}
			if locked := before.LockedUntil != ""; locked != (shown == "tmp-locked") {
				t.Errorf("lockedUntil before: got %v, want it only while tmp-locked", before.LockedUntil)
			}
			r := s.api.As(token(t, jwtauth.MintOptions{Roles: []string{"Helpdesk"}})).PatchCard(t, f.CardKey,
				client.CredentialPatch{StateName: &tt.to, ModificationComment: client.Ptr("ticket 42"), Version: before.Version})
			m := r.Want(t, http.StatusOK)
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control: got %q, want no-store", got)
			}
			if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("Content-Type: got %q, want application/json", got)
			}
			version := before.Version + 1
			want := m
			want.StateName, want.StateChangeReason, want.Version, want.FailedLoginCount = tt.to, tt.reason, version, tt.failed
			want.ModificationComment, want.ExtID, want.UserExtID, want.Type = "ticket 42", f.Card, f.User, "OTP Card"
			want.RemainingChallenges, want.LockedUntil, want.StateChangeDetail = before.RemainingChallenges, "", ""
			want.Created = before.Created
			if m != want {
				t.Errorf("PATCH response:\n got %+v\nwant %+v", m, want)
			}
			wire := r.JSON(t)
			for _, k := range []string{"lockedUntil", "stateChangeDetail"} {
				if v, ok := wire[k]; ok {
					t.Errorf("%s: got %v, want it absent", k, v)
				}
			}
			if !maskedOTP.MatchString(m.OTP) {
				t.Errorf("otp: got %q, want the card masked", m.OTP)
			}
			if after := s.cardSnapshot(t, f); after != m {
				t.Errorf("GET after the PATCH:\n got %+v\nwant the PATCH response %+v", after, m)
			}
			t.Run("in the database", func(t *testing.T) {
				var moved bool // the API shows seconds; the database keeps microseconds
				if err := s.sql(t).QueryRow("SELECT last_modified > created FROM otp_cards WHERE ext_id=$1", f.Card).Scan(&moved); err != nil || !moved {
					t.Errorf("last_modified > created: got %v, %v; want true", moved, err)
				}
				events := stateEvents(t, s, f.Card)
				want := append(startEvents, stateEvent{actor: "tester", mode: "admin", from: tt.from, to: tt.to,
					reason: tt.reason, version: version})
				if fmt.Sprint(events) != fmt.Sprint(want) {
					t.Errorf("state-changed events: got %+v, want %+v", events, want)
				}
			})
		})
	}

	t.Run("unlocked cards answer challenges again", func(t *testing.T) {
		t.Parallel()
		for i, start := range []cardStart{toTmpLocked, toFailLocked} {
			f := s.newFixture(t, fmt.Sprintf("stu%d", i))
			start(t, s, f)
			api := s.root(t)
			api.Challenge(t, f.UserKey()).WantProblem(t, http.StatusLocked, "errors.credentialLocked")
			api.PatchCard(t, f.CardKey, client.CredentialPatch{StateName: client.Ptr("active")}).Want(t, http.StatusOK)
			api.Challenge(t, f.UserKey()).Want(t, http.StatusOK)
		}
	})

	t.Run("a card walks its whole life", func(t *testing.T) {
		t.Parallel()
		f := s.newFixture(t, "stlife")
		api := s.root(t)
		steps := []struct {
			body    string
			state   string
			comment string
			version int32
		}{
			{`{"stateName":"disabled","version":1}`, "disabled", "", 2},
			{`{"stateName":"active","version":"2","modificationComment":"back"}`, "active", "back", 3},
			{`{"modificationComment":"only a comment"}`, "active", "only a comment", 4},
			// Changes nothing (API.md section 1): no version, no event.
			{`{}`, "active", "only a comment", 4},
			{`{"stateName":null}`, "active", "only a comment", 4},
			{`{"stateName":"active","modificationComment":"only a comment","version":4}`, "active", "only a comment", 4},
			{`{"stateName":"archived","version":4}`, "archived", "", 5},
		}
		for i, st := range steps {
			r := raw("PATCH", fixture.Path, st.body)(t, api, f)
			r.WantStatus(t, http.StatusOK)
			m := client.Decode[client.Credential](t, r)
			if _, present := r.JSON(t)["modificationComment"]; m.StateName != st.state || m.ModificationComment != st.comment ||
				present != (st.comment != "") || m.Version != st.version {
				t.Errorf("step %d %s: got state %v, comment %q, version %v; want %s, %q, %d",
					i, st.body, m.StateName, m.ModificationComment, m.Version, st.state, st.comment, st.version)
			}
		}
		// Archived is final: every further write is refused; a PATCH that changes nothing is no
		// write, so a retried archive gets the same answer; reads still work.
		for body, want := range map[string]int{`{"stateName":"active"}`: 422, `{"modificationComment":"x"}`: 422,
			`{"stateName":"disabled","version":5}`: 422, `{"stateName":"archived"}`: 200, `{}`: 200} {
			r := raw("PATCH", fixture.Path, body)(t, api, f)
			if want == 422 {
				r.WantProblem(t, http.StatusUnprocessableEntity, "errors.modifyReadonlyData")
			} else {
				r.WantStatus(t, want)
			}
		}
		if got := s.cardSnapshot(t, f).Version; got != 5 {
			t.Errorf("version after refused writes: got %v, want 5", got)
		}
		t.Run("events in the database", func(t *testing.T) {
			events := stateEvents(t, s, f.Card)
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
			if err := s.sql(t).QueryRow(`SELECT count(*), max(data->>'modificationComment') FROM events
				WHERE credential_ext_id = $1 AND type = 'otp-card.changed' AND version = 4`, f.Card).Scan(&n, &comment); err != nil {
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
	t.Parallel()
	s := startService(t)
	var mu sync.Mutex
	started := map[string][]stateEvent{} // the events of each card's start, by card
	from := func(start cardStart) func(*testing.T, *service, fixture) fixture {
		return func(t *testing.T, s *service, f fixture) fixture {
			events := start(t, s, f)
			mu.Lock()
			started[f.Card] = events
			mu.Unlock()
			return f
		}
	}
	ro, ref := "errors.modifyReadonlyData", "errors.missingReferenceData"
	noEvent := func(t *testing.T, _ client.Response, f fixture) {
		t.Run("no event in the database", func(t *testing.T) {
			mu.Lock()
			want := started[f.Card]
			mu.Unlock()
			if got := stateEvents(t, s, f.Card); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("state-changed events: got %+v, want only those of the start %+v", got, want)
			}
		})
	}
	runMatrix(t, s, "sr", nil, []row{
		{name: "initial to active", send: raw("PATCH", fixture.Path, `{"stateName":"active"}`), status: 422, code: ro, check: noEvent},
		{name: "initial to tmp-locked", send: raw("PATCH", fixture.Path, `{"stateName":"tmp-locked"}`), status: 422, code: ro, check: noEvent},
		{name: "active to initial", given: from(toActive), send: raw("PATCH", fixture.Path, `{"stateName":"initial"}`), status: 422, code: ro, check: noEvent},
		{name: "active to fail-locked", given: from(toActive), send: raw("PATCH", fixture.Path, `{"stateName":"fail-locked"}`), status: 422, code: ro, check: noEvent},
		{name: "active to reset-code", given: from(toActive), send: raw("PATCH", fixture.Path, `{"stateName":"reset-code"}`), status: 422, code: ro, check: noEvent},
		{name: "active to admin-changed", given: from(toActive), send: raw("PATCH", fixture.Path, `{"stateName":"admin-changed"}`), status: 422, code: ro, check: noEvent},
		{name: "disabled to initial", given: from(toDisabled), send: raw("PATCH", fixture.Path, `{"stateName":"initial"}`), status: 422, code: ro, check: noEvent},
		{name: "tmp-locked to fail-locked", given: from(toTmpLocked), send: raw("PATCH", fixture.Path, `{"stateName":"fail-locked"}`), status: 422, code: ro, check: noEvent},
		{name: "fail-locked to tmp-locked", given: from(toFailLocked), send: raw("PATCH", fixture.Path, `{"stateName":"tmp-locked"}`), status: 422, code: ro, check: noEvent},
		{name: "fail-locked to initial", given: from(toFailLocked), send: raw("PATCH", fixture.Path, `{"stateName":"initial"}`), status: 422, code: ro, check: noEvent},
		{name: "archived to active", given: from(toArchived), send: raw("PATCH", fixture.Path, `{"stateName":"active","version":2}`), status: 422, code: ro, check: noEvent},
		{name: "archived to disabled", given: from(toArchived), send: raw("PATCH", fixture.Path, `{"stateName":"disabled"}`), status: 422, code: ro, check: noEvent},
		{name: "comment on an archived card", given: from(toArchived), send: raw("PATCH", fixture.Path, `{"modificationComment":"x"}`), status: 422, code: ro, check: noEvent},
		{name: "unknown state name", send: raw("PATCH", fixture.Path, `{"stateName":"locked"}`), status: 422, code: ref, check: noEvent},
		{name: "state name in upper case", send: raw("PATCH", fixture.Path, `{"stateName":"DISABLED"}`), status: 422, code: ref, check: noEvent},
		{name: "state name with an underscore", send: raw("PATCH", fixture.Path, `{"stateName":"tmp_locked"}`), status: 422, code: ref, check: noEvent},
		{name: "state name with a space", send: raw("PATCH", fixture.Path, `{"stateName":" disabled"}`), status: 422, code: ref, check: noEvent},
		{name: "unknown state name on an archived card", given: from(toArchived), send: raw("PATCH", fixture.Path, `{"stateName":"gone"}`), status: 422, code: ref, check: noEvent},
	})
}

// TestCardStatePatchThatChangesNothing: a PATCH without members, with null members, or
// repeating the stored state and comment answers 200 with the card as it was: no new version, no
// event (API.md section 1), in every state, archived included.
func TestCardStatePatchThatChangesNothing(t *testing.T) {
	t.Parallel()
	s := startService(t)
	type start struct {
		name  string
		to    cardStart
		state string
	}
	for _, st := range []start{{"initial", nil, "initial"}, {"active", toActive, "active"},
		{"disabled", toDisabled, "disabled"}, {"tmp-locked", toTmpLocked, "tmp-locked"}, {"archived", toArchived, "archived"}} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			f := s.newFixture(t, "snop-"+st.name)
			if st.to != nil {
				st.to(t, s, f)
			}
			api := s.root(t)
			before := api.GetCard(t, f.CardKey)
			before.WantStatus(t, http.StatusOK)
			for _, body := range []string{`{}`, `{"stateName":null}`, `{"stateName":"` + st.state + `"}`,
				fmt.Sprintf(`{"stateName":%q,"version":%v}`, st.state, before.Value(t).Version)} {
				r := raw("PATCH", fixture.Path, body)(t, api, f)
				r.WantStatus(t, http.StatusOK)
				if got := r.JSON(t); !reflect.DeepEqual(got, before.JSON(t)) {
					t.Errorf("PATCH %s: got %v, want the card unchanged %v", body, got, before.JSON(t))
				}
			}
			if after := api.GetCard(t, f.CardKey); !reflect.DeepEqual(after.JSON(t), before.JSON(t)) {
				t.Errorf("GET: got %s, want %s", after.Body, before.Body)
			}
			t.Run("no event in the database", func(t *testing.T) {
				var n int
				if err := s.sql(t).QueryRow(`SELECT count(*) FROM events WHERE credential_ext_id = $1 AND version > $2`,
					f.Card, before.Value(t).Version).Scan(&n); err != nil {
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
	t.Parallel()
	s := startService(t)
	disable := func(t *testing.T, api *client.API, f fixture) client.Response {
		return api.PatchCard(t, f.CardKey, client.CredentialPatch{StateName: client.Ptr("disabled")}).Response
	}
	disabled := func(t *testing.T, r client.Response, f fixture) {
		m := client.Decode[client.Credential](t, r)
		if m.StateName != "disabled" || m.Version != f.version+1 {
			t.Errorf("got state %v at version %v, want disabled at %v", m.StateName, m.Version, f.version+1)
		}
		if !maskedOTP.MatchString(m.OTP) {
			t.Errorf("otp: got %q, want the card masked", m.OTP)
		}
	}
	unauth, deny, room := "errors.notAuthenticated", "errors.permissionDenied", "errors.dataroomPermissionDenied"
	missing, lock, bad, mt := "errors.noRecord", "errors.optimisticLockingFailure", "errors.invalidData", "errors.unsupportedMediaType"

	t.Run("401 notAuthenticated", func(t *testing.T) {
		t.Parallel()
		// The token attacks are adapters/jwtauth's matrix and TestAuthenticationOverHTTP's smoke;
		// these rows are about the headers a PATCH may come with.
		runMatrix(t, s, "sa", nil, []row{
			{name: "no token", as: anonymous, send: disable, status: 401, code: unauth},
			{name: "Basic credentials", as: anonymous, send: raw("PATCH", fixture.Path, `{"stateName":"disabled"}`, "Authorization", "Basic dXNlcjpwYXNzd29yZA=="),
				status: 401, code: unauth},
			{name: "garbage X-Token", as: xToken(fixed(func(*testing.T) string { return "not-a-jwt" })), send: disable, status: 401, code: unauth},
		})
	})

	t.Run("403 and the roles allowed", func(t *testing.T) {
		t.Parallel()
		runMatrix(t, s, "sp", nil, []row{
			{name: "CredentialModify only", as: withRights("AccessControl.CredentialModify"), send: disable, status: 403, code: deny},
			{name: "CredentialChangeState only", as: withRights("AccessControl.CredentialChangeState"), send: disable, status: 403, code: deny},
			{name: "CredentialModify and CredentialView", as: withRights("AccessControl.CredentialModify", "AccessControl.CredentialView"),
				send: disable, status: 403, code: deny},
			{name: "unprefixed rights ignored", as: withUnprefixedRights("CredentialModify", "CredentialChangeState"), send: disable,
				status: 403, code: deny},
			{name: "Auditor", as: withRoles("Auditor"), send: disable, status: 403, code: deny},
			{name: "unknown role", as: withRoles("Superuser"), send: disable, status: 403, code: deny},
			{name: "self-admin owner, fresh", as: owner(0), send: disable, status: 403, code: deny},
			{name: "self-admin owner, comment only", as: owner(0), send: func(t *testing.T, api *client.API, f fixture) client.Response {
				return api.PatchCard(t, f.CardKey, client.CredentialPatch{ModificationComment: client.Ptr("mine")}).Response
			}, status: 403, code: deny},
			{name: "self-admin of another user", as: selfOf("someone-else"), send: disable, status: 403, code: deny},
			{name: "Root token sent as X-Token", as: xToken(fixed(rootToken)), send: disable, status: 403, code: deny},
			{name: "Root outside the data room", as: inRoom("other"), send: disable, status: 403, code: room},
			{name: "Root with an empty data room", as: inRoom(), send: disable, status: 403, code: room},
			{name: "data room and unknown client", as: inOwnRoom(), given: func(_ *testing.T, _ *service, f fixture) fixture {
				f.Client = "nobody-client"
				return f
			}, send: disable, status: 403, code: room},
			{name: "CredentialModify and CredentialChangeState", as: withRights("AccessControl.CredentialModify",
				"AccessControl.CredentialChangeState"), send: disable, status: 200, check: disabled},
			{name: "Helpdesk", as: withRoles("Helpdesk"), send: disable, status: 200, check: disabled},
			{name: "UserAdmin", as: withRoles("UserAdmin"), send: disable, status: 200, check: disabled},
			{name: "ClientRoot", as: withRoles("ClientRoot"), send: disable, status: 200, check: disabled},
			{name: "Root inside its data room", as: inOwnRoom("other"), send: disable, status: 200, check: disabled},
		})
	})

	t.Run("404 noRecord", func(t *testing.T) {
		t.Parallel()
		runMatrix(t, s, "sn", nil, append(unknownCardRows(disable, "snu-"), []row{
			{name: "card of another client's user", given: func(t *testing.T, s *service, f fixture) fixture {
				g := s.newFixture(t, "sno-"+f.Client)
				f.Card = g.Card // f's path, g's card
				return f
			}, send: disable, status: 404, code: missing, check: func(t *testing.T, _ client.Response, f fixture) {
				p := "sno-" + f.Client // the other fixture's prefix
				g := client.CardKey{Client: p + "-client", User: p + "-user", Card: p + "-card"}
				if got := s.root(t).GetCard(t, g).Want(t, http.StatusOK).StateName; got != "initial" {
					t.Errorf("the other card's state: got %v, want initial", got)
				}
			}},
		}...))
	})

	t.Run("409 stale version", func(t *testing.T) {
		t.Parallel()
		withVersion := func(v any) func(*testing.T, *client.API, fixture) client.Response {
			return func(t *testing.T, api *client.API, f fixture) client.Response {
				return api.PatchCard(t, f.CardKey, client.CredentialPatch{StateName: client.Ptr("disabled"), Version: v}).Response
			}
		}
		patchedFirst := func(t *testing.T, s *service, f fixture) fixture {
			s.root(t).PatchCard(t, f.CardKey, client.CredentialPatch{ModificationComment: client.Ptr("first")}).Want(t, http.StatusOK)
			return f
		}
		runMatrix(t, s, "sv", nil, append(staleVersionRows(withVersion, patchedFirst, "a PATCH"), []row{
			{name: "future version \"2\"", send: withVersion("2"), status: 409, code: lock},
			{name: "stale version on a forbidden transition", send: raw("PATCH", fixture.Path, `{"stateName":"initial","version":7}`), status: 409, code: lock},
			{name: "current version as number", send: withVersion(1), status: 200, check: disabled},
			{name: "current version as string", send: withVersion("1"), status: 200, check: disabled},
		}...))
	})

	t.Run("400 415 413 bodies", func(t *testing.T) {
		t.Parallel()
		long := strings.Repeat("x", 70*1024)
		comment := func(c string) string { return fmt.Sprintf(`{"stateName":"disabled","modificationComment":%q}`, c) }
		runMatrix(t, s, "sb", nil, []row{
			{name: "malformed JSON", send: raw("PATCH", fixture.Path, `{"stateName":`), status: 400, code: bad},
			{name: "unknown member", send: raw("PATCH", fixture.Path, `{"foo":1}`), status: 400, code: bad},
			{name: "unknown member beside known ones", send: raw("PATCH", fixture.Path, `{"stateName":"disabled","policyExtId":"p"}`), status: 400, code: bad},
			{name: "mass assignment of failedLoginCount", send: raw("PATCH", fixture.Path, `{"stateName":"active","failedLoginCount":0}`), status: 400, code: bad},
			{name: "stateName of wrong type", send: raw("PATCH", fixture.Path, `{"stateName":5}`), status: 400, code: bad},
			{name: "stateName as an array", send: raw("PATCH", fixture.Path, `{"stateName":["disabled"]}`), status: 400, code: bad},
			{name: "comment of wrong type", send: raw("PATCH", fixture.Path, `{"modificationComment":true}`), status: 400, code: bad},
			{name: "comment with a NUL character", send: raw("PATCH", fixture.Path, `{"modificationComment":"a\u0000b"}`), status: 400, code: bad},
			{name: "comment of 1025 characters", send: func(t *testing.T, api *client.API, f fixture) client.Response {
				return api.PatchCard(t, f.CardKey, client.CredentialPatch{ModificationComment: client.Ptr(strings.Repeat("é", 1025))}).Response
			}, status: 400, code: bad},
			{name: "version 1.5", send: raw("PATCH", fixture.Path, `{"stateName":"disabled","version":1.5}`), status: 400, code: bad},
			{name: "version abc", send: raw("PATCH", fixture.Path, `{"stateName":"disabled","version":"abc"}`), status: 400, code: bad},
			{name: "version true", send: raw("PATCH", fixture.Path, `{"stateName":"disabled","version":true}`), status: 400, code: bad},
			{name: "version null", send: raw("PATCH", fixture.Path, `{"stateName":"disabled","version":null}`), status: 400, code: bad},
			{name: "version beyond int32", send: raw("PATCH", fixture.Path, `{"stateName":"disabled","version":2147483648}`), status: 400, code: bad},
			{name: "JSON array body", send: raw("PATCH", fixture.Path, `[{"stateName":"disabled"}]`), status: 400, code: bad},
			{name: "JSON string body", send: raw("PATCH", fixture.Path, `"disabled"`), status: 400, code: bad},
			{name: "trailing data", send: raw("PATCH", fixture.Path, `{"stateName":"disabled"} {}`), status: 400, code: bad},
			{name: "whitespace body", send: raw("PATCH", fixture.Path, `   `), status: 400, code: bad},
			{name: "no body", send: raw("PATCH", fixture.Path, ""), status: 400, code: bad},
			{name: "extId with a space", given: edit(func(f *fixture) { f.Card = "bad%20id" }), send: disable, status: 400, code: bad},
			{name: "extId of 65 characters", given: edit(func(f *fixture) { f.Card = strings.Repeat("c", 65) }), send: disable, status: 400, code: bad},
			{name: "userExtId with a bad character", given: edit(func(f *fixture) { f.User = "us%24er" }), send: disable, status: 400, code: bad},
			{name: "text/plain", send: raw("PATCH", fixture.Path, `{"stateName":"disabled"}`, "Content-Type", "text/plain"), status: 415, code: mt},
			{name: "form", send: raw("PATCH", fixture.Path, `stateName=disabled`, "Content-Type", "application/x-www-form-urlencoded"), status: 415, code: mt},
			{name: "empty Content-Type", send: raw("PATCH", fixture.Path, `{"stateName":"disabled"}`, "Content-Type", ""), status: 415, code: mt},
			{name: "70 KiB body", send: raw("PATCH", fixture.Path, comment(long)), status: 413, code: "errors.payloadTooLarge"},
			{name: "comment of 1024 characters", send: raw("PATCH", fixture.Path, comment(strings.Repeat("é", 1024))), status: 200, check: disabled},
			{name: "JSON with charset", send: raw("PATCH", fixture.Path, `{"stateName":"disabled"}`, "Content-Type", "application/json; charset=utf-8"),
				status: 200, check: disabled},
		})
	})

	t.Run("405 on the replace path", func(t *testing.T) {
		t.Parallel()
		f := s.newFixture(t, "s405")
		api := s.root(t)
		r := api.Do(t, client.Request{Method: http.MethodPatch, Path: f.ReplacePath(), Body: []byte(`{}`)})
		r.WantProblem(t, http.StatusMethodNotAllowed, "errors.methodNotAllowed")
		if got := r.Header.Get("Allow"); !strings.Contains(got, "POST") {
			t.Errorf("Allow: got %q, want it to list POST", got)
		}
		r = api.Do(t, client.Request{Method: http.MethodPut, Path: f.Path(), Body: []byte(`{}`)})
		r.WantProblem(t, http.StatusMethodNotAllowed, "errors.methodNotAllowed")
		if got := r.Header.Get("Allow"); !strings.Contains(got, "PATCH") {
			t.Errorf("Allow: got %q, want it to list PATCH", got)
		}
	})
}

// edit is a row's given that only changes the path of the request: the fixture stays as it is.
func edit(change func(f *fixture)) func(*testing.T, *service, fixture) fixture {
	return func(_ *testing.T, _ *service, f fixture) fixture {
		change(&f)
		return f
	}
}
