package tests

import (
	"strconv"
	"strings"
	"testing"
)

// The checks that read the service's database directly, where no API answers: the events table and
// the rows a delete removes. Against an external target they skip (service.sql).

// eventsOf selects rows of the events table: every field that is set must match.
type eventsOf struct {
	typ, client, user, card, policy string
}

// eventCount counts the recorded events q selects.
func (s *service) eventCount(t *testing.T, q eventsOf) int {
	t.Helper()
	var where []string
	var args []any
	for column, value := range map[string]string{"type": q.typ, "client_ext_id": q.client, "user_ext_id": q.user,
		"credential_ext_id": q.card, "policy_ext_id": q.policy} {
		if value != "" {
			args = append(args, value)
			where = append(where, column+" = $"+strconv.Itoa(len(args)))
		}
	}
	query := "SELECT count(*) FROM events"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	var n int
	if err := s.sql(t).QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantEvents fails unless the recorded events q selects number want.
func (s *service) wantEvents(t *testing.T, q eventsOf, want int) {
	t.Helper()
	if n := s.eventCount(t, q); n != want {
		t.Errorf("%s events of %+v: got %d, want %d", q.typ, q, n, want)
	}
}

// wantNoRows fails unless no row of table has column = value: what a delete must leave behind.
func (s *service) wantNoRows(t *testing.T, table, column, value string) {
	t.Helper()
	var n int
	if err := s.sql(t).QueryRow("SELECT count(*) FROM "+table+" WHERE "+column+" = $1", value).Scan(&n); err != nil || n != 0 {
		t.Errorf("%s with %s = %s: got %d (%v), want none", table, column, value, n, err)
	}
}
