package postgres_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/credential"
)

// TestMigrateModuleTablesKeepsExistingCards: a database written before the modules kept to their
// own tables (migrations up to 0004) has users with cards; 0005 gives every user its holder row,
// so that its cards still answer challenges and a disabled user is still refused; 0006 gives every
// card a serial number of its own, and 0007 keeps an outstanding challenge as a list of its cell.
func TestMigrateModuleTablesKeepsExistingCards(t *testing.T) {
	db := openURL(t, pgtest.URL(t), false)
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		t.Fatal(err)
	}
	for _, name := range migrationNames(t) {
		if name >= "0005" {
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
	for _, user := range []string{"alice", "bob"} {
		_, err := db.ExecContext(ctx, `INSERT INTO otp_cards (ext_id, client_ext_id, user_ext_id, policy_ext_id, state,
			valid_from, valid_to, grid_rows, grid_cols, cell_length, cell_charset, coordinate_format, verifier_scheme,
			salt, verifiers, uses, created, last_modified, version)
			VALUES (?, 'acme', ?, 'p', 'initial', now(), now() + interval '1 day', 1, 1, 4, 'crockford32', false, 'x',
			decode('00112233445566778899aabbccddeeff', 'hex'), decode('00112233445566778899aabbccddeeff', 'hex'),
			decode('00', 'hex'), now(), now(), 1)`,
			user+"-card", user)
		if err != nil {
			t.Fatalf("card of %s in the old layout: %v", user, err)
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
			if len(u.Cards) != 1 {
				t.Errorf("%s: got %d cards, want 1", user, len(u.Cards))
			}
			holder = u.Holder
			return appcredential.CardsChange{}, nil
		})
		if err != nil || holder != want {
			t.Errorf("%s after the migration: got holder %v, %v; want %v", user, holder, err, want)
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
