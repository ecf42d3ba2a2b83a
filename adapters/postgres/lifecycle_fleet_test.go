package postgres_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/otpcard/otpcard/adapters/postgres"
	appcredential "github.com/otpcard/otpcard/application/credential"
)

// fillFleet adds n users with one card each, copies of ann's card "ann-1", spread over ten more
// clients (each with its default policy), through the real schema by SQL; every card in dueEvery
// (0: none) runs out 5 days after the clock's time, within the default threshold of 10 days. It
// analyzes the tables.
func (w *lifecycleWorld) fillFleet(tb testing.TB, n, dueEvery int) {
	tb.Helper()
	ctx := tb.Context()
	var clients, policies []string
	for i := range 10 {
		name := fmt.Sprintf("fleet%d", i)
		_, p := createClient(tb, w.db, name, name, base)
		clients, policies = append(clients, name), append(policies, p.ExtID)
	}
	soon := w.clock.Now().Add(5 * day)
	for _, q := range []string{
		`INSERT INTO holders (ext_id, client_ext_id, state)
		 SELECT 'fleet-' || lpad(i::text, 7, '0'), (?::text[])[1 + i % 10], 'active' FROM generate_series(1, ?) AS i`,
		`INSERT INTO otp_cards
		 SELECT (jsonb_populate_record(c, jsonb_build_object(
		     'ext_id', 'fleet-' || lpad(i::text, 7, '0') || '-1',
		     'user_ext_id', 'fleet-' || lpad(i::text, 7, '0'),
		     'client_ext_id', (?::text[])[1 + i % 10],
		     'policy_ext_id', (?::text[])[1 + i % 10],
		     'valid_to', CASE WHEN ? > 0 AND i % ? = 0 THEN ?::timestamptz ELSE c.valid_to END,
		     'serial_number', 'F' || substr(lpad(i::text, 11, '0'), 1, 3) || '-' || substr(lpad(i::text, 11, '0'), 4, 4) || '-' || substr(lpad(i::text, 11, '0'), 8, 4)))).*
		 FROM otp_cards AS c CROSS JOIN generate_series(1, ?) AS i WHERE c.ext_id = 'ann-1'`,
	} {
		args := []any{pgdialect.Array(clients), n}
		if strings.Contains(q, "otp_cards") {
			args = []any{pgdialect.Array(clients), pgdialect.Array(policies), dueEvery, max(dueEvery, 1), soon, n}
		}
		if _, err := w.db.NewRaw(q, args...).Exec(ctx); err != nil {
			tb.Fatalf("fill the fleet: %v", err)
		}
	}
	if _, err := w.db.ExecContext(ctx, "ANALYZE holders, otp_cards"); err != nil {
		tb.Fatal(err)
	}
}

// dueNow is what the job looks up at the clock's time.
func (w *lifecycleWorld) dueNow(tb testing.TB) appcredential.LifecycleDue {
	tb.Helper()
	policies, err := postgres.NewUpkeepStore(w.db).AllCardPolicies(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	due := appcredential.LifecycleDue{Now: w.clock.Now(), Policies: map[string]appcredential.PolicyDue{}}
	for _, p := range policies {
		closeBefore, renewedBefore := p.Parameters.UpkeepDue(due.Now)
		due.Policies[p.ExtID] = appcredential.PolicyDue{CloseBefore: closeBefore, RenewedBefore: renewedBefore}
	}
	return due
}

// TestDueHoldersReadsIndexes: on a fleet of 20,000 cards under eleven policies, of which four are
// due, the job's look-up reads the three partial indexes, one range per policy, never the whole
// card table, and the run finds exactly the four.
func TestDueHoldersReadsIndexes(t *testing.T) {
	w := newLifecycleWorld(t)
	w.issue(t, "ann")
	w.fillFleet(t, 20_000, 5_000)
	w.clock.Set(lifecycleT0.Add(time.Hour))
	plan, err := postgres.ExplainDueHolders(t.Context(), w.db, w.dueNow(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, index := range []string{"otp_cards_close_to_expiry_due", "otp_cards_expiry_due", "otp_cards_fallback_due"} {
		if !strings.Contains(plan, index) {
			t.Errorf("the plan does not read %s:\n%s", index, plan)
		}
	}
	if strings.Contains(plan, "Seq Scan on otp_cards") || strings.Contains(plan, "otp_cards_policy") {
		t.Errorf("the plan reads the whole card table:\n%s", plan)
	}
	if r := w.run(t); r.Holders != 4 || r.CloseToExpiration != 4 {
		t.Errorf("run on the fleet: %+v, want the 4 cards close to expiry", r)
	}
	if r := w.run(t); r.Holders != 0 {
		t.Errorf("second run on the fleet: %+v, want nothing", r)
	}
}

// BenchmarkLifecycleJobIdle100k: one run of the lifecycle job over 100,000 cards of eleven
// clients with nothing to do (API.md 10.4: the job must stay cheap on a large fleet).
//
//	go test ./adapters/postgres -run '^$' -bench LifecycleJobIdle -benchtime 20x
func BenchmarkLifecycleJobIdle100k(b *testing.B) {
	w := newLifecycleWorld(b)
	w.issue(b, "ann")
	w.fillFleet(b, 100_000, 0)
	w.clock.Set(lifecycleT0.Add(time.Hour))
	for b.Loop() {
		r, err := w.job.Run(b.Context())
		if err != nil || r.Holders != 0 {
			b.Fatalf("run: %+v, %v", r, err)
		}
	}
}
