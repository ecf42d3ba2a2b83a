package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/otpcard/otpcard/application/outbox"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
)

// TestMain fails the package when a test leaves a goroutine behind: a dispatcher must end every
// loop it started once Stop returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// errDown is what the fake feed answers while its "database" is down.
var errDown = errors.New("database unavailable")

// fakeFeed keeps events in memory with one cursor per subscriber, like the event_cursors table.
type fakeFeed struct {
	mu       sync.Mutex
	events   []event.Stored
	cursors  map[string]int // index of the subscriber's next event
	failures int            // how many more Claims fail with errDown
	claims   []time.Time    // when each Claim began
}

func newFakeFeed() *fakeFeed { return &fakeFeed{cursors: map[string]int{}} }

// publish appends n events with the next ids.
func (f *fakeFeed) publish(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		id := int64(len(f.events) + 1)
		f.events = append(f.events, event.Stored{ID: id, Event: event.Event{
			Type: credential.CardReplaced, CredentialExt: fmt.Sprintf("card-%d", id%3)}})
	}
}

// failNext makes the next n Claims fail.
func (f *fakeFeed) failNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = n
}

func (f *fakeFeed) claimTimes() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.claims)
}

// Subscribe starts new subscribers after the newest event and forgets the others, like the
// event_cursors table.
func (f *fakeFeed) Subscribe(_ context.Context, subscribers []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	keep := map[string]bool{}
	for _, s := range subscribers {
		keep[s] = true
		if _, ok := f.cursors[s]; !ok {
			f.cursors[s] = len(f.events)
		}
	}
	for s := range f.cursors {
		if !keep[s] {
			delete(f.cursors, s)
		}
	}
	return nil
}

// resumeAt gives a subscriber a position, as if it had run before and stopped there.
func (f *fakeFeed) resumeAt(subscriber string, next int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cursors[subscriber] = next
}

func (f *fakeFeed) Claim(ctx context.Context, subscriber string, limit int, deliver func([]event.Stored) (int, error)) (int, error) {
	f.mu.Lock()
	f.claims = append(f.claims, time.Now())
	if f.failures > 0 {
		f.failures--
		f.mu.Unlock()
		return 0, errDown
	}
	start := f.cursors[subscriber]
	batch := slices.Clone(f.events[start:min(start+limit, len(f.events))])
	f.mu.Unlock()
	if len(batch) == 0 {
		return 0, nil
	}
	n, err := deliver(batch)
	f.mu.Lock()
	f.cursors[subscriber] = start + n
	f.mu.Unlock()
	if err != nil {
		return n, fmt.Errorf("deliver events to %s: %w", subscriber, err)
	}
	return n, nil
}

var _ outbox.Feed = (*fakeFeed)(nil)

// recorder is a subscriber that remembers what it got; fail decides whether a delivery fails.
type recorder struct {
	name string
	fail func(e event.Stored, attempt int) error

	mu       sync.Mutex
	got      []int64       // ids handled successfully, in order
	attempts map[int64]int // deliveries per id, failed ones included
}

func newRecorder(name string) *recorder { return &recorder{name: name, attempts: map[int64]int{}} }

func (r *recorder) Name() string { return r.name }

func (r *recorder) Handle(_ context.Context, e event.Stored) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[e.ID]++
	if r.fail != nil {
		if err := r.fail(e, r.attempts[e.ID]); err != nil {
			return err
		}
	}
	r.got = append(r.got, e.ID)
	return nil
}

func (r *recorder) ids() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// syncBuffer collects log output written from the dispatcher's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs a dispatcher and stops it when the test ends. Each subscriber resumes from the
// beginning of the feed, as one that ran before and stopped there.
func start(t *testing.T, feed *fakeFeed, o outbox.Options, subs ...outbox.Subscriber) *outbox.Dispatcher {
	t.Helper()
	for _, s := range subs {
		feed.resumeAt(s.Name(), 0)
	}
	d := outbox.NewDispatcher(feed, subs, o)
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.Stop(ctx); err != nil {
			t.Errorf("stop: got %v, want nil", err)
		}
	})
	return d
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// upTo returns 1..n.
func upTo(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	return ids
}

// TestDispatcherDeliversEverythingInOrder: every subscriber gets every event exactly once, in
// order, across batches and across events published while it runs.
func TestDispatcherDeliversEverythingInOrder(t *testing.T) {
	feed := newFakeFeed()
	feed.publish(130)
	a, b := newRecorder("a"), newRecorder("b")
	start(t, feed, outbox.Options{Poll: 5 * time.Millisecond, Batch: 50}, a, b)
	feed.publish(120)
	for _, r := range []*recorder{a, b} {
		eventually(t, "subscriber "+r.name+" gets 250 events", func() bool { return len(r.ids()) >= 250 })
		if got := r.ids(); !slices.Equal(got, upTo(250)) {
			t.Errorf("subscriber %s: got ids %v, want 1..250 in order, each once", r.name, got)
		}
	}
}

// TestDispatcherRetriesFailedEventInOrder: a failing event comes again after a backoff and
// nothing behind it is delivered first; another subscriber does not wait for the failing one;
// the failure is logged with the subscriber's name.
func TestDispatcherRetriesFailedEventInOrder(t *testing.T) {
	feed := newFakeFeed()
	feed.publish(5)
	logs := &syncBuffer{}
	flaky := newRecorder("flaky")
	flaky.fail = func(e event.Stored, attempt int) error {
		if e.ID == 3 && attempt <= 2 {
			return errors.New("receiver down")
		}
		return nil
	}
	steady := newRecorder("steady")
	start(t, feed, outbox.Options{Poll: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}, flaky, steady)

	eventually(t, "steady gets 5 events", func() bool { return len(steady.ids()) == 5 })
	eventually(t, "flaky gets 5 events", func() bool { return len(flaky.ids()) == 5 })
	if got := flaky.ids(); !slices.Equal(got, upTo(5)) {
		t.Errorf("flaky: got ids %v, want 1..5 in order", got)
	}
	flaky.mu.Lock()
	attempts := flaky.attempts[3]
	flaky.mu.Unlock()
	if attempts != 3 {
		t.Errorf("deliveries of event 3: got %d, want 3 (two failures, one success)", attempts)
	}
	if out := logs.String(); !strings.Contains(out, "event delivery failed") || !strings.Contains(out, "subscriber=flaky") {
		t.Errorf("logs: got %q, want a warning naming subscriber flaky", out)
	}
}

// TestDispatcherBacksOffWhileTheFeedFails: while the database is down every Claim fails; the
// dispatcher waits longer after each failure, up to MaxBackoff, and delivers once it is back.
func TestDispatcherBacksOffWhileTheFeedFails(t *testing.T) {
	const poll, maxBackoff = 10 * time.Millisecond, 40 * time.Millisecond
	feed := newFakeFeed()
	feed.publish(3)
	feed.failNext(6)
	r := newRecorder("audit")
	start(t, feed, outbox.Options{Poll: poll, MaxBackoff: maxBackoff}, r)

	eventually(t, "delivery after the outage", func() bool { return len(r.ids()) == 3 })
	claims := feed.claimTimes()
	if len(claims) < 7 {
		t.Fatalf("claims: got %d, want at least 7 (6 failures, then success)", len(claims))
	}
	// After failure k (1-based) the wait is min(poll * 2^(k-1), maxBackoff).
	want := []time.Duration{10, 20, 40, 40, 40, 40}
	for i, w := range want {
		gap := claims[i+1].Sub(claims[i])
		if gap < w*time.Millisecond-time.Millisecond {
			t.Errorf("wait after failure %d: got %v, want at least %v", i+1, gap, w*time.Millisecond)
		}
		if gap > time.Second {
			t.Errorf("wait after failure %d: got %v, want about %v (MaxBackoff bounds it)", i+1, gap, w*time.Millisecond)
		}
	}
	if got := r.ids(); !slices.Equal(got, upTo(3)) {
		t.Errorf("after the outage: got ids %v, want 1..3", got)
	}
}

// blocker is a subscriber whose Handle runs until released, ignoring its context, the worst
// case a Stop must cope with.
type blocker struct {
	entered  chan struct{}
	release  chan struct{}
	finished chan struct{}
}

func (b *blocker) Name() string { return "blocker" }

func (b *blocker) Handle(context.Context, event.Stored) error {
	close(b.entered)
	<-b.release
	close(b.finished)
	return nil
}

// TestDispatcherStopWaitsForDeliveryInFlight: Stop returns only once the delivery in flight has
// ended; with a context that ends first, it returns the context's error instead of hanging.
func TestDispatcherStopWaitsForDeliveryInFlight(t *testing.T) {
	feed := newFakeFeed()
	feed.publish(1)
	b := &blocker{entered: make(chan struct{}), release: make(chan struct{}), finished: make(chan struct{})}
	feed.resumeAt(b.Name(), 0)
	d := outbox.NewDispatcher(feed, []outbox.Subscriber{b}, outbox.Options{Poll: 5 * time.Millisecond})
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-b.entered

	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Stop(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stop while a delivery runs, with a 50 ms context: got %v, want context.DeadlineExceeded", err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- d.Stop(context.Background()) }()
	select {
	case err := <-stopped:
		t.Fatalf("stop returned %v while the delivery was still running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(b.release)
	if err := <-stopped; err != nil {
		t.Errorf("stop after the delivery ended: got %v, want nil", err)
	}
	select {
	case <-b.finished:
	default:
		t.Error("stop returned before the delivery in flight finished")
	}
}

// TestDispatcherStopEndsBackoffAtOnce: a loop waiting out a long backoff ends as soon as Stop is
// called, and Stop before Start does nothing.
func TestDispatcherStopEndsBackoffAtOnce(t *testing.T) {
	if err := outbox.NewDispatcher(newFakeFeed(), nil, outbox.Options{}).Stop(context.Background()); err != nil {
		t.Errorf("stop before start: got %v, want nil", err)
	}
	feed := newFakeFeed()
	feed.failNext(1_000_000)
	d := outbox.NewDispatcher(feed, []outbox.Subscriber{newRecorder("audit")},
		outbox.Options{Poll: time.Hour, MaxBackoff: time.Hour})
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "first claim", func() bool { return len(feed.claimTimes()) > 0 })
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Stop(ctx); err != nil {
		t.Errorf("stop: got %v, want nil", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("stop during a one-hour backoff took %v, want it at once", took)
	}
}

// TestDispatcherDeliverPending drains the log to every subscriber without starting the loops,
// and reports a subscriber's failure.
func TestDispatcherDeliverPending(t *testing.T) {
	feed := newFakeFeed()
	feed.publish(230)
	a, b := newRecorder("a"), newRecorder("b")
	d := outbox.NewDispatcher(feed, []outbox.Subscriber{a, b}, outbox.Options{Batch: 100})
	if err := d.DeliverPending(context.Background()); err != nil {
		t.Fatalf("deliver pending: got %v, want nil", err)
	}
	for _, r := range []*recorder{a, b} {
		if got := r.ids(); !slices.Equal(got, upTo(230)) {
			t.Errorf("subscriber %s: got %d ids, want 1..230 in order", r.name, len(got))
		}
	}

	feed.publish(2)
	failing := newRecorder("failing")
	failing.fail = func(e event.Stored, _ int) error {
		if e.ID == 231 {
			return errors.New("receiver down")
		}
		return nil
	}
	d = outbox.NewDispatcher(feed, []outbox.Subscriber{failing}, outbox.Options{})
	if err := d.DeliverPending(context.Background()); err == nil || !strings.Contains(err.Error(), "receiver down") {
		t.Errorf("deliver pending to a failing subscriber: got %v, want its error", err)
	}
	if got := failing.ids(); !slices.Equal(got, upTo(230)) {
		t.Errorf("failing subscriber: got %d ids, want 1..230 (up to the failing event)", len(got))
	}
}

// TestDispatcherNewSubscriberStartsAtTheNewestEvent: a subscriber that never ran receives only
// events committed after the dispatcher started (a new webhook must not announce last year's
// cards); one that ran before resumes where it stopped; the position of a subscriber that is no
// longer configured is forgotten (API.md section 7).
func TestDispatcherNewSubscriberStartsAtTheNewestEvent(t *testing.T) {
	feed := newFakeFeed()
	feed.publish(5)
	feed.resumeAt("old", 3)
	feed.resumeAt("gone", 1)
	fresh, old := newRecorder("fresh"), newRecorder("old")
	d := outbox.NewDispatcher(feed, []outbox.Subscriber{fresh, old}, outbox.Options{Poll: 5 * time.Millisecond})
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	feed.publish(2)
	eventually(t, "the new events reach both", func() bool { return len(fresh.ids()) == 2 && len(old.ids()) == 4 })
	if got := fresh.ids(); !slices.Equal(got, []int64{6, 7}) {
		t.Errorf("new subscriber: got %v, want [6 7] (nothing from before it started)", got)
	}
	if got := old.ids(); !slices.Equal(got, []int64{4, 5, 6, 7}) {
		t.Errorf("known subscriber: got %v, want [4 5 6 7] (from where it stopped)", got)
	}
	feed.mu.Lock()
	_, kept := feed.cursors["gone"]
	feed.mu.Unlock()
	if kept {
		t.Error("the position of a subscriber no longer configured is kept, want it forgotten")
	}
}
