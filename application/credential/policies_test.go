package credential_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/extid"
	"github.com/otpcard/otpcard/domain/fault"
)

// newPolicyWorld holds client-a with its default policy pa-default and pa-other (both at version
// 2), and client-b with pb-default.
func newPolicyWorld(t *testing.T) (*credentialtest.PolicyStore, app.UseCases) {
	t.Helper()
	f := credentialtest.NewPolicyStore()
	for i, p := range []credential.Policy{
		{ExtID: "pa-default", ClientExtID: "client-a", Name: "Default", Default: true},
		{ExtID: "pa-other", ClientExtID: "client-a", Name: "Other", Description: "second"},
		{ExtID: "pb-default", ClientExtID: "client-b", Name: "Default", Default: true},
	} {
		p.Parameters, p.Version = credential.DefaultParameters(), 2
		p.Created = t0.Add(time.Duration(i) * time.Second)
		p.LastModified = p.Created
		f.AddPolicy(p)
	}
	return f, app.New(app.Deps{Cards: f.CardStore(), Policies: f, Hasher: &fakeHasher{}, Now: clock(now), Tracer: tracer})
}

func TestPoliciesAuthorization(t *testing.T) {
	ops := []struct {
		name  string
		right access.Right
		run   func(uc app.UseCases, c caller.Caller) error
	}{
		{"create", access.PolicyCreate, func(uc app.UseCases, c caller.Caller) error {
			_, err := uc.CreatePolicy.Do(t.Context(), app.CreatePolicyCommand{Caller: c, ClientExtID: "client-a", Name: "n"})
			return err
		}},
		{"get", access.PolicyView, func(uc app.UseCases, c caller.Caller) error {
			_, err := uc.GetPolicy.Do(t.Context(), app.GetPolicyQuery{Caller: c, ClientExtID: "client-a", ExtID: "pa-other"})
			return err
		}},
		{"list", access.PolicyConfigurationView, func(uc app.UseCases, c caller.Caller) error {
			_, err := uc.ListPolicies.Do(t.Context(), app.ListPoliciesQuery{Caller: c, ClientExtID: "client-a", Page: listing.Page{Limit: 10}})
			return err
		}},
		{"modify", access.PolicyModify, func(uc app.UseCases, c caller.Caller) error {
			_, err := uc.ModifyPolicy.Do(t.Context(), app.ModifyPolicyCommand{Caller: c, ClientExtID: "client-a",
				ExtID: "pa-other", Name: new("changed")})
			return err
		}},
		{"delete", access.PolicyDelete, func(uc app.UseCases, c caller.Caller) error {
			_, err := uc.DeletePolicy.Do(t.Context(), app.DeletePolicyCommand{Caller: c, ClientExtID: "client-a", ExtID: "pa-other"})
			return err
		}},
	}
	for _, op := range ops {
		others := slices.DeleteFunc(access.AllRights(), func(r access.Right) bool { return r == op.right })
		for _, tt := range []struct {
			name    string
			caller  caller.Caller
			wantErr error
		}{
			{"every other right", admin(others...), access.ErrPermissionDenied},
			{"outside the data room", adminIn("client-b"), access.ErrDataroomDenied},
			{"empty data room", adminIn(), access.ErrDataroomDenied},
			{"self-admin", self("user-a", 0), access.ErrPermissionDenied},
			{"only the right", admin(op.right), nil},
			{"Root inside the data room", adminIn("client-a"), nil},
		} {
			t.Run(op.name+"/"+tt.name, func(t *testing.T) {
				f, uc := newPolicyWorld(t)
				err := op.run(uc, tt.caller)
				if n := f.Calls(); refused(t, err, tt.wantErr) && n != 0 {
					t.Errorf("store calls: got %d, want 0 for a refused caller", n)
				}
			})
		}
	}
}

func TestCreatePolicy(t *testing.T) {
	root := admin(access.PolicyCreate)
	digits := map[string]string{"rows": "3", "cols": "4", "cellLength": "6", "cellCharset": "digits"}
	wantDigits := credential.DefaultParameters()
	wantDigits.Layout = credential.Layout{Rows: 3, Cols: 4, CellLength: 6, Charset: credential.CharsetDigits}

	t.Run("defaults", func(t *testing.T) {
		f, uc := newPolicyWorld(t)
		p, err := uc.CreatePolicy.Do(t.Context(), app.CreatePolicyCommand{Caller: root, ClientExtID: "client-a",
			ExtID: "pa-new", Name: "New", Description: "text", PolicyType: ptr(credential.PolicyType)})
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		want := credential.Policy{ExtID: "pa-new", ClientExtID: "client-a", Name: "New", Description: "text",
			Parameters: credential.DefaultParameters(), Created: now, LastModified: now, Version: 1}
		if p != want {
			t.Errorf("policy: got %+v, want %+v", p, want)
		}
		if stored, _ := f.Policy("pa-new"); stored != want {
			t.Errorf("stored: got %+v, want %+v", stored, want)
		}
		checkEvents(t, f.Recorded(), event.Event{Type: credential.PolicyCreated, Time: now, Actor: alice,
			ClientExtID: "client-a", PolicyExtID: "pa-new", Version: 1, RequestID: "req-1"})
		if got := f.Defaults("client-a"); !slices.Equal(got, []string{"pa-default"}) {
			t.Errorf("defaults: got %v, want [pa-default]", got)
		}
	})
	t.Run("generated extId and parameters", func(t *testing.T) {
		_, uc := newPolicyWorld(t)
		p, err := uc.CreatePolicy.Do(t.Context(), app.CreatePolicyCommand{Caller: root, ClientExtID: "client-a",
			Name: "Digits", Parameters: digits})
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if !uuidLike(p.ExtID) || p.Parameters != wantDigits {
			t.Errorf("got extId %q parameters %+v, want a UUID and %+v", p.ExtID, p.Parameters, wantDigits)
		}
	})
	t.Run("default moves the flag", func(t *testing.T) {
		f, uc := newPolicyWorld(t)
		p, err := uc.CreatePolicy.Do(t.Context(), app.CreatePolicyCommand{Caller: root, ClientExtID: "client-a",
			ExtID: "pa-new", Name: "New", Default: true})
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if !p.Default {
			t.Error("Default: got false, want true")
		}
		if got := f.Defaults("client-a"); !slices.Equal(got, []string{"pa-new"}) {
			t.Errorf("defaults of client-a: got %v, want [pa-new]", got)
		}
		if got := f.Defaults("client-b"); !slices.Equal(got, []string{"pb-default"}) {
			t.Errorf("defaults of client-b: got %v, want [pb-default] untouched", got)
		}
		old, _ := f.Policy("pa-default")
		if old.Version != 3 || !old.LastModified.Equal(now) {
			t.Errorf("old default: got version %d lastModified %v, want 3 and %v", old.Version, old.LastModified, now)
		}
		evs := checkEvents(t, f.Recorded(),
			event.Event{Type: credential.PolicyChanged, Time: now, Actor: alice,
				ClientExtID: "client-a", PolicyExtID: "pa-default", Version: 3, RequestID: "req-1"},
			event.Event{Type: credential.PolicyCreated, Time: now, Actor: alice,
				ClientExtID: "client-a", PolicyExtID: "pa-new", Version: 1, RequestID: "req-1"})
		if want := map[string]string{"changed": "defaultPolicy", "defaultPolicyNow": "pa-new"}; !maps.Equal(evs[0].Data, want) {
			t.Errorf("demote event data: got %v, want %v", evs[0].Data, want)
		}
	})
	for _, tt := range []struct {
		name     string
		cmd      app.CreatePolicyCommand
		wantErr  error
		wantText string
	}{
		{"other policy type", app.CreatePolicyCommand{Name: "n", PolicyType: ptr("PasswordPolicy")}, credential.ErrUnknownPolicy, "PasswordPolicy"},
		{"empty policy type", app.CreatePolicyCommand{Name: "n", PolicyType: ptr("")}, credential.ErrUnknownPolicy, "policyType"},
		{"unknown parameter", app.CreatePolicyCommand{Name: "n", Parameters: map[string]string{"colour": "red"}}, credential.ErrPolicyViolation, "colour"},
		{"rows out of range", app.CreatePolicyCommand{Name: "n", Parameters: map[string]string{"rows": "100"}}, credential.ErrPolicyViolation, "rows"},
		{"too weak", app.CreatePolicyCommand{Name: "n", Parameters: map[string]string{"cellLength": "3"}}, credential.ErrPolicyViolation, "bits"},
		{"no name", app.CreatePolicyCommand{}, fault.ErrInvalid, "name"},
		{"bad extId", app.CreatePolicyCommand{ExtID: "a b", Name: "n"}, extid.ErrInvalid, "extId"},
		{"duplicate extId", app.CreatePolicyCommand{ExtID: "pb-default", Name: "n"}, fault.ErrDuplicate, ""},
		{"unknown client", app.CreatePolicyCommand{ClientExtID: "nowhere", Name: "n"}, fault.ErrNotFound, "nowhere"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, uc := newPolicyWorld(t)
			cmd := tt.cmd
			cmd.Caller = root
			if cmd.ClientExtID == "" {
				cmd.ClientExtID = "client-a"
			}
			_, err := uc.CreatePolicy.Do(t.Context(), cmd)
			refused(t, err, tt.wantErr)
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("message: got %q, want it to name %q", err, tt.wantText)
			}
			checkEvents(t, f.Recorded())
		})
	}
}

func TestModifyPolicy(t *testing.T) {
	modifier := admin(access.PolicyModify)
	patch := func(extID string, edit func(*app.ModifyPolicyCommand)) app.ModifyPolicyCommand {
		cmd := app.ModifyPolicyCommand{Caller: modifier, ClientExtID: "client-a", ExtID: extID}
		edit(&cmd)
		return cmd
	}

	t.Run("parameters replaced whole", func(t *testing.T) {
		f, uc := newPolicyWorld(t)
		_, err := uc.ModifyPolicy.Do(t.Context(), patch("pa-other", func(c *app.ModifyPolicyCommand) {
			c.Parameters = map[string]string{"rows": "5", "maxCredFailureCount": "7"}
		}))
		if err != nil {
			t.Fatalf("first PATCH: got %v, want nil", err)
		}
		p, err := uc.ModifyPolicy.Do(t.Context(), patch("pa-other", func(c *app.ModifyPolicyCommand) {
			c.Parameters, c.Version = map[string]string{"cols": "6"}, new(int32(3))
		}))
		if err != nil {
			t.Fatalf("second PATCH: got %v, want nil", err)
		}
		want := credential.DefaultParameters()
		want.Layout.Cols = 6
		if p.Parameters != want || p.Version != 4 || p.Name != "Other" || p.Description != "second" {
			t.Errorf("policy: got %+v, want cols 6 and every other parameter at its default, version 4, texts kept", p)
		}
		if stored, _ := f.Policy("pa-other"); stored != p {
			t.Errorf("stored: got %+v, want %+v", stored, p)
		}
		evs := f.Recorded()
		if len(evs) != 2 || evs[1].Type != credential.PolicyChanged || evs[1].Version != 4 || evs[1].Data["changed"] != "parameters" {
			t.Errorf("events: got %+v, want two policy.changed, the last at version 4 naming parameters", evs)
		}
	})
	t.Run("texts", func(t *testing.T) {
		_, uc := newPolicyWorld(t)
		p, err := uc.ModifyPolicy.Do(t.Context(), patch("pa-other", func(c *app.ModifyPolicyCommand) {
			c.Name, c.Description = new("Renamed"), new("")
		}))
		if err != nil || p.Name != "Renamed" || p.Description != "" || p.Parameters != credential.DefaultParameters() {
			t.Errorf("got %+v, %v; want renamed, no description, parameters kept", p, err)
		}
	})
	t.Run("no change keeps the version", func(t *testing.T) {
		f, uc := newPolicyWorld(t)
		p, err := uc.ModifyPolicy.Do(t.Context(), patch("pa-other", func(c *app.ModifyPolicyCommand) {
			c.Name, c.Version = new("Other"), new(int32(2))
		}))
		if err != nil || p.Version != 2 || !p.LastModified.Equal(t0.Add(time.Second)) {
			t.Errorf("got %+v, %v; want version 2 and lastModified unchanged", p, err)
		}
		checkEvents(t, f.Recorded())
	})
	t.Run("making it the default moves the flag", func(t *testing.T) {
		f, uc := newPolicyWorld(t)
		p, err := uc.ModifyPolicy.Do(t.Context(), patch("pa-other", func(c *app.ModifyPolicyCommand) { c.Default = new(true) }))
		if err != nil || !p.Default || p.Version != 3 {
			t.Fatalf("got %+v, %v; want the default at version 3", p, err)
		}
		if got := f.Defaults("client-a"); !slices.Equal(got, []string{"pa-other"}) {
			t.Errorf("defaults: got %v, want [pa-other]", got)
		}
		old, _ := f.Policy("pa-default")
		if old.Default || old.Version != 3 {
			t.Errorf("old default: got default %v version %d, want false, 3", old.Default, old.Version)
		}
		var types []string
		for _, e := range f.Recorded() {
			types = append(types, e.PolicyExtID+":"+string(e.Type))
		}
		if want := []string{"pa-default:policy.changed", "pa-other:policy.changed"}; !slices.Equal(types, want) {
			t.Errorf("events: got %v, want %v", types, want)
		}
	})
	for _, tt := range []struct {
		name    string
		cmd     app.ModifyPolicyCommand
		wantErr error
	}{
		{"stale version", patch("pa-other", func(c *app.ModifyPolicyCommand) { c.Name, c.Version = new("x"), new(int32(1)) }), fault.ErrVersionConflict},
		{"future version", patch("pa-other", func(c *app.ModifyPolicyCommand) { c.Version = new(int32(3)) }), fault.ErrVersionConflict},
		{"unset the default", patch("pa-default", func(c *app.ModifyPolicyCommand) { c.Default = new(false) }), credential.ErrDefaultRequired},
		{"weak parameters", patch("pa-other", func(c *app.ModifyPolicyCommand) {
			c.Parameters = map[string]string{"cellCharset": "digits"}
		}), credential.ErrPolicyViolation},
		{"blank name", patch("pa-other", func(c *app.ModifyPolicyCommand) { c.Name = new("") }), fault.ErrInvalid},
		{"unknown policy", patch("nope", func(*app.ModifyPolicyCommand) {}), fault.ErrNotFound},
		{"policy of another client", patch("pb-default", func(*app.ModifyPolicyCommand) {}), fault.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, uc := newPolicyWorld(t)
			before := f.Policies()
			_, err := uc.ModifyPolicy.Do(t.Context(), tt.cmd)
			refused(t, err, tt.wantErr)
			if !maps.Equal(f.Policies(), before) || len(f.Recorded()) != 0 {
				t.Errorf("store: got a change, want none")
			}
		})
	}
	t.Run("stale version message", func(t *testing.T) {
		_, uc := newPolicyWorld(t)
		_, err := uc.ModifyPolicy.Do(t.Context(), patch("pa-other", func(c *app.ModifyPolicyCommand) { c.Version = new(int32(1)) }))
		var vc *fault.VersionConflictError
		if !errors.As(err, &vc) || vc.Error() != "version 1 is stale; the policy is at version 2" {
			t.Errorf("got %v, want a VersionConflictError saying the policy is at version 2", err)
		}
	})
}

func TestDeletePolicy(t *testing.T) {
	deleter := admin(access.PolicyDelete)
	t.Run("unused", func(t *testing.T) {
		f, uc := newPolicyWorld(t)
		if _, err := uc.DeletePolicy.Do(t.Context(), app.DeletePolicyCommand{Caller: deleter, ClientExtID: "client-a", ExtID: "pa-other"}); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if _, ok := f.Policy("pa-other"); ok {
			t.Error("pa-other: got it stored, want it gone")
		}
		checkEvents(t, f.Recorded(), event.Event{Type: credential.PolicyDeleted, Time: now, Actor: alice,
			ClientExtID: "client-a", PolicyExtID: "pa-other", Version: 2, RequestID: "req-1"})
	})
	for _, tt := range []struct {
		name, client, policy string
		used                 bool
		wantErr              error
		wantText             string
	}{
		{"in use", "client-a", "pa-other", true, credential.ErrInUse, ""},
		{"the default", "client-a", "pa-default", false, credential.ErrInUse, "default policy"},
		{"unknown", "client-a", "nope", false, fault.ErrNotFound, "nope"},
		{"of another client", "client-a", "pb-default", false, fault.ErrNotFound, "pb-default"},
		{"unknown client", "nowhere", "pa-other", false, fault.ErrNotFound, "nowhere"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, uc := newPolicyWorld(t)
			if tt.used {
				card := storedCard("card-9", "user-a", credential.StateActive)
				card.PolicyExtID = tt.policy
				f.AddCard(card)
			}
			_, err := uc.DeletePolicy.Do(t.Context(), app.DeletePolicyCommand{Caller: deleter, ClientExtID: tt.client, ExtID: tt.policy})
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("got %v, want %v naming %q", err, tt.wantErr, tt.wantText)
			}
			if len(f.Policies()) != 3 || len(f.Recorded()) != 0 {
				t.Errorf("store: got %d policies and events %v, want 3 and none", len(f.Policies()), f.Recorded())
			}
		})
	}
}

func TestReadPolicies(t *testing.T) {
	f, uc := newPolicyWorld(t)
	viewer := admin(access.PolicyView, access.PolicyConfigurationView)
	p, err := uc.GetPolicy.Do(t.Context(), app.GetPolicyQuery{Caller: viewer, ClientExtID: "client-a", ExtID: "pa-other"})
	if err != nil || p.ExtID != "pa-other" || p.Name != "Other" {
		t.Errorf("get: got %+v, %v; want pa-other", p, err)
	}
	for _, tt := range []struct{ client, policy string }{{"client-a", "pb-default"}, {"client-a", "nope"}, {"nowhere", "pa-other"}} {
		if _, err := uc.GetPolicy.Do(t.Context(), app.GetPolicyQuery{Caller: viewer, ClientExtID: tt.client, ExtID: tt.policy}); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("get %s/%s: got %v, want ErrNotFound", tt.client, tt.policy, err)
		}
	}
	for i := range 5 {
		f.AddPolicy(credential.Policy{ExtID: fmt.Sprintf("pa-%d", i), ClientExtID: "client-a", Name: "n",
			Parameters: credential.DefaultParameters(), Created: t0.Add(time.Minute), Version: 1})
	}
	got := storetest.PageAll(t, 3, func(page listing.Page) (listing.Result[credential.Policy], error) {
		return uc.ListPolicies.Do(t.Context(), app.ListPoliciesQuery{Caller: viewer, ClientExtID: "client-a", Page: page})
	}, func(p credential.Policy) string { return p.ExtID })
	want := []string{"pa-default", "pa-other", "pa-0", "pa-1", "pa-2", "pa-3", "pa-4"}
	if !slices.Equal(got, want) {
		t.Errorf("list pages: got %v, want %v", got, want)
	}
	if _, err := uc.ListPolicies.Do(t.Context(), app.ListPoliciesQuery{Caller: viewer, ClientExtID: "nowhere", Page: listing.Page{Limit: 3}}); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("list of unknown client: got %v, want ErrNotFound", err)
	}
}

func uuidLike(s string) bool { return len(s) == 36 && strings.Count(s, "-") == 4 }
