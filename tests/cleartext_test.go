package tests

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/tests/client"
)

// TestNoCellValueInDatabase creates and replaces cards, then searches every row of every table
// for each cell value the API returned: none may be stored anywhere.
func TestNoCellValueInDatabase(t *testing.T) {
	t.Parallel()
	s := startService(t)
	db := s.sql(t)
	api := s.root(t)
	var returned []string
	for _, prefix := range []string{"scan-a", "scan-b"} {
		f := s.newFixture(t, prefix)
		returned = append(returned, f.cells...)
		for range 2 {
			returned = append(returned, cellsOf(t, api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}).Want(t, http.StatusOK).OTP)...)
		}
	}
	tables := publicTables(t, db)
	if len(tables) < 5 {
		t.Fatalf("got tables %v, want the schema's tables", tables)
	}
	// Text columns: every row as JSON without its binary columns; every string in it (nested
	// JSON included) split into tokens, so a cell stored anywhere as a value of its own shows as a
	// token. Numbers (ids, transaction ids, versions, counters) and timestamps are not text a cell
	// could hide in, and a 4-digit cell would match one of them by chance (a year, an event id).
	var text strings.Builder
	tokens := map[string]bool{}
	for _, table := range tables {
		rows, err := db.Query(`SELECT (to_jsonb(t) - ARRAY['salt', 'verifiers', 'uses'])::text FROM "` + table + `" t`)
		if err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			text.WriteString(strings.ToUpper(line))
			text.WriteByte('\n')
			var row any
			if err := json.Unmarshal([]byte(line), &row); err != nil {
				t.Fatalf("row of %s: %v", table, err)
			}
			addTextTokens(tokens, row)
		}
		rows.Close()
	}
	// Binary columns, raw and as hex.
	var binary strings.Builder
	brows, err := db.Query(`SELECT salt || verifiers || uses FROM otp_cards`)
	if err != nil {
		t.Fatal(err)
	}
	for brows.Next() {
		var blob []byte
		if err := brows.Scan(&blob); err != nil {
			t.Fatal(err)
		}
		binary.Write(blob)
		binary.WriteString(strings.ToUpper(hex.EncodeToString(blob)))
	}
	brows.Close()
	if len(returned) != 6*168 {
		t.Fatalf("got %d returned cells, want %d", len(returned), 6*168)
	}
	everything := text.String() + binary.String()
	for i, cell := range returned {
		if tokens[cell] {
			t.Errorf("cell value %q stored in a text column", cell)
		}
		// Two neighbouring cells (8 characters) cannot appear by chance in a few kilobytes.
		if i%168 != 167 {
			if pair := cell + returned[i+1]; strings.Contains(everything, pair) {
				t.Errorf("cells %q stored in the database", pair)
			}
		}
	}
}

// addTextTokens adds the alphanumeric tokens of every string in v (decoded JSON) that is not a
// timestamp, upper-cased.
func addTextTokens(tokens map[string]bool, v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			addTextTokens(tokens, e)
		}
	case []any:
		for _, e := range v {
			addTextTokens(tokens, e)
		}
	case string:
		if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return
		}
		for _, tok := range strings.FieldsFunc(strings.ToUpper(v), func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z')
		}) {
			tokens[tok] = true
		}
	}
}

// publicTables lists the tables of the service's schema.
func publicTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	return tables
}
