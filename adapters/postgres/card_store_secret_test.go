package postgres_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// dumpDatabase renders every row of every table of the public schema as text, one table after
// another: whatever the stores wrote is somewhere in it.
func dumpDatabase(t *testing.T, db *bun.DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range publicTables(t, db) {
		var rows []string
		if err := db.NewRaw("SELECT t::text FROM ? AS t", bun.Ident(table)).Scan(t.Context(), &rows); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		b.WriteString(table + ":\n" + strings.Join(rows, "\n") + "\n")
	}
	return b.String()
}

// clearCells are the cells of the test card. They use letters outside hexadecimal, so they can
// only turn up in the dump if a cell was written, not by chance inside a bytea's hex rendering.
var clearCells = []string{"7QX2", "K9PM", "ZRTW", "N4HV", "Y8JS", "W3GT"}

// TestCardStoreWritesNoClearCell saves a card whose verifiers are digests of known cells and scans
// the whole database for those cells, in clear and hex-encoded: the store writes only what it is
// given. That the real verifiers hide the cells is checked end to end elsewhere.
func TestCardStoreWritesNoClearCell(t *testing.T) {
	w := newCardWorld(t)
	verifiers := make([][]byte, len(clearCells))
	for i, cell := range clearCells {
		sum := sha256.Sum256([]byte("pepper|" + cell))
		verifiers[i] = sum[:16]
	}
	grid, err := credential.NewGrid(smallLayout, credential.Secret{Scheme: "test-sha256",
		Salt: []byte("sixteen byte slt"), Verifiers: verifiers})
	if err != nil {
		t.Fatal(err)
	}
	card, err := credential.NewOTPCard(credential.NewCard{ExtID: "scanned", ClientExtID: "acme",
		UserExtID: "alice", PolicyExtID: w.acme.ExtID, Lifetime: 24 * time.Hour}, grid, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cards.Create(t.Context(), card, []event.Event{cardEvent(credential.CardCreated, card)}, admitUpTo(2)); err != nil {
		t.Fatalf("create: got %v, want nil", err)
	}
	// Replace once, so that an update path is covered too.
	err = w.cards.Update(t.Context(), keyOf(card), func(c *credential.OTPCard) ([]event.Event, error) {
		if _, err := c.Replace(grid, "same verifiers, new version", time.Hour, base.Add(time.Hour)); err != nil {
			return nil, err
		}
		return []event.Event{cardEvent(credential.CardReplaced, c)}, nil
	})
	if err != nil {
		t.Fatalf("update: got %v, want nil", err)
	}

	dump := strings.ToLower(dumpDatabase(t, w.db))
	// The scan must see the card: its extId and its verifiers (bytea renders as hex).
	for _, present := range []string{"scanned", hex.EncodeToString(verifiers[0]), hex.EncodeToString(verifiers[5])} {
		if !strings.Contains(dump, present) {
			t.Fatalf("dump: got no %q, want the card's row in it", present)
		}
	}
	for _, cell := range clearCells {
		for _, needle := range []string{cell, hex.EncodeToString([]byte(cell))} {
			if strings.Contains(dump, strings.ToLower(needle)) {
				t.Errorf("dump: got %q (cell %s) in the database, want no cell stored", needle, cell)
			}
		}
	}
}
