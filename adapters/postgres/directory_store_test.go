package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	appcredential "github.com/otpcard/otpcard/application/credential"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

var admin = event.Actor{Subject: "root", Mode: "admin"}

// seamOf is the credential module's side of the directory's seam on db, as bootstrap wires it.
func seamOf(db *bun.DB) *appcredential.DirectorySeam {
	return appcredential.NewDirectorySeam(postgres.NewPolicyStore(db), postgres.NewCardStore(db), func() time.Time { return base })
}

var meta = event.Meta{Actor: admin, RequestID: "req-1"}

// createClient saves a client created at now with its event, and, through the seam, its
// default policy, which it returns.
func createClient(t testing.TB, db *bun.DB, extID, name string, now time.Time) (directory.Client, credential.Policy) {
	t.Helper()
	c, err := directory.NewClient(directory.Client{ExtID: extID, Name: name}, now)
	if err != nil {
		t.Fatalf("new client %s: %v", extID, err)
	}
	err = postgres.NewClientStore(db).Create(t.Context(), c, clientEvents(c), func(ctx context.Context) error {
		return seamOf(db).ClientCreated(ctx, c, meta)
	})
	if err != nil {
		t.Fatalf("create client %s: got %v, want nil", extID, err)
	}
	var row struct {
		ExtID string `bun:"ext_id"`
	}
	if err := db.NewSelect().Table("policies").Column("ext_id").Where("client_ext_id = ?", extID).Where("default_policy").Scan(t.Context(), &row); err != nil {
		t.Fatalf("default policy of %s: %v", extID, err)
	}
	p, err := postgres.NewPolicyStore(db).Get(t.Context(), extID, row.ExtID)
	if err != nil {
		t.Fatalf("default policy of %s: %v", extID, err)
	}
	return c, p
}

func clientEvents(c directory.Client) []event.Event {
	return []event.Event{
		{Type: directory.ClientCreated, Time: c.Created, Actor: admin, ClientExtID: c.ExtID, Version: 1, RequestID: "req-1"},
	}
}

// noWithin is a store change with nothing else in its transaction.
func noWithin(context.Context) error { return nil }

// createUser saves a user of that client with one event, and, through the seam, its holder.
func createUser(t testing.TB, db *bun.DB, clientExtID, extID, loginID string) directory.User {
	t.Helper()
	u, err := directory.NewUser(directory.User{ExtID: extID, ClientExtID: clientExtID, LoginID: loginID}, base)
	if err != nil {
		t.Fatalf("new user %s: %v", extID, err)
	}
	err = postgres.NewUserStore(db).Create(t.Context(), u, userEvents(u), func(ctx context.Context) error {
		return seamOf(db).UserSaved(ctx, u)
	})
	if err != nil {
		t.Fatalf("create user %s: got %v, want nil", extID, err)
	}
	return u
}

func userEvents(u directory.User) []event.Event {
	return []event.Event{{Type: directory.UserCreated, Time: u.Created, Actor: admin,
		ClientExtID: u.ClientExtID, UserExtID: u.ExtID, Version: 1}}
}

// TestClientStoreCreateWritesClientAndEventsAndRunsWithin: the client, its event, and what the
// seam adds in the same transaction (its default policy and policy.created).
func TestClientStoreCreateWritesClientAndEventsAndRunsWithin(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	c, err := directory.NewClient(directory.Client{ExtID: "acme", Name: "Acme",
		DisplayName: map[string]string{"EN": "Acme", "DE": "Acme AG"}, Remarks: "first tenant"}, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Create(t.Context(), c, clientEvents(c), func(ctx context.Context) error {
		return seamOf(db).ClientCreated(ctx, c, meta)
	}); err != nil {
		t.Fatalf("create: got %v, want nil", err)
	}

	got, err := store.Get(t.Context(), "acme")
	if err != nil {
		t.Fatalf("get: got %v, want nil", err)
	}
	if got.ExtID != c.ExtID || got.Name != c.Name || got.Remarks != c.Remarks || got.Version != 1 {
		t.Errorf("client: got %+v, want %+v", got, c)
	}
	if !maps.Equal(got.DisplayName, c.DisplayName) {
		t.Errorf("displayName: got %v, want %v", got.DisplayName, c.DisplayName)
	}
	assertTime(t, "created", got.Created, base)
	assertTime(t, "lastModified", got.LastModified, base)

	if n := count(t, db, "SELECT count(*) FROM policies WHERE client_ext_id = ? AND default_policy", c.ExtID); n != 1 {
		t.Errorf("default policy rows: got %d, want 1 (the seam's, in the same transaction)", n)
	}
	var types []string
	if err := db.NewRaw("SELECT type FROM events WHERE client_ext_id = ? AND actor_subject = 'root' AND request_id = 'req-1' ORDER BY id",
		c.ExtID).Scan(t.Context(), &types); err != nil {
		t.Fatal(err)
	}
	if want := []string{"client.created", "policy.created"}; !slices.Equal(types, want) {
		t.Errorf("event types: got %v, want %v", types, want)
	}
}

func TestClientStoreCreateDuplicateWritesNothing(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	createClient(t, db, "acme", "Acme", base)
	refused := errors.New("the seam refuses")

	tests := []struct {
		name           string
		extID, cname   string
		within         func(ctx context.Context) error
		wantErr        error
		wantClientsFor string // the extId that must not exist afterwards, if any
	}{
		{name: "same extId", extID: "acme", cname: "Other", within: noWithin, wantErr: fault.ErrDuplicate},
		{name: "same name", extID: "other", cname: "Acme", within: noWithin, wantErr: fault.ErrDuplicate, wantClientsFor: "other"},
		{name: "within fails", extID: "third", cname: "Third", wantErr: refused, wantClientsFor: "third",
			within: func(ctx context.Context) error {
				// The seam wrote its policy in the transaction before it failed: rolled back too.
				if err := seamOf(db).ClientCreated(ctx, directory.Client{ExtID: "third", Created: base}, meta); err != nil {
					return err
				}
				return refused
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := directory.NewClient(directory.Client{ExtID: tt.extID, Name: tt.cname}, base)
			if err != nil {
				t.Fatal(err)
			}
			err = store.Create(t.Context(), c, clientEvents(c), tt.within)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("create: got %v, want %v", err, tt.wantErr)
			}
			assertCounts(t, db, map[string]int{
				"SELECT count(*) FROM clients":  1,
				"SELECT count(*) FROM policies": 1,
				"SELECT count(*) FROM events":   2, // those of the first client
			})
			if tt.wantClientsFor != "" {
				if _, err := store.Get(t.Context(), tt.wantClientsFor); !errors.Is(err, fault.ErrNotFound) {
					t.Errorf("get %s: got %v, want ErrNotFound", tt.wantClientsFor, err)
				}
			}
		})
	}
}

// TestClientStoreListPages creates 25 clients, three at a time sharing a creation time and
// inserted in random order, and pages through them.
func TestClientStoreListPages(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	order := rand.Perm(25)
	for _, i := range order {
		createClient(t, db, fmt.Sprintf("client-%02d", 24-i), fmt.Sprintf("Client %d", i), base.Add(time.Duration(i/3)*time.Second))
	}
	// Ordered by (created, extId): within a group of equal creation times, extIds ascend.
	var want []string
	for g := 0; g <= 24/3; g++ {
		var group []string
		for i := g * 3; i < min(g*3+3, 25); i++ {
			group = append(group, fmt.Sprintf("client-%02d", 24-i))
		}
		slices.Sort(group)
		want = append(want, group...)
	}

	for _, limit := range []int{7, 5, 25, 100} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			got := listAllClients(t, store, nil, limit, (25+limit-1)/limit)
			if !slices.Equal(got, want) {
				t.Errorf("pages: got %v, want %v", got, want)
			}
		})
	}
}

// listAllClients follows the cursors and checks each page holds limit items except the last,
// and that there are wantPages pages.
func listAllClients(t *testing.T, store *postgres.ClientStore, only []string, limit, wantPages int) []string {
	t.Helper()
	var ids []string
	page := listing.Page{Limit: limit}
	for pages := 1; ; pages++ {
		if pages > wantPages {
			t.Fatalf("pages: got more than %d, want %d", wantPages, wantPages)
		}
		res, err := store.List(t.Context(), only, page)
		if err != nil {
			t.Fatalf("list page %d: got %v, want nil", pages, err)
		}
		for _, c := range res.Items {
			ids = append(ids, c.ExtID)
		}
		if res.Next == nil {
			if pages != wantPages {
				t.Errorf("pages: got %d, want %d", pages, wantPages)
			}
			return ids
		}
		if len(res.Items) != limit {
			t.Errorf("page %d with a next cursor: got %d items, want %d", pages, len(res.Items), limit)
		}
		page.After = res.Next
	}
}

// TestClientStoreConcurrentSameName: eight instances create a client of the same name at once;
// the unique constraint lets one win and the others get ErrDuplicate, with no orphan rows.
func TestClientStoreConcurrentSameName(t *testing.T) {
	db := openDB(t)
	store := postgres.NewClientStore(db)
	clients := make([]directory.Client, 8)
	for i := range clients {
		c, err := directory.NewClient(directory.Client{ExtID: fmt.Sprintf("racer-%d", i), Name: "Same"}, base)
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}
	errs := race(len(clients), func(i int) error {
		return store.Create(t.Context(), clients[i], clientEvents(clients[i]), func(ctx context.Context) error {
			return seamOf(db).ClientCreated(ctx, clients[i], meta)
		})
	})
	assertOutcomes(t, errs, 1, "ErrDuplicate", wrapping(fault.ErrDuplicate))
	assertCounts(t, db, map[string]int{
		"SELECT count(*) FROM clients":  1,
		"SELECT count(*) FROM policies": 1,
		"SELECT count(*) FROM events":   2,
	})
}
