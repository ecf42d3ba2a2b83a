package postgres_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/domain/event"
)

// insertEvent writes one event the way the stores do, inside tx.
func insertEvent(t *testing.T, ctx context.Context, db bun.IDB, credential string) {
	t.Helper()
	_, err := db.NewRaw(`INSERT INTO events (type, occurred_at, actor_subject, actor_mode, credential_ext_id, version)
		VALUES ('otp-card.replaced', now(), 'tester', 'admin', ?, 1)`, credential).Exec(ctx)
	if err != nil {
		t.Fatal(err)
	}
}

// collect claims everything committed so far for subscriber and returns the credentials seen.
func collect(t *testing.T, feed *postgres.EventFeed, subscriber string) []string {
	t.Helper()
	var got []string
	for {
		n, err := feed.Claim(t.Context(), subscriber, 3, func(events []event.Stored) (int, error) {
			for _, e := range events {
				got = append(got, e.CredentialExt)
			}
			return len(events), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return got
		}
	}
}

// TestFeedNeverSkipsALateCommit: a transaction that took its id earlier but commits later must
// still be delivered, after the events it precedes in time, never skipped.
func TestFeedNeverSkipsALateCommit(t *testing.T) {
	db := openDB(t)
	feed := postgres.NewEventFeed(db)
	ctx := t.Context()

	// A: takes its transaction id first (by writing), then stays open.
	late, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Rollback()
	insertEvent(t, ctx, late, "late")
	// B: starts after A and commits.
	insertEvent(t, ctx, db, "early")

	if got := collect(t, feed, "s"); len(got) != 0 {
		t.Fatalf("delivered %v while an older transaction is open, want nothing yet", got)
	}
	if err := late.Commit(); err != nil {
		t.Fatal(err)
	}
	got := collect(t, feed, "s")
	if len(got) != 2 || got[0] != "late" || got[1] != "early" {
		t.Fatalf("got %v, want [late early] (transaction order)", got)
	}
	if again := collect(t, feed, "s"); len(again) != 0 {
		t.Errorf("delivered %v again, want nothing", again)
	}
}

// TestFeedResumesAfterAFailedDelivery: the cursor moves past accepted events only.
func TestFeedResumesAfterAFailedDelivery(t *testing.T) {
	db := openDB(t)
	feed := postgres.NewEventFeed(db)
	if err := feed.Subscribe(t.Context(), []string{"s", "other"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b", "c"} {
		insertEvent(t, t.Context(), db, c)
	}
	boom := errors.New("receiver down")
	n, err := feed.Claim(t.Context(), "s", 10, func(events []event.Stored) (int, error) { return 1, boom })
	if n != 1 || !errors.Is(err, boom) {
		t.Fatalf("got %d, %v; want 1 accepted and the delivery error", n, err)
	}
	// A new feed, as after a restart, starts after "a".
	if got := collect(t, postgres.NewEventFeed(db), "s"); len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("got %v, want [b c]", got)
	}
	// Another subscriber has its own position.
	if got := collect(t, feed, "other"); len(got) != 3 {
		t.Fatalf("other subscriber: got %v, want all three", got)
	}
}

// TestFeedOneInstanceAtATime: instances claiming concurrently deliver every event exactly once
// and in order when nothing fails.
func TestFeedOneInstanceAtATime(t *testing.T) {
	url := pgtest.URL(t)
	db := openURL(t, url, true)
	const n = 60
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		feed := postgres.NewEventFeed(openURL(t, url, false))
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := feed.Claim(context.Background(), "s", 7, func(events []event.Stored) (int, error) {
					mu.Lock()
					defer mu.Unlock()
					for _, e := range events {
						got = append(got, e.ID)
					}
					return len(events), nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range n {
		insertEvent(t, t.Context(), db, string(rune('a'+i%26)))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		done := len(got) >= n
		mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if len(got) != n {
		t.Fatalf("got %d deliveries, want %d exactly once", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("delivery order broken at %d: %v", i, got)
		}
	}
}

// TestFeedNewSubscriberStartsAtTheNewestEvent: a subscriber without a cursor starts after the
// events committed so far, by Subscribe or at its first claim; a subscriber left out of Subscribe
// loses its cursor; Rewind hands a subscriber the whole outbox again (API.md section 7).
func TestFeedNewSubscriberStartsAtTheNewestEvent(t *testing.T) {
	db := openDB(t)
	feed := postgres.NewEventFeed(db)
	if err := feed.Subscribe(t.Context(), []string{"audit", "retired"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"history-1", "history-2"} {
		insertEvent(t, t.Context(), db, c)
	}
	if err := feed.Subscribe(t.Context(), []string{"audit", "webhook"}); err != nil {
		t.Fatal(err)
	}
	var cursors []string
	if err := db.NewRaw("SELECT subscriber FROM event_cursors ORDER BY subscriber").Scan(t.Context(), &cursors); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cursors, []string{"audit", "webhook"}) {
		t.Errorf("cursors: got %v, want [audit webhook] (retired forgotten)", cursors)
	}
	insertEvent(t, t.Context(), db, "new")
	if got := collect(t, feed, "audit"); !slices.Equal(got, []string{"history-1", "history-2", "new"}) {
		t.Errorf("audit (subscribed before the history): got %v, want all three", got)
	}
	if got := collect(t, feed, "webhook"); !slices.Equal(got, []string{"new"}) {
		t.Errorf("webhook (new): got %v, want [new] only", got)
	}
	if got := collect(t, feed, "first-claim"); len(got) != 0 {
		t.Errorf("a subscriber's first claim: got %v, want nothing of the past", got)
	}
	ahead, err := feed.Rewind(t.Context(), "webhook")
	if err != nil || ahead != 3 {
		t.Fatalf("rewind: got %d, %v; want 3 events ahead", ahead, err)
	}
	if got := collect(t, feed, "webhook"); !slices.Equal(got, []string{"history-1", "history-2", "new"}) {
		t.Errorf("webhook after a rewind: got %v, want the whole outbox", got)
	}
}
