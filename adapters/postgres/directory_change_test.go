package postgres_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
)

// changeEvent is the event a change of the client (user "") or user at version records.
func changeEvent(typ event.Type, client, user string, version int32) event.Event {
	return event.Event{Type: typ, Time: base, Actor: admin, ClientExtID: client, UserExtID: user, Version: version}
}

// clientChange is an update callback that checks version (when given) and applies ch.
func clientChange(version *int32, ch directory.ClientChange, at time.Time) func(*directory.Client) ([]event.Event, error) {
	return func(c *directory.Client) ([]event.Event, error) {
		if err := c.CheckVersion(version); err != nil {
			return nil, err
		}
		if err := c.Change(ch, at); err != nil {
			return nil, err
		}
		return []event.Event{changeEvent(event.ClientChanged, c.ExtID, "", c.Version)}, nil
	}
}

// userChange is an update callback that checks version (when given) and applies ch.
func userChange(version *int32, ch directory.UserChange, at time.Time) func(*directory.User) ([]event.Event, error) {
	return func(u *directory.User) ([]event.Event, error) {
		if err := u.CheckVersion(version); err != nil {
			return nil, err
		}
		if err := u.Change(ch, at); err != nil {
			return nil, err
		}
		return []event.Event{changeEvent(event.UserChanged, u.ClientExtID, u.ExtID, u.Version)}, nil
	}
}

func v32(v int32) *int32 { return &v }

func eventsOf(t *testing.T, db *bun.DB, typ event.Type) int {
	t.Helper()
	return count(t, db, "SELECT count(*) FROM events WHERE type = ?", string(typ))
}

func TestClientStoreUpdate(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	createClient(t, db, "acme", "Acme", base)
	createClient(t, db, "globex", "Globex", base)
	later := base.Add(time.Hour)
	err := store.Update(t.Context(), "acme", clientChange(v32(1), directory.ClientChange{
		Name: directory.To("Acme 2"), DisplayName: directory.To(map[string]string{"EN": "Acme Ltd"}), Remarks: directory.To("r")}, later))
	if err != nil {
		t.Fatalf("update: got %v, want nil", err)
	}
	got, err := store.Get(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Acme 2" || got.Remarks != "r" || !reflect.DeepEqual(got.DisplayName, map[string]string{"EN": "Acme Ltd"}) || got.Version != 2 {
		t.Errorf("stored: got %+v, want Acme 2, remarks r, displayName EN, version 2", got)
	}
	assertTime(t, "lastModified", got.LastModified, later)
	assertTime(t, "created", got.Created, base)
	if n := eventsOf(t, db, event.ClientChanged); n != 1 {
		t.Errorf("client.changed events: got %d, want 1", n)
	}

	t.Run("refusals change nothing", func(t *testing.T) {
		for _, tt := range []struct {
			name    string
			extID   string
			fn      func(*directory.Client) ([]event.Event, error)
			wantErr error
		}{
			{"unknown", "nobody", clientChange(nil, directory.ClientChange{}, later), directory.ErrNotFound},
			{"stale version", "acme", clientChange(v32(1), directory.ClientChange{Remarks: directory.To("x")}, later), directory.ErrVersionConflict},
			{"name of another client", "acme", clientChange(nil, directory.ClientChange{Name: directory.To("Globex")}, later), directory.ErrDuplicate},
			{"callback error", "acme", func(c *directory.Client) ([]event.Event, error) {
				c.Name = "Mutated"
				return []event.Event{changeEvent(event.ClientChanged, "acme", "", 9)}, errRefused
			}, errRefused},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if err := store.Update(t.Context(), tt.extID, tt.fn); !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want an error wrapping %v", err, tt.wantErr)
				}
				after, err := store.Get(t.Context(), "acme")
				if err != nil || !reflect.DeepEqual(after, got) {
					t.Errorf("acme: got %+v (%v), want it unchanged %+v", after, err, got)
				}
				if n := eventsOf(t, db, event.ClientChanged); n != 1 {
					t.Errorf("client.changed events: got %d, want still 1", n)
				}
			})
		}
	})
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
	if n := eventsOf(t, db, event.ClientChanged); n != 1 {
		t.Errorf("client.changed events: got %d, want 1", n)
	}
}

// race runs n calls at once and returns their errors.
func race(n int, call func(i int) error) []error {
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = call(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// assertOneWins fails unless exactly one call succeeded and every other one saw a
// *directory.VersionConflictError.
func assertOneWins(t *testing.T, errs []error) {
	t.Helper()
	won, stale := 0, 0
	for i, err := range errs {
		var vc *directory.VersionConflictError
		switch {
		case err == nil:
			won++
		case errors.As(err, &vc) && vc.Given == 1 && vc.Current == 2:
			stale++
		default:
			t.Errorf("racer %d: got %v, want nil or a version conflict at version 2", i, err)
		}
	}
	if won != 1 || stale != len(errs)-1 {
		t.Errorf("outcomes: got %d won and %d stale, want 1 and %d", won, stale, len(errs)-1)
	}
}

// deleteClient deletes a client the way the use case does: only without users.
func deleteClient(t *testing.T, store *postgres.ClientStore, extID string) (appdirectory.ClientRemoval, error) {
	t.Helper()
	var seen appdirectory.ClientRemoval
	err := store.Delete(t.Context(), extID, func(r appdirectory.ClientRemoval) ([]event.Event, error) {
		seen = r
		if err := r.Client.CheckDeletable(r.Users); err != nil {
			return nil, err
		}
		events := []event.Event{changeEvent(event.ClientDeleted, extID, "", r.Client.Version)}
		for _, p := range r.Policies {
			events = append(events, event.Event{Type: event.PolicyDeleted, Time: base, Actor: admin,
				ClientExtID: extID, PolicyExtID: p.ExtID, Version: p.Version})
		}
		return events, nil
	})
	return seen, err
}

func TestClientStoreDeleteWithUsersDeletesNothing(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	createClient(t, db, "acme", "Acme", base)
	createUser(t, db, "acme", "alice", "alice")
	createUser(t, db, "acme", "bob", "bob")
	seen, err := deleteClient(t, store, "acme")
	if !errors.Is(err, directory.ErrHasDependents) {
		t.Fatalf("delete: got %v, want ErrHasDependents", err)
	}
	if seen.Users != 2 || len(seen.Policies) != 1 {
		t.Errorf("removal: got %d users and %d policies, want 2 and 1", seen.Users, len(seen.Policies))
	}
	for table, want := range map[string]int{"clients": 1, "policies": 1, "users": 2} {
		if n := count(t, db, "SELECT count(*) FROM ?", bun.Ident(table)); n != want {
			t.Errorf("%s rows: got %d, want %d", table, n, want)
		}
	}
	if n := eventsOf(t, db, event.ClientDeleted) + eventsOf(t, db, event.PolicyDeleted); n != 0 {
		t.Errorf("deletion events: got %d, want 0", n)
	}
}

func TestClientStoreDeleteRemovesPoliciesAndRecordsEvents(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	_, acmeDefault := createClient(t, db, "acme", "Acme", base)
	createClient(t, db, "globex", "Globex", base)
	insertPolicy(t, db, "acme-extra", "acme", nil)
	seen, err := deleteClient(t, store, "acme")
	if err != nil {
		t.Fatalf("delete: got %v, want nil", err)
	}
	var ids []string
	for _, p := range seen.Policies {
		ids = append(ids, p.ExtID)
	}
	slices.Sort(ids)
	want := []string{"acme-extra", acmeDefault.ExtID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("policies seen: got %v, want %v", ids, want)
	}
	if _, err := store.Get(t.Context(), "acme"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("get after delete: got %v, want ErrNotFound", err)
	}
	for q, want := range map[string]int{
		"SELECT count(*) FROM policies WHERE client_ext_id = 'acme'":                           0,
		"SELECT count(*) FROM policies WHERE client_ext_id = 'globex'":                         1,
		"SELECT count(*) FROM clients":                                                         1,
		"SELECT count(*) FROM events WHERE type = 'client.deleted' AND client_ext_id = 'acme'": 1,
		"SELECT count(*) FROM events WHERE type = 'policy.deleted' AND client_ext_id = 'acme'": 2,
	} {
		if n := count(t, db, q); n != want {
			t.Errorf("%s: got %d, want %d", q, n, want)
		}
	}
	if _, err := deleteClient(t, store, "acme"); !errors.Is(err, directory.ErrNotFound) {
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
		clients, users := postgres.NewClientStore(db), postgres.NewUserStore(db)
		createClient(t, db, "acme", "Acme", base)
		errs := race(4, func(i int) error {
			if i == 0 {
				_, err := deleteClient(t, clients, "acme")
				return err
			}
			// Later rounds give the delete a head start, so that both outcomes occur.
			time.Sleep(time.Duration(round) * time.Millisecond)
			u, err := directory.NewUser(directory.User{ExtID: fmt.Sprint("u", i), ClientExtID: "acme", LoginID: fmt.Sprint("l", i)}, base)
			if err != nil {
				return err
			}
			return users.Create(t.Context(), u, userEvents(u))
		})
		nClients, nUsers := count(t, db, "SELECT count(*) FROM clients"), count(t, db, "SELECT count(*) FROM users")
		switch {
		case errs[0] == nil:
			for i, err := range errs[1:] {
				if !errors.Is(err, directory.ErrNotFound) {
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

func TestUserStoreUpdate(t *testing.T) {
	db := openDB(t)
	store := postgres.NewUserStore(db)
	createClient(t, db, "acme", "Acme", base)
	createClient(t, db, "globex", "Globex", base)
	createUser(t, db, "acme", "alice", "alice")
	createUser(t, db, "acme", "bob", "bob")
	createUser(t, db, "globex", "carol", "carol")
	later := base.Add(time.Hour)
	yes := true
	from := base.Add(-time.Hour).UTC().Truncate(time.Microsecond)
	ch := directory.UserChange{LoginID: directory.To("carol"), State: directory.To(directory.UserDisabled),
		Name:     directory.To(directory.Name{FirstName: "Alice", FamilyName: "A"}),
		Contacts: directory.To(directory.Contacts{Email: "alice@example.com", Mobile: "+41791234567"}),
		Address:  directory.To(directory.Address{City: "Zürich"}), Validity: directory.To(directory.Validity{From: &from}),
		IsTechnicalUser: directory.To(&yes), Properties: directory.To(map[string]string{"k": "v"})}
	if err := store.Update(t.Context(), "acme", "alice", userChange(v32(1), ch, later)); err != nil {
		t.Fatalf("update: got %v, want nil (loginId carol is taken in another client only)", err)
	}
	got, err := store.Get(t.Context(), "acme", "alice")
	if err != nil {
		t.Fatal(err)
	}
	want := directory.User{ExtID: "alice", ClientExtID: "acme", LoginID: "carol", State: directory.UserDisabled,
		Name: directory.Name{FirstName: "Alice", FamilyName: "A"}, Contacts: directory.Contacts{Email: "alice@example.com", Mobile: "+41791234567"},
		Address: directory.Address{City: "Zürich"}, Validity: directory.Validity{From: &from}, IsTechnicalUser: &yes,
		Properties: map[string]string{"k": "v"}, Created: stored(base), LastModified: stored(later), Version: 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored:\n got %+v\nwant %+v", got, want)
	}

	for _, tt := range []struct {
		name         string
		client, user string
		fn           func(*directory.User) ([]event.Event, error)
		wantErr      error
	}{
		{"unknown user", "acme", "nobody", userChange(nil, directory.UserChange{}, later), directory.ErrNotFound},
		{"under another client", "globex", "alice", userChange(nil, directory.UserChange{}, later), directory.ErrNotFound},
		{"stale version", "acme", "alice", userChange(v32(1), directory.UserChange{Remarks: directory.To("x")}, later), directory.ErrVersionConflict},
		{"loginId taken in the client", "acme", "alice", userChange(nil, directory.UserChange{LoginID: directory.To("bob")}, later), directory.ErrDuplicate},
		{"invalid", "acme", "alice", userChange(nil, directory.UserChange{Contacts: directory.To(directory.Contacts{Email: "x"})}, later), directory.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := store.Update(t.Context(), tt.client, tt.user, tt.fn); !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want an error wrapping %v", err, tt.wantErr)
			}
			after, err := store.Get(t.Context(), "acme", "alice")
			if err != nil || !reflect.DeepEqual(after, want) {
				t.Errorf("alice: got %+v (%v), want unchanged", after, err)
			}
			if n := eventsOf(t, db, event.UserChanged); n != 1 {
				t.Errorf("user.changed events: got %d, want 1", n)
			}
		})
	}
}

func TestUserStoreConcurrentUpdatesOneWins(t *testing.T) {
	db := openDB(t)
	store := postgres.NewUserStore(db)
	createClient(t, db, "acme", "Acme", base)
	createUser(t, db, "acme", "alice", "alice")
	errs := race(8, func(i int) error {
		return store.Update(t.Context(), "acme", "alice", userChange(v32(1), directory.UserChange{
			LoginID: directory.To(fmt.Sprint("alice-", i))}, base.Add(time.Minute)))
	})
	assertOneWins(t, errs)
	got, err := store.Get(t.Context(), "acme", "alice")
	if err != nil || got.Version != 2 {
		t.Errorf("alice: got version %d (%v), want 2", got.Version, err)
	}
	if n := eventsOf(t, db, event.UserChanged); n != 1 {
		t.Errorf("user.changed events: got %d, want 1", n)
	}
}

// deleteUser deletes a user the way the use case does, recording one event per card.
func deleteUser(t *testing.T, store *postgres.UserStore, client, user string) (appdirectory.UserRemoval, error) {
	t.Helper()
	var seen appdirectory.UserRemoval
	err := store.Delete(t.Context(), client, user, func(r appdirectory.UserRemoval) ([]event.Event, error) {
		seen = r
		var events []event.Event
		for _, c := range r.Cards {
			events = append(events, event.Event{Type: event.OTPCardDeleted, Time: base, Actor: admin, ClientExtID: client,
				UserExtID: user, CredentialExt: c.ExtID, PolicyExtID: c.PolicyExtID, Version: c.Version})
		}
		return append(events, changeEvent(event.UserDeleted, client, user, r.User.Version)), nil
	})
	return seen, err
}

func TestUserStoreDeleteRemovesCardsAndRecordsEvents(t *testing.T) {
	w := newCardWorld(t)
	store := postgres.NewUserStore(w.db)
	for i, key := range []struct {
		user string
		id   string
	}{{"alice", "a1"}, {"alice", "a2"}, {"bob", "b1"}} {
		k := w.alice
		if key.user == "bob" {
			k = w.bob
		}
		w.create(t, w.newCard(t, k, key.id, byte(i+1), base.Add(time.Duration(i)*time.Second)))
	}
	if _, err := deleteUser(t, store, "globex", "alice"); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("delete under another client: got %v, want ErrNotFound", err)
	}
	err := store.Delete(t.Context(), "acme", "alice", func(appdirectory.UserRemoval) ([]event.Event, error) { return nil, errRefused })
	if !errors.Is(err, errRefused) || count(t, w.db, "SELECT count(*) FROM otp_cards") != 3 {
		t.Fatalf("refused delete: got %v, want the callback's error and every card kept", err)
	}
	seen, err := deleteUser(t, store, "acme", "alice")
	if err != nil {
		t.Fatalf("delete: got %v, want nil", err)
	}
	if len(seen.Cards) != 2 || seen.Cards[0].ExtID != "a1" || seen.Cards[1].ExtID != "a2" ||
		seen.Cards[0].PolicyExtID != w.acme.ExtID || seen.Cards[0].Version != 1 || seen.Cards[0].State != credential.StateInitial {
		t.Errorf("cards seen: got %+v, want a1 and a2 at version 1, initial, under %s", seen.Cards, w.acme.ExtID)
	}
	if _, err := store.Get(t.Context(), "acme", "alice"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("get after delete: got %v, want ErrNotFound", err)
	}
	for q, want := range map[string]int{
		"SELECT count(*) FROM otp_cards WHERE user_ext_id = 'alice'":                                                0,
		"SELECT count(*) FROM otp_cards WHERE user_ext_id = 'bob'":                                                  1,
		"SELECT count(*) FROM users":                                                                                2,
		"SELECT count(*) FROM events WHERE type = 'otp-card.deleted' AND user_ext_id = 'alice'":                     2,
		"SELECT count(*) FROM events WHERE type = 'otp-card.deleted' AND credential_ext_id = 'a1'":                  1,
		"SELECT count(*) FROM events WHERE type = 'user.deleted' AND user_ext_id = 'alice'":                         1,
		"SELECT count(*) FROM events WHERE type IN ('otp-card.deleted', 'user.deleted') AND user_ext_id <> 'alice'": 0,
	} {
		if n := count(t, w.db, q); n != want {
			t.Errorf("%s: got %d, want %d", q, n, want)
		}
	}
	// The loginId is free again in the client.
	createUser(t, w.db, "acme", "alice-2", "alice")
}

func TestUserStoreListLoginIDFilter(t *testing.T) {
	db := openDB(t)
	store := postgres.NewUserStore(db)
	createClient(t, db, "acme", "Acme", base)
	createClient(t, db, "globex", "Globex", base)
	createClient(t, db, "empty", "Empty", base)
	createUser(t, db, "acme", "alice", "alice")
	createUser(t, db, "acme", "alice2", "Alice")
	createUser(t, db, "acme", "bob", "bob")
	createUser(t, db, "globex", "galice", "alice")
	list := func(client string, f appdirectory.UserFilter) ([]string, error) {
		res, err := store.List(t.Context(), client, f, listing.Page{Limit: 100})
		var ids []string
		for _, u := range res.Items {
			ids = append(ids, u.ExtID)
		}
		return ids, err
	}
	for _, tt := range []struct {
		client, loginID string
		want            []string
	}{
		{"acme", "", []string{"alice", "alice2", "bob"}},
		{"acme", "alice", []string{"alice"}},
		{"acme", "Alice", []string{"alice2"}},
		{"acme", "ali", nil},
		{"acme", "alice%", nil},
		{"globex", "alice", []string{"galice"}},
		{"globex", "bob", nil},
		{"empty", "", nil},
	} {
		got, err := list(tt.client, appdirectory.UserFilter{LoginID: tt.loginID})
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("client %s loginId %q: got %v (%v), want %v", tt.client, tt.loginID, got, err, tt.want)
		}
	}
	if _, err := list("nobody", appdirectory.UserFilter{}); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown client: got %v, want ErrNotFound", err)
	}
}

// TestUserStoreListPagesWithConcurrentInserts seeds 30 users and pages through them 7 at a time
// while another goroutine inserts 20 more, with creation times spread over the seeded ones (so
// that offset paging would show duplicates and skip seeded users). Every seeded user must appear
// exactly once, nothing twice, in strictly increasing (created, extId) order.
func TestUserStoreListPagesWithConcurrentInserts(t *testing.T) {
	db := openDB(t)
	store := postgres.NewUserStore(db)
	createClient(t, db, "acme", "Acme", base)
	const seeded, added, limit = 30, 20, 7
	var want []string
	for i := range seeded {
		id := fmt.Sprintf("seed-%02d", i)
		u, err := directory.NewUser(directory.User{ExtID: id, ClientExtID: "acme", LoginID: id}, base.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Create(t.Context(), u, userEvents(u)); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}

	// The inserter runs on its own, pausing briefly between inserts; the walker waits after each
	// page until four more users went in, so that inserts land between every two pages.
	var inserted atomic.Int32
	insertErr := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		for n := range added {
			// Spread over the seeded range, at sub-second offsets, so that some land before the
			// walker's cursor and some after it.
			at := base.Add(time.Duration(rng.Int64N(int64(seeded) * int64(time.Second))))
			id := fmt.Sprintf("new-%02d", n)
			u, err := directory.NewUser(directory.User{ExtID: id, ClientExtID: "acme", LoginID: id}, at)
			if err == nil {
				err = store.Create(t.Context(), u, userEvents(u))
			}
			if err != nil {
				insertErr <- err
				return
			}
			inserted.Add(1)
			time.Sleep(time.Millisecond)
		}
		insertErr <- nil
	}()
	waitInserted := func(n int32) {
		for deadline := time.Now().Add(10 * time.Second); inserted.Load() < min(n, added) && time.Now().Before(deadline); {
			time.Sleep(100 * time.Microsecond)
		}
	}

	var (
		seen  = map[string]int{}
		order []listing.Cursor
		page  = listing.Page{Limit: limit}
		pages int
	)
	for {
		res, err := store.List(t.Context(), "acme", appdirectory.UserFilter{}, page)
		if err != nil {
			t.Fatalf("page %d: got %v, want nil", pages, err)
		}
		pages++
		if len(res.Items) > limit {
			t.Fatalf("page %d: got %d items, want at most %d", pages, len(res.Items), limit)
		}
		for _, u := range res.Items {
			seen[u.ExtID]++
			order = append(order, listing.Cursor{Created: u.Created, ExtID: u.ExtID})
		}
		waitInserted(int32(4 * pages))
		if res.Next == nil {
			break
		}
		page.After = res.Next
		if pages > 100 {
			t.Fatal("pagination: got more than 100 pages, want an end")
		}
	}
	if err := <-insertErr; err != nil {
		t.Fatalf("concurrent insert: %v", err)
	}
	if n := count(t, db, "SELECT count(*) FROM users"); n != seeded+added {
		t.Errorf("users after the walk: got %d, want %d (the inserts ran meanwhile)", n, seeded+added)
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("seeded user %s: seen %d times, want exactly once", id, seen[id])
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s: seen %d times, want at most once", id, n)
		}
	}
	for i := 1; i < len(order); i++ {
		a, b := order[i-1], order[i]
		if c := a.Created.Compare(b.Created); c > 0 || c == 0 && a.ExtID >= b.ExtID {
			t.Errorf("order: %v then %v, want strictly increasing (created, extId)", a, b)
		}
	}
	newSeen := 0
	for id := range seen {
		if strings.HasPrefix(id, "new-") {
			newSeen++
		}
	}
	t.Logf("%d pages; %d of the %d users added during the walk were listed (those created after the cursor)", pages, newSeen, added)
	if pages < 5 {
		t.Errorf("pages: got %d, want at least 5 for %d seeded users at %d a page", pages, seeded, limit)
	}
}
