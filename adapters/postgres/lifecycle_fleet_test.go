package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres"
	appcredential "github.com/otpcard/otpcard/application/credential"
)

// fillFleet adds n users of acme with one card each, copies of ann's card "ann-1" (through the
// real schema, by SQL, in one statement each), and analyzes the tables.
func (w *lifecycleWorld) fillFleet(tb testing.TB, n int) {
	tb.Helper()
	ctx := tb.Context()
	for _, q := range []string{
		`INSERT INTO holders (ext_id, client_ext_id, state)
		 SELECT 'fleet-' || lpad(i::text, 7, '0'), 'acme', 'active' FROM generate_series(1, ?) AS i`,
		`INSERT INTO otp_cards
		 SELECT (jsonb_populate_record(c, jsonb_build_object(
		     'ext_id', 'fleet-' || lpad(i::text, 7, '0') || '-1',
		     'user_ext_id', 'fleet-' || lpad(i::text, 7, '0'),
		     'serial_number', 'F' || substr(lpad(i::text, 11, '0'), 1, 3) || '-' || substr(lpad(i::text, 11, '0'), 4, 4) || '-' || substr(lpad(i::text, 11, '0'), 8, 4)))).*
		 FROM otp_cards AS c CROSS JOIN generate_series(1, ?) AS i WHERE c.ext_id = 'ann-1'`,
	} {
		if _, err := w.db.NewRaw(q, n).Exec(ctx); err != nil {
			tb.Fatalf("fill the fleet: %v", err)
		}
	}
	if _, err := w.db.ExecContext(ctx, "ANALYZE holders, otp_cards"); err != nil {
		tb.Fatal(err)
	}
}

// TestDueHoldersReadsIndexes: the job's look-up reads the three partial indexes, never the whole
// table, on a fleet of 20,000 cards of which a few are due.
func TestDueHoldersReadsIndexes(t *testing.T) {
	w := newLifecycleWorld(t)
	w.issue(t, "ann")
	w.fillFleet(t, 20_000)
	w.clock.Set(lifecycleT0.Add(time.Hour))
	policies, err := postgres.NewUpkeepStore(w.db).AllCardPolicies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	due := appcredential.LifecycleDue{Now: w.clock.Now(), Policies: map[string]appcredential.PolicyDue{}}
	for _, p := range policies {
		closeBefore, renewedBefore := p.Parameters.UpkeepDue(due.Now)
		due.Policies[p.ExtID] = appcredential.PolicyDue{CloseBefore: closeBefore, RenewedBefore: renewedBefore}
	}
	plan, err := postgres.ExplainDueHolders(t.Context(), w.db, due)
	if err != nil {
		t.Fatal(err)
	}
	for _, index := range []string{"otp_cards_close_to_expiry_due", "otp_cards_expiry_due", "otp_cards_fallback_due"} {
		if !strings.Contains(plan, index) {
			t.Errorf("the plan does not read %s:\n%s", index, plan)
		}
	}
	if strings.Contains(plan, "Seq Scan on otp_cards") {
		t.Errorf("the plan reads the whole card table:\n%s", plan)
	}
	if r := w.run(t); r.Holders != 0 {
		t.Errorf("run on the idle fleet: %+v, want nothing", r)
	}
}

// BenchmarkLifecycleJobIdle100k: one run of the lifecycle job over 100,000 cards with nothing to
// do (API.md 10.4: the job must stay cheap on a large fleet).
//
//	go test ./adapters/postgres -run '^$' -bench LifecycleJobIdle -benchtime 20x
func BenchmarkLifecycleJobIdle100k(b *testing.B) {
	w := newLifecycleWorld(b)
	w.issue(b, "ann")
	w.fillFleet(b, 100_000)
	w.clock.Set(lifecycleT0.Add(time.Hour))
	for b.Loop() {
		r, err := w.job.Run(b.Context())
		if err != nil || r.Holders != 0 {
			b.Fatalf("run: %+v, %v", r, err)
		}
	}
}
