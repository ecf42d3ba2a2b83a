package directorytest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	app "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/application/storetest"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// RunClientStoreContract runs the contract of app.ClientStore (ClientCreator, ClientReader,
// ClientChanger) against the stores newHarness returns, one fresh harness per case.
func RunClientStoreContract(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	storetest.Run(t, newHarness, clientCases)
}

var clientCases = []contractCase{
	{Name: "ClientCreator/saves the client and its events and runs within", Run: func(t *testing.T, h Harness) {
		c, err := directory.NewClient(directory.Client{ExtID: "acme", Name: "Acme",
			DisplayName: map[string]string{"EN": "Acme", "DE": "Acme AG"}, Remarks: "first tenant"}, base)
		if err != nil {
			t.Fatal(err)
		}
		events := []event.Event{entityEvent(directory.ClientCreated, "acme", "", 1)}
		ran := 0
		if err := h.Clients.Create(t.Context(), c, events, func(context.Context) error { ran++; return nil }); err != nil {
			t.Fatalf("create: got %v, want nil", err)
		}
		if ran != 1 {
			t.Errorf("within: ran %d times, want once", ran)
		}
		wantClient(t, h, c)
		storetest.WantEvents(t, h.Recorded(t), events)
	}},
	{Name: "ClientCreator/keeps times in UTC to the microsecond", Run: func(t *testing.T, h Harness) {
		created := time.Date(2026, 11, 26, 22, 30, 0, 123_456_789, time.FixedZone("CET", 60*60))
		c := createClient(t, h, "acme", "Acme", created)
		c.Created, c.LastModified = base, base
		wantClient(t, h, c)
	}},
	{Name: "ClientCreator/refuses a taken extId or name with ErrDuplicate, without within", Run: func(t *testing.T, h Harness) {
		acme := createClient(t, h, "acme", "Acme", base)
		for _, dup := range []directory.Client{newClient(t, "acme", "Other", at(1)), newClient(t, "other", "Acme", at(1))} {
			ran := false
			err := h.Clients.Create(t.Context(), dup, []event.Event{entityEvent(directory.ClientCreated, dup.ExtID, "", 1)},
				func(context.Context) error { ran = true; return nil })
			storetest.WantErr(t, err, fault.ErrDuplicate)
			if ran {
				t.Errorf("create %s named %s: within ran, want it not run for a duplicate", dup.ExtID, dup.Name)
			}
		}
		wantClient(t, h, acme)
		_, err := h.Clients.Get(t.Context(), "other")
		storetest.WantNotFound(t, err, "client", "other")
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "ClientCreator/returns within's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		c := newClient(t, "acme", "Acme", base)
		err := h.Clients.Create(t.Context(), c, []event.Event{entityEvent(directory.ClientCreated, "acme", "", 1)},
			func(context.Context) error { return errRefused })
		storetest.WantErr(t, err, errRefused)
		_, err = h.Clients.Get(t.Context(), "acme")
		storetest.WantNotFound(t, err, "client", "acme")
		storetest.WantEvents(t, h.Recorded(t), nil)
		createClient(t, h, "acme", "Acme", base) // the extId and the name are free
	}},
	{Name: "ClientReader/Get of an unknown client is a NotFoundError naming it", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		_, err := h.Clients.Get(t.Context(), "nobody")
		storetest.WantNotFound(t, err, "client", "nobody")
	}},
	{Name: "ClientReader/Create and Get share no map with the caller", Run: func(t *testing.T, h Harness) {
		display := map[string]string{"EN": "Acme"}
		c := newClient(t, "acme", "Acme", base)
		c.DisplayName = display
		if err := h.Clients.Create(t.Context(), c, nil, noWithin); err != nil {
			t.Fatal(err)
		}
		display["EN"] = "changed after Create"
		got, err := h.Clients.Get(t.Context(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		got.DisplayName["EN"] = "changed after Get"
		c.DisplayName = map[string]string{"EN": "Acme"}
		wantClient(t, h, c)
	}},
	{Name: "ClientReader/List pages oldest first, then by extId", Run: func(t *testing.T, h Harness) {
		for _, c := range []struct {
			extID string
			at    int
		}{{"c5", 0}, {"c2", 1}, {"c1", 1}, {"c4", 2}, {"c3", 2}, {"c0", 3}} {
			createClient(t, h, c.extID, "Client "+c.extID, at(c.at))
		}
		want := []string{"c5", "c1", "c2", "c3", "c4", "c0"}
		for _, limit := range []int{1, 2, 4, 6, 100} {
			got := storetest.PageAll(t, limit, func(p listing.Page) (listing.Result[directory.Client], error) {
				return h.Clients.List(t.Context(), nil, p)
			}, func(c directory.Client) string { return c.ExtID })
			if !slices.Equal(got, want) {
				t.Errorf("limit %d: got %v, want %v", limit, got, want)
			}
		}
	}},
	{Name: "ClientReader/List continues after the cursor even when its client is gone", Run: func(t *testing.T, h Harness) {
		for i, id := range []string{"a", "b", "d", "e"} {
			createClient(t, h, id, "Client "+id, at(i/2))
		}
		res, err := h.Clients.List(t.Context(), nil, listing.Page{Limit: 10, After: &listing.Cursor{Created: at(0), ExtID: "c"}})
		if err != nil {
			t.Fatalf("list: got %v, want nil", err)
		}
		var got []string
		for _, c := range res.Items {
			got = append(got, c.ExtID)
		}
		if want := []string{"d", "e"}; !slices.Equal(got, want) || res.Next != nil {
			t.Errorf("after (%v, c): got %v, next %v; want %v and no next", at(0), got, res.Next, want)
		}
	}},
	{Name: "ClientReader/List with only lists just those; empty lists none", Run: func(t *testing.T, h Harness) {
		for i := range 5 {
			id := string(rune('a' + i))
			createClient(t, h, id, "Client "+id, at(i))
		}
		for _, tt := range []struct {
			only  []string
			limit int
			want  []string
		}{
			{nil, 10, []string{"a", "b", "c", "d", "e"}},
			{[]string{}, 10, nil},
			{[]string{"d", "b", "absent"}, 10, []string{"b", "d"}},
			{[]string{"e", "a", "c"}, 1, []string{"a", "c", "e"}},
		} {
			got := storetest.PageAll(t, tt.limit, func(p listing.Page) (listing.Result[directory.Client], error) {
				return h.Clients.List(t.Context(), tt.only, p)
			}, func(c directory.Client) string { return c.ExtID })
			if !slices.Equal(got, tt.want) {
				t.Errorf("only %#v: got %v, want %v", tt.only, got, tt.want)
			}
		}
	}},
	{Name: "ClientChanger/Update saves fn's change with its events", Run: func(t *testing.T, h Harness) {
		acme := createClient(t, h, "acme", "Acme", base)
		want := acme
		ev := entityEvent(directory.ClientChanged, "acme", "", 2)
		err := h.Clients.Update(t.Context(), "acme", func(_ context.Context, c *directory.Client) ([]event.Event, error) {
			if !reflect.DeepEqual(*c, acme) {
				t.Errorf("fn: got %+v, want the stored %+v", *c, acme)
			}
			if _, err := c.Change(directory.ClientChange{Name: directory.To("Acme 2"),
				DisplayName: directory.To(map[string]string{"EN": "Acme Ltd"}), Remarks: directory.To("r")}, at(60)); err != nil {
				return nil, err
			}
			want = *c
			return []event.Event{ev}, nil
		})
		if err != nil {
			t.Fatalf("update: got %v, want nil", err)
		}
		if want.Version != 2 || want.Name != "Acme 2" {
			t.Fatalf("changed client: got %+v, want Acme 2 at version 2", want)
		}
		wantClient(t, h, want)
		storetest.WantEvents(t, h.Recorded(t), []event.Event{ev})
	}},
	{Name: "ClientChanger/Update saves the print settings, and clearing them", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		var want directory.Client
		set := func(p directory.PrintSettings, when time.Time) {
			t.Helper()
			err := h.Clients.Update(t.Context(), "acme", func(_ context.Context, c *directory.Client) ([]event.Event, error) {
				_, err := c.SetPrintSettings(p, func(string) error { return nil }, when)
				want = *c
				return nil, err
			})
			if err != nil {
				t.Fatalf("update: got %v, want nil", err)
			}
			wantClient(t, h, want)
		}
		set(directory.PrintSettings{Recipients: []string{"age1a", "age1b"}, HelpdeskContact: map[string]string{"EN": "+41 44 000 00 00"},
			InPersonHandover: true}, at(60))
		if len(want.Print.Recipients) != 2 || want.Version != 2 {
			t.Fatalf("set: got %+v", want)
		}
		set(directory.PrintSettings{}, at(120))
		if want.Print.Recipients != nil || want.Print.HelpdeskContact != nil || want.Version != 3 {
			t.Fatalf("cleared: got %+v", want)
		}
	}},
	{Name: "ClientChanger/Update saves nothing when fn leaves the version", Run: func(t *testing.T, h Harness) {
		acme := createClient(t, h, "acme", "Acme", base)
		err := h.Clients.Update(t.Context(), "acme", func(_ context.Context, c *directory.Client) ([]event.Event, error) {
			c.Remarks = "not saved: the version stays"
			return []event.Event{entityEvent(directory.ClientChanged, "acme", "", 1)}, nil
		})
		if err != nil {
			t.Fatalf("update: got %v, want nil", err)
		}
		wantClient(t, h, acme)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "ClientChanger/Update returns fn's error unchanged and saves nothing", Run: func(t *testing.T, h Harness) {
		acme := createClient(t, h, "acme", "Acme", base)
		err := h.Clients.Update(t.Context(), "acme", func(_ context.Context, c *directory.Client) ([]event.Event, error) {
			c.Name, c.Version = "Mutated", c.Version+1
			return []event.Event{entityEvent(directory.ClientChanged, "acme", "", 2)}, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		stale := int32(7)
		err = h.Clients.Update(t.Context(), "acme", func(_ context.Context, c *directory.Client) ([]event.Event, error) {
			return nil, c.CheckVersion(&stale)
		})
		var vc *fault.VersionConflictError
		if !errors.As(err, &vc) || vc.Given != 7 || vc.Current != 1 || vc.Entity != "client" {
			t.Errorf("stale version: got %v, want fn's *fault.VersionConflictError given 7, current 1", err)
		}
		wantClient(t, h, acme)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "ClientChanger/Update of an unknown client is a NotFoundError; fn is not called", Run: func(t *testing.T, h Harness) {
		createClient(t, h, "acme", "Acme", base)
		err := h.Clients.Update(t.Context(), "nobody", func(context.Context, *directory.Client) ([]event.Event, error) {
			t.Error("fn: called for an unknown client, want not called")
			return nil, nil
		})
		storetest.WantNotFound(t, err, "client", "nobody")
	}},
	{Name: "ClientChanger/Update refuses the name of another client with ErrDuplicate", Run: func(t *testing.T, h Harness) {
		acme := createClient(t, h, "acme", "Acme", base)
		createClient(t, h, "globex", "Globex", base)
		err := h.Clients.Update(t.Context(), "acme", func(_ context.Context, c *directory.Client) ([]event.Event, error) {
			_, err := c.Change(directory.ClientChange{Name: directory.To("Globex")}, at(60))
			return []event.Event{entityEvent(directory.ClientChanged, "acme", "", 2)}, err
		})
		storetest.WantErr(t, err, fault.ErrDuplicate)
		wantClient(t, h, acme)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "ClientChanger/Delete calls fn with the client and its users, then deletes it with fn's events", Run: func(t *testing.T, h Harness) {
		acme := createClient(t, h, "acme", "Acme", base)
		globex := createClient(t, h, "globex", "Globex", base)
		createUser(t, h, "globex", "u1", "u1", base)
		ev := entityEvent(directory.ClientDeleted, "acme", "", 1)
		var seen []app.ClientRemoval
		err := h.Clients.Delete(t.Context(), "acme", func(_ context.Context, r app.ClientRemoval) ([]event.Event, error) {
			seen = append(seen, r)
			return []event.Event{ev}, nil
		})
		if err != nil {
			t.Fatalf("delete: got %v, want nil", err)
		}
		if len(seen) != 1 || !reflect.DeepEqual(seen[0], app.ClientRemoval{Client: acme, Users: 0}) {
			t.Errorf("fn: got %+v, want one call with acme and 0 users", seen)
		}
		_, err = h.Clients.Get(t.Context(), "acme")
		storetest.WantNotFound(t, err, "client", "acme")
		wantClient(t, h, globex)
		storetest.WantEvents(t, h.Recorded(t), []event.Event{ev})
		createClient(t, h, "acme-2", "Acme", base) // the name is free again
	}},
	{Name: "ClientChanger/Delete returns fn's error unchanged and keeps the client", Run: func(t *testing.T, h Harness) {
		acme := createClient(t, h, "acme", "Acme", base)
		createUser(t, h, "acme", "u1", "u1", base)
		createUser(t, h, "acme", "u2", "u2", base)
		users := -1
		err := h.Clients.Delete(t.Context(), "acme", func(_ context.Context, r app.ClientRemoval) ([]event.Event, error) {
			users = r.Users
			return []event.Event{entityEvent(directory.ClientDeleted, "acme", "", 1)}, r.Client.CheckDeletable(r.Users)
		})
		storetest.WantErr(t, err, directory.ErrHasDependents)
		if users != 2 {
			t.Errorf("users: got %d, want 2", users)
		}
		err = h.Clients.Delete(t.Context(), "acme", func(context.Context, app.ClientRemoval) ([]event.Event, error) {
			return nil, errRefused
		})
		storetest.WantErr(t, err, errRefused)
		wantClient(t, h, acme)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "ClientChanger/Delete refuses while users remain, even when fn allows it", Run: func(t *testing.T, h Harness) {
		acme := createClient(t, h, "acme", "Acme", base)
		createUser(t, h, "acme", "u1", "u1", base)
		err := h.Clients.Delete(t.Context(), "acme", func(context.Context, app.ClientRemoval) ([]event.Event, error) {
			return []event.Event{entityEvent(directory.ClientDeleted, "acme", "", 1)}, nil
		})
		storetest.WantErr(t, err, directory.ErrHasDependents)
		wantClient(t, h, acme)
		storetest.WantEvents(t, h.Recorded(t), nil)
	}},
	{Name: "ClientChanger/Delete of an unknown client is a NotFoundError; fn is not called", Run: func(t *testing.T, h Harness) {
		err := h.Clients.Delete(t.Context(), "nobody", func(context.Context, app.ClientRemoval) ([]event.Event, error) {
			t.Error("fn: called for an unknown client, want not called")
			return nil, nil
		})
		storetest.WantNotFound(t, err, "client", "nobody")
	}},
}
