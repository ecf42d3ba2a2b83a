package postgres_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appnotify "github.com/otpcard/otpcard/application/notify"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
	"github.com/otpcard/otpcard/domain/printing"
)

// TestMigrateModuleTablesKeepsExistingCards: a database written before the modules kept to their
// own tables (migrations up to 0004) has users with cards; 0005 gives every user its holder row,
// so that its cards still answer challenges and a disabled user is still refused; 0006 gives every
// card a serial number of its own, 0007 keeps an outstanding challenge as a list of its cell, and
// 0009 marks the cards close to expiry or expired as announced.
func TestMigrateModuleTablesKeepsExistingCards(t *testing.T) {
	db := migratedBefore(t, "0005")
	ctx := t.Context()
	// The data of the old layout, written as the old stores did.
	for _, q := range []string{
		`INSERT INTO clients (ext_id, name, created, last_modified, version) VALUES ('acme', 'Acme', now(), now(), 1)`,
		`INSERT INTO policies (ext_id, client_ext_id, name, policy_type, default_policy, parameters, created, last_modified, version)
			VALUES ('p', 'acme', 'Default', 'OTPCardPolicy', true, '{}', now(), now(), 1)`,
		`INSERT INTO users (ext_id, client_ext_id, login_id, user_state, created, last_modified, version)
			VALUES ('alice', 'acme', 'alice', 'active', now(), now(), 1), ('bob', 'acme', 'bob', 'disabled', now(), now(), 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	cards := postgres.NewCardStore(db)
	// Each user's card runs out tomorrow, within the default threshold of 10 days; alice also holds
	// a card that expired yesterday, bob one that runs for a year.
	for card, c := range map[string]struct{ user, validFor string }{
		"alice-card": {"alice", "1 day"}, "bob-card": {"bob", "1 day"},
		"alice-old": {"alice", "-1 day"}, "bob-new": {"bob", "1 year"},
	} {
		_, err := db.ExecContext(ctx, `INSERT INTO otp_cards (ext_id, client_ext_id, user_ext_id, policy_ext_id, state,
			valid_from, valid_to, grid_rows, grid_cols, cell_length, cell_charset, coordinate_format, verifier_scheme,
			salt, verifiers, uses, created, last_modified, version)
			VALUES (?, 'acme', ?, 'p', 'initial', now() - interval '2 years', now() + ?::interval, 1, 1, 4, 'crockford32', false, 'x',
			decode('00112233445566778899aabbccddeeff', 'hex'), decode('00112233445566778899aabbccddeeff', 'hex'),
			decode('00', 'hex'), now(), now(), 1)`,
			card, c.user, c.validFor)
		if err != nil {
			t.Fatalf("card %s in the old layout: %v", card, err)
		}
	}

	// Alice's card has a challenge outstanding, of one cell as challenges were.
	if _, err := db.ExecContext(ctx, `UPDATE otp_cards SET challenge = 0 WHERE ext_id = 'alice-card'`); err != nil {
		t.Fatal(err)
	}

	applied, err := postgres.Migrate(ctx, db)
	if err != nil || len(applied) == 0 || applied[0] != "0005_module_tables.sql" {
		t.Fatalf("migrate: got %v, %v; want 0005_module_tables.sql and what follows applied", applied, err)
	}
	for user, want := range map[string]credential.Holder{"alice": credential.HolderActive, "bob": credential.HolderDisabled} {
		var holder credential.Holder = -1
		err := cards.UpdateUserCard(ctx, "acme", user, func(u appcredential.UserCards) (appcredential.CardsChange, error) {
			if len(u.Cards) != 2 {
				t.Errorf("%s: got %d cards, want 2", user, len(u.Cards))
			}
			holder = u.Holder
			return appcredential.CardsChange{}, nil
		})
		if err != nil || holder != want {
			t.Errorf("%s after the migration: got holder %v, %v; want %v", user, holder, err, want)
		}
	}
	// 0009: the cards that were close to expiry or expired before the lifecycle job existed count
	// as announced (API.md 10.2), so that its first run does not tell old news.
	for card, want := range map[string][2]bool{"alice-card": {true, false}, "bob-card": {true, false},
		"alice-old": {true, true}, "bob-new": {false, false}} {
		user, _, _ := strings.Cut(card, "-")
		c, err := cards.Get(ctx, appcredential.CardKey{ClientExtID: "acme", UserExtID: user, ExtID: card})
		if err != nil {
			t.Fatal(err)
		}
		if closeToExpiry, expiry := c.Announced(); closeToExpiry != want[0] || expiry != want[1] {
			t.Errorf("%s after 0009: announced close %v, expired %v; want %v, %v", card, closeToExpiry, expiry, want[0], want[1])
		}
	}
	serials := map[credential.Serial]string{}
	for _, user := range []string{"alice", "bob"} {
		card, err := cards.Get(ctx, appcredential.CardKey{ClientExtID: "acme", UserExtID: user, ExtID: user + "-card"})
		if err != nil {
			t.Fatalf("card of %s after the migration: %v", user, err)
		}
		if parsed, err := credential.ParseSerial(card.Serial().String()); err != nil || parsed != card.Serial() {
			t.Errorf("serial of %s's card: got %q (%v), want a printed serial number", user, card.Serial(), err)
		}
		if other, taken := serials[card.Serial()]; taken {
			t.Errorf("serial %s given to the cards of %s and %s", card.Serial(), other, user)
		}
		serials[card.Serial()] = user
		if want := map[string][]int{"alice": {0}}[user]; !slices.Equal(card.Snapshot().Challenge, want) {
			t.Errorf("outstanding challenge of %s's card after 0007: got %v, want %v", user, card.Snapshot().Challenge, want)
		}
	}
}

// TestMigrateNotifyCopiesTheUsers: 0010 gives the notify module a copy of every user's address,
// language and name, as the directory stored them.
func TestMigrateNotifyCopiesTheUsers(t *testing.T) {
	db := migratedBefore(t, "0010")
	ctx := t.Context()
	// The client as the schema of that time holds it; the users through the store, which writes
	// their profiles.
	if _, err := db.ExecContext(ctx, `INSERT INTO clients (ext_id, name, created, last_modified, version) VALUES ('acme', 'Acme', now(), now(), 1)`); err != nil {
		t.Fatal(err)
	}
	u, err := directory.NewUser(directory.User{ExtID: "anna", ClientExtID: "acme", LoginID: "anna",
		Name: directory.Name{FirstName: "Anna", FamilyName: "Muster"}, Contacts: directory.Contacts{Email: "anna@example.com"},
		LanguageCode: "de"}, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.NewUserStore(db).Create(ctx, u, userEvents(u), func(ctx context.Context) error {
		return seamOf(db).UserSaved(ctx, u)
	}); err != nil {
		t.Fatal(err)
	}
	createUser(t, db, "acme", "ben", "ben")
	if applied, err := postgres.Migrate(ctx, db); err != nil || len(applied) == 0 || applied[0] != "0010_notify.sql" {
		t.Fatalf("migrate: got %v, %v; want 0010_notify.sql applied", applied, err)
	}
	store := postgres.NewNotifyStore(db)
	for user, want := range map[string]appnotify.Recipient{
		"anna": {ClientExtID: "acme", UserExtID: "anna", Email: "anna@example.com", LanguageCode: "de", FirstName: "Anna", FamilyName: "Muster"},
		"ben":  {ClientExtID: "acme", UserExtID: "ben"},
	} {
		got, found, err := store.Recipient(ctx, "acme", user)
		if err != nil || !found || got != want {
			t.Errorf("%s after 0010: got %+v (found %v), %v; want %+v", user, got, found, err, want)
		}
	}
}

// migratedBefore opens a fresh database with the migrations before the one named first applied,
// as the migrator would have applied them.
func migratedBefore(t *testing.T, first string) *bun.DB {
	t.Helper()
	db := openURL(t, pgtest.URL(t), false)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, name := range migrationNames(t) {
		if name >= first {
			break
		}
		body, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO schema_migrations (name) VALUES (?)", name); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// TestMigratePrintingCopiesClientsAndUsers: 0012 gives the printing module a copy of every
// client's names and print settings and every user's name, postal address and language, as the
// directory stored them.
func TestMigratePrintingCopiesClientsAndUsers(t *testing.T) {
	db := migratedBefore(t, "0012")
	ctx := t.Context()
	_, err := db.ExecContext(ctx, `INSERT INTO clients (ext_id, name, display_name, print_settings, created, last_modified, version)
		VALUES ('acme', 'Acme', '{"DE": "Akme"}', '{"recipients": ["age1shop"], "helpdeskContact": {"EN": "+41 1"}, "inPersonHandover": true}', now(), now(), 1),
		       ('bare', 'Bare', '{}', '{}', now(), now(), 1)`)
	if err != nil {
		t.Fatal(err)
	}
	u, err := directory.NewUser(directory.User{ExtID: "anna", ClientExtID: "acme", LoginID: "anna", LanguageCode: "de",
		Name:    directory.Name{Title: "Dr.", FirstName: "Anna", FamilyName: "Muster"},
		Address: directory.Address{Street: "Bahnhofstrasse", HouseNumber: "1", PostalCode: "8001", City: "Zürich", CountryCode: "CH", PostOfficeBoxText: "Postfach", PostOfficeBoxNumber: "12"}}, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := postgres.NewUserStore(db).Create(ctx, u, userEvents(u), func(ctx context.Context) error {
		return seamOf(db).UserSaved(ctx, u)
	}); err != nil {
		t.Fatal(err)
	}
	if applied, err := postgres.Migrate(ctx, db); err != nil || len(applied) == 0 || applied[0] != "0012_printing.sql" {
		t.Fatalf("migrate: got %v, %v; want 0012_printing.sql applied", applied, err)
	}
	store := postgres.NewPrintStore(db)
	acme, err := store.Sender(ctx, "acme")
	if err != nil || acme.Name != "Acme" || acme.DisplayName["DE"] != "Akme" || len(acme.Recipients) != 1 || acme.Recipients[0] != "age1shop" ||
		acme.HelpdeskContact["EN"] != "+41 1" || !acme.InPersonHandover {
		t.Errorf("acme after 0012: %+v, %v", acme, err)
	}
	if bare, err := store.Sender(ctx, "bare"); err != nil || len(bare.Recipients) != 0 || bare.InPersonHandover {
		t.Errorf("bare after 0012: %+v, %v", bare, err)
	}
	got, err := store.Addressees(ctx, "acme", []string{"anna"})
	want := printing.Addressee{ClientExtID: "acme", UserExtID: "anna", LanguageCode: "de", Title: "Dr.", FirstName: "Anna",
		FamilyName: "Muster", Street: "Bahnhofstrasse", HouseNumber: "1", PostOfficeBox: "Postfach 12", PostalCode: "8001",
		City: "Zürich", CountryCode: "CH"}
	if err != nil || got["anna"] != want {
		t.Errorf("anna after 0012: %+v, %v; want %+v", got["anna"], err, want)
	}
}
