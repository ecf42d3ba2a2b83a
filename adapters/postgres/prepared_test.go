package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/listing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// The hot reads run one prepared statement for every card (the values travel as arguments, not
// in the SQL text), and each run gets a span whose text shows placeholders, never values.
func TestHotReadsArePreparedOnceAndTraced(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	metrics := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics))
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// One connection: every statement below runs on it, so its prepared statements are all of them.
	db, err := postgres.Open(ctx, pgtest.URL(t), postgres.Options{MaxOpenConns: 1, TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := postgres.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	w := cardWorld{db: db, cards: postgres.NewCardStore(db)}
	_, w.acme = createClient(t, db, "acme", "Acme", base)
	for _, u := range []string{"alice", "bob", "dave"} {
		createUser(t, db, "acme", u, u)
		key := appcredential.CardKey{ClientExtID: "acme", UserExtID: u, ExtID: "card-of-" + u}
		w.create(t, w.newCard(t, key, key.ExtID, 1, base))
		if _, err := w.cards.Get(ctx, key); err != nil {
			t.Fatalf("get %s: %v", key.ExtID, err)
		}
		if err := w.cards.Update(ctx, key, func(c *credential.OTPCard) ([]event.Event, error) {
			if _, err := c.Replace(fakeGrid(t, 2), "", time.Hour, base.Add(time.Hour)); err != nil {
				return nil, err
			}
			return []event.Event{cardEvent(credential.CardReplaced, c)}, nil
		}); err != nil {
			t.Fatalf("replace %s: %v", key.ExtID, err)
		}
		if _, err := w.cards.List(ctx, "acme", u, listing.Page{Limit: 10}); err != nil {
			t.Fatalf("list cards of %s: %v", u, err)
		}
		if err := w.cards.UpdateUserCard(ctx, "acme", u, func(appcredential.UserCards) (appcredential.CardsChange, error) {
			return appcredential.CardsChange{}, nil
		}); err != nil {
			t.Fatalf("user cards of %s: %v", u, err)
		}
	}

	var texts []string
	if err := db.NewRaw(`SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'SELECT %otp_cards%$1%'`).
		Scan(ctx, &texts); err != nil {
		t.Fatal(err)
	}
	if len(texts) != 4 {
		t.Errorf("prepared card reads: got %d, want 4 (by key, by key to lock, a user's cards to lock, a page of them), one for all users:\n%s",
			len(texts), strings.Join(texts, "\n"))
	}

	var writes []string
	if err := db.NewRaw(`SELECT statement FROM pg_prepared_statements WHERE statement LIKE 'UPDATE otp_cards%' OR (statement LIKE 'INSERT INTO "events"%' AND statement NOT LIKE '%$13%')`).
		Scan(ctx, &writes); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 2 {
		t.Errorf("prepared writes: got %d, want 2 (the card update of a replace, a one-event insert), one for all cards:\n%s",
			len(writes), strings.Join(writes, "\n"))
	}

	names := map[string]int{}
	for _, s := range spans.Ended() {
		for _, a := range s.Attributes() {
			if a.Key != "db.query.text" {
				continue
			}
			names[s.Name()]++
			q := a.Value.AsString()
			if !strings.Contains(q, "$1") || strings.Contains(q, "alice") || strings.Contains(q, "card-of-") {
				t.Errorf("span %s: statement %q, want placeholders and no values", s.Name(), q)
			}
		}
	}
	if names["otp_cards by key"] != 3 || names["otp_cards by key for update"] != 3 ||
		names["otp_cards of a user for update"] != 3 ||
		names["otp_cards of a user"] != 3 || names["holder of a client"] != 3 ||
		names["otp_cards update"] != 3 || names["events insert"] < 6 {
		t.Errorf("spans of prepared statements: got %v, want 3 of each (events: one per card created and replaced, and more)", names)
	}

	// Each prepared statement is also a sample of the query timing histogram bun's hook keeps.
	var rm metricdata.ResourceMetrics
	if err := metrics.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	ops := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != "github.com/otpcard/otpcard/adapters/postgres" {
			continue
		}
		for _, m := range sm.Metrics {
			h, ok := m.Data.(metricdata.Histogram[int64])
			if m.Name != "go.sql.query_timing" || !ok {
				continue
			}
			for _, p := range h.DataPoints {
				op, _ := p.Attributes.Value("db.operation")
				ops[op.AsString()] += p.Count
			}
		}
	}
	if ops["SELECT"] != 15 || ops["UPDATE"] != 3 || ops["INSERT"] < 6 {
		t.Errorf("query timing samples by operation: got %v, want 15 SELECT, 3 UPDATE, at least 6 INSERT", ops)
	}
}

// TestCardUpdatesLeaveTheVerifiersAlone: a challenge, a login or a PATCH saves the card without
// its grid, so its verifiers (out of line, in TOAST storage) are not written again; a replace
// writes the new grid; a change that changes nothing writes nothing.
func TestCardUpdatesLeaveTheVerifiersAlone(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	db, err := postgres.Open(t.Context(), pgtest.URL(t), postgres.Options{TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if _, err := postgres.Migrate(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	w := cardWorld{db: db, cards: postgres.NewCardStore(db)}
	_, w.acme = createClient(t, db, "acme", "Acme", base)
	createUser(t, db, "acme", "alice", "alice")
	key := appcredential.CardKey{ClientExtID: "acme", UserExtID: "alice", ExtID: "card"}
	w.create(t, w.newCard(t, key, key.ExtID, 1, base))

	updates := func() []string {
		var out []string
		for _, s := range spans.Ended() {
			for _, a := range s.Attributes() {
				if s.Name() == "otp_cards update" && a.Key == "db.query.text" {
					out = append(out, a.Value.AsString())
				}
			}
		}
		return out
	}
	err = w.cards.UpdateUserCard(t.Context(), "acme", "alice", func(u appcredential.UserCards) (appcredential.CardsChange, error) {
		c := u.Cards[0].Card
		_, err := c.IssueChallenge(base.Add(time.Minute), credential.ChallengeRules{Size: 1}, func(int) (int, error) { return 0, nil })
		return appcredential.CardsChange{Changed: []*credential.OTPCard{c}}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	same := "" // no change at all
	if err := w.cards.Update(t.Context(), key, func(c *credential.OTPCard) ([]event.Event, error) {
		_, err := c.Edit(credential.CardEdit{Comment: &same}, base.Add(time.Minute))
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.cards.Update(t.Context(), key, func(c *credential.OTPCard) ([]event.Event, error) {
		_, err := c.Replace(fakeGrid(t, 2), "", time.Hour, base.Add(time.Minute))
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	got := updates()
	if len(got) != 2 || strings.Contains(got[0], "verifiers") || !strings.Contains(got[1], "verifiers") {
		t.Errorf("card updates: got %q, want two: the challenge's without the grid, the replace's with it", got)
	}
}
