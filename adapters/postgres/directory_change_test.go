package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// This file and user_change_test.go test changing and deleting clients and users against a real
// PostgreSQL.

// changeEvent is the event a change of the client (user "") or user at version records.
func changeEvent(typ event.Type, client, user string, version int32) event.Event {
	return event.Event{Type: typ, Time: base, Actor: admin, ClientExtID: client, UserExtID: user, Version: version}
}

// clientChange is an update callback that checks version (when given) and applies ch.
func clientChange(version *int32, ch directory.ClientChange, at time.Time) func(context.Context, *directory.Client) ([]event.Event, error) {
	return func(_ context.Context, c *directory.Client) ([]event.Event, error) {
		if err := c.CheckVersion(version); err != nil {
			return nil, err
		}
		if _, err := c.Change(ch, at); err != nil {
			return nil, err
		}
		return []event.Event{changeEvent(directory.ClientChanged, c.ExtID, "", c.Version)}, nil
	}
}

// userChange is an update callback that checks version (when given) and applies ch.
func userChange(version *int32, ch directory.UserChange, at time.Time) func(context.Context, *directory.User) ([]event.Event, error) {
	return func(_ context.Context, u *directory.User) ([]event.Event, error) {
		if err := u.CheckVersion(version); err != nil {
			return nil, err
		}
		if _, err := u.Change(ch, at); err != nil {
			return nil, err
		}
		return []event.Event{changeEvent(directory.UserChanged, u.ClientExtID, u.ExtID, u.Version)}, nil
	}
}

func v32(v int32) *int32 { return &v }

func eventsOf(t *testing.T, db *bun.DB, typ event.Type) int {
	t.Helper()
	return count(t, db, "SELECT count(*) FROM events WHERE type = ?", string(typ))
}

// TestClientStoreConcurrentUpdatesOneWins: eight PATCHes carrying the same version at once;
// the row lock serializes them and exactly one wins, the rest see a stale version.
func TestClientStoreConcurrentUpdatesOneWins(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	createClient(t, db, "acme", "Acme", base)
	errs := race(8, func(i int) error {
		return store.Update(t.Context(), "acme", clientChange(v32(1), directory.ClientChange{
			Remarks: directory.To(fmt.Sprint("racer ", i))}, base.Add(time.Minute)))
	})
	assertOneWins(t, errs)
	got, err := store.Get(t.Context(), "acme")
	if err != nil || got.Version != 2 {
		t.Errorf("acme: got version %d (%v), want 2", got.Version, err)
	}
	if n := eventsOf(t, db, directory.ClientChanged); n != 1 {
		t.Errorf("client.changed events: got %d, want 1", n)
	}
}

// deleteClient deletes a client the way the use case does: only without users, its policies
// deleted by the seam in the same transaction.
func deleteClient(t *testing.T, db *bun.DB, extID string) (appdirectory.ClientRemoval, error) {
	t.Helper()
	var seen appdirectory.ClientRemoval
	err := postgres.NewClientStore(db).Delete(t.Context(), extID, func(ctx context.Context, r appdirectory.ClientRemoval) ([]event.Event, error) {
		seen = r
		if err := r.Client.CheckDeletable(r.Users); err != nil {
			return nil, err
		}
		if err := seamOf(db).ClientDeleting(ctx, r.Client, meta); err != nil {
			return nil, err
		}
		return []event.Event{changeEvent(directory.ClientDeleted, extID, "", r.Client.Version)}, nil
	})
	return seen, err
}

func TestClientStoreDeleteWithUsersDeletesNothing(t *testing.T) {
	db := openDB(t)
	createClient(t, db, "acme", "Acme", base)
	createUser(t, db, "acme", "alice", "alice")
	createUser(t, db, "acme", "bob", "bob")
	seen, err := deleteClient(t, db, "acme")
	if !errors.Is(err, directory.ErrHasDependents) {
		t.Fatalf("delete: got %v, want ErrHasDependents", err)
	}
	if seen.Users != 2 {
		t.Errorf("removal: got %d users, want 2", seen.Users)
	}
	assertCounts(t, db, map[string]int{
		"SELECT count(*) FROM clients":  1,
		"SELECT count(*) FROM policies": 1,
		"SELECT count(*) FROM users":    2,
	})
	if n := eventsOf(t, db, directory.ClientDeleted) + eventsOf(t, db, credential.PolicyDeleted); n != 0 {
		t.Errorf("deletion events: got %d, want 0", n)
	}
}

func TestClientStoreDeleteRemovesPoliciesAndRecordsEvents(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	_, acmeDefault := createClient(t, db, "acme", "Acme", base)
	createClient(t, db, "globex", "Globex", base)
	insertPolicy(t, db, "acme-extra", "acme", nil)
	if _, err := deleteClient(t, db, "acme"); err != nil {
		t.Fatalf("delete: got %v, want nil", err)
	}
	var ids []string
	if err := db.NewRaw("SELECT policy_ext_id FROM events WHERE type = 'policy.deleted' ORDER BY policy_ext_id").Scan(t.Context(), &ids); err != nil {
		t.Fatal(err)
	}
	want := []string{"acme-extra", acmeDefault.ExtID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("policy.deleted events: got %v, want %v", ids, want)
	}
	if _, err := store.Get(t.Context(), "acme"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("get after delete: got %v, want ErrNotFound", err)
	}
	assertCounts(t, db, map[string]int{
		"SELECT count(*) FROM policies WHERE client_ext_id = 'acme'":                           0,
		"SELECT count(*) FROM policies WHERE client_ext_id = 'globex'":                         1,
		"SELECT count(*) FROM clients":                                                         1,
		"SELECT count(*) FROM events WHERE type = 'client.deleted' AND client_ext_id = 'acme'": 1,
		"SELECT count(*) FROM events WHERE type = 'policy.deleted' AND client_ext_id = 'acme'": 2,
	})
	if _, err := deleteClient(t, db, "acme"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
	// The name is free again.
	createClient(t, db, "acme-2", "Acme", base)
}

// TestClientStoreDeleteRacesUserCreate: a client is deleted while users are being added to it.
// Either the delete wins and the users find no client, or a user wins and the delete refuses:
// never a user without its client.
func TestClientStoreDeleteRacesUserCreate(t *testing.T) {
	for round := range 5 {
		db := openDB(t)
		users := postgres.NewUserStore(db)
		createClient(t, db, "acme", "Acme", base)
		errs := race(4, func(i int) error {
			if i == 0 {
				_, err := deleteClient(t, db, "acme")
				return err
			}
			// Later rounds give the delete a head start, so that both outcomes occur.
			time.Sleep(time.Duration(round) * time.Millisecond)
			u, err := directory.NewUser(directory.User{ExtID: fmt.Sprint("u", i), ClientExtID: "acme", LoginID: fmt.Sprint("l", i)}, base)
			if err != nil {
				return err
			}
			return users.Create(t.Context(), u, userEvents(u), func(ctx context.Context) error { return seamOf(db).UserSaved(ctx, u) })
		})
		nClients, nUsers := count(t, db, "SELECT count(*) FROM clients"), count(t, db, "SELECT count(*) FROM users")
		switch {
		case errs[0] == nil:
			for i, err := range errs[1:] {
				if !errors.Is(err, fault.ErrNotFound) {
					t.Errorf("round %d: user %d after the delete won: got %v, want ErrNotFound", round, i+1, err)
				}
			}
			if nClients != 0 || nUsers != 0 {
				t.Errorf("round %d: got %d clients and %d users, want none", round, nClients, nUsers)
			}
		case errors.Is(errs[0], directory.ErrHasDependents):
			if nClients != 1 || nUsers == 0 {
				t.Errorf("round %d: got %d clients and %d users, want the client with its users", round, nClients, nUsers)
			}
		default:
			t.Errorf("round %d: delete got %v, want nil or ErrHasDependents", round, errs[0])
		}
	}
}
