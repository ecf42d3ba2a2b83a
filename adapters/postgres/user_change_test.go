package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

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
		fn           func(context.Context, *directory.User) ([]event.Event, error)
		wantErr      error
	}{
		{"unknown user", "acme", "nobody", userChange(nil, directory.UserChange{}, later), fault.ErrNotFound},
		{"under another client", "globex", "alice", userChange(nil, directory.UserChange{}, later), fault.ErrNotFound},
		{"stale version", "acme", "alice", userChange(v32(1), directory.UserChange{Remarks: directory.To("x")}, later), fault.ErrVersionConflict},
		{"loginId taken in the client", "acme", "alice", userChange(nil, directory.UserChange{LoginID: directory.To("bob")}, later), fault.ErrDuplicate},
		{"invalid", "acme", "alice", userChange(nil, directory.UserChange{Contacts: directory.To(directory.Contacts{Email: "x"})}, later), fault.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := store.Update(t.Context(), tt.client, tt.user, tt.fn); !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want an error wrapping %v", err, tt.wantErr)
			}
			after, err := store.Get(t.Context(), "acme", "alice")
			if err != nil || !reflect.DeepEqual(after, want) {
				t.Errorf("alice: got %+v (%v), want unchanged", after, err)
			}
			if n := eventsOf(t, db, directory.UserChanged); n != 1 {
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
	if n := eventsOf(t, db, directory.UserChanged); n != 1 {
		t.Errorf("user.changed events: got %d, want 1", n)
	}
}

// deleteUser deletes a user the way the use case does: the seam deletes its cards and records one
// event per card, in the user's transaction. It returns the user as Delete handed it over.
func deleteUser(t *testing.T, db *bun.DB, client, user string) (directory.User, error) {
	t.Helper()
	var seen directory.User
	err := postgres.NewUserStore(db).Delete(t.Context(), client, user, func(ctx context.Context, u directory.User) ([]event.Event, error) {
		seen = u
		if err := seamOf(db).UserDeleting(ctx, u, meta); err != nil {
			return nil, err
		}
		return []event.Event{changeEvent(directory.UserDeleted, client, user, u.Version)}, nil
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
	if _, err := deleteUser(t, w.db, "globex", "alice"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("delete under another client: got %v, want ErrNotFound", err)
	}
	err := store.Delete(t.Context(), "acme", "alice", func(ctx context.Context, u directory.User) ([]event.Event, error) {
		if err := seamOf(w.db).UserDeleting(ctx, u, meta); err != nil { // deletes the cards, then is rolled back
			return nil, err
		}
		return nil, errRefused
	})
	if !errors.Is(err, errRefused) || count(t, w.db, "SELECT count(*) FROM otp_cards") != 3 ||
		count(t, w.db, "SELECT count(*) FROM holders") != 3 {
		t.Fatalf("refused delete: got %v, want the callback's error and every card and holder kept", err)
	}
	seen, err := deleteUser(t, w.db, "acme", "alice")
	if err != nil {
		t.Fatalf("delete: got %v, want nil", err)
	}
	if seen.ExtID != "alice" || seen.Version != 1 {
		t.Errorf("user seen: got %+v, want alice at version 1", seen)
	}
	if _, err := store.Get(t.Context(), "acme", "alice"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("get after delete: got %v, want ErrNotFound", err)
	}
	assertCounts(t, w.db, map[string]int{
		"SELECT count(*) FROM otp_cards WHERE user_ext_id = 'alice'":                                                0,
		"SELECT count(*) FROM otp_cards WHERE user_ext_id = 'bob'":                                                  1,
		"SELECT count(*) FROM users":                                                                                2,
		"SELECT count(*) FROM holders WHERE ext_id = 'alice'":                                                       0,
		"SELECT count(*) FROM events WHERE type = 'otp-card.deleted' AND user_ext_id = 'alice'":                     2,
		"SELECT count(*) FROM events WHERE type = 'otp-card.deleted' AND credential_ext_id = 'a1'":                  1,
		"SELECT count(*) FROM events WHERE type = 'user.deleted' AND user_ext_id = 'alice'":                         1,
		"SELECT count(*) FROM events WHERE type IN ('otp-card.deleted', 'user.deleted') AND user_ext_id <> 'alice'": 0,
	})
	// The loginId is free again in the client.
	createUser(t, w.db, "acme", "alice-2", "alice")
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
		if err := store.Create(t.Context(), u, userEvents(u), noWithin); err != nil {
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
				err = store.Create(t.Context(), u, userEvents(u), noWithin)
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
