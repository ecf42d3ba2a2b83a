package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/application/caller"
	appcredential "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/domain/access"
	"github.com/otpcard/otpcard/domain/credential"
)

// movingClock is the clock port of the lifecycle tests: they move time instead of sleeping.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movingClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t.UTC().Truncate(time.Microsecond)
	c.mu.Unlock()
}

// lifecycleWorld is a database with client acme, the credential use cases and the lifecycle job
// on real stores, all reading one moving clock.
type lifecycleWorld struct {
	db     *bun.DB
	clock  *movingClock
	cards  appcredential.UseCases
	job    *appcredential.LifecycleJob
	policy credential.Policy
	root   caller.Caller
	// renewals records the cards the job handed to its AutomaticRenewals seam.
	renewals *recordedRenewals
}

// recordedRenewals is an AutomaticRenewals that renews nothing and remembers what it was given.
type recordedRenewals struct {
	mu   sync.Mutex
	keys []appcredential.CardKey
}

func (r *recordedRenewals) Renew(_ context.Context, key appcredential.CardKey) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, key)
	return false, nil
}

func (r *recordedRenewals) Finish(context.Context) (int, error) { return 0, nil }

// t0 of the lifecycle tests: the cards are created then, valid for the default ten years.
var lifecycleT0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

const (
	tenYears = 315360000000 * time.Millisecond
	day      = 24 * time.Hour
)

func newLifecycleWorld(t testing.TB) *lifecycleWorld {
	t.Helper()
	db := openDB(t)
	_, policy := createClient(t, db, "acme", "Acme", base)
	hasher, err := cellhash.New(bytes.Repeat([]byte("p"), 32), cellhash.DefaultParams(), 0)
	if err != nil {
		t.Fatal(err)
	}
	w := &lifecycleWorld{db: db, clock: &movingClock{}, policy: policy, renewals: &recordedRenewals{},
		root: caller.Caller{Principal: access.NewAdmin("root", []string{"Root"}, nil, nil)}}
	w.clock.Set(lifecycleT0)
	tracer := noop.NewTracerProvider().Tracer("test")
	w.cards = appcredential.New(appcredential.Deps{Cards: postgres.NewCardStore(db), Policies: postgres.NewPolicyStore(db),
		Hasher: hasher, Verifier: hasher, Now: w.clock.Now, Tracer: tracer, MaxAuthAge: time.Hour})
	w.job = w.newJob(postgres.NewJobRuns(db))
	return w
}

// newJob is another instance of the job over the same database, taking its turns through runs.
func (w *lifecycleWorld) newJob(runs appcredential.JobRuns) *appcredential.LifecycleJob {
	return appcredential.NewLifecycleJob(appcredential.LifecycleDeps{
		Store: postgres.NewUpkeepStore(w.db), Cards: postgres.NewCardStore(w.db), Runs: runs, Renewals: w.renewals,
		Frame: caller.Frame{Now: w.clock.Now, Tracer: noop.NewTracerProvider().Tracer("test")}})
}

// issue creates user extID with one card (extId "<user>-1") at the clock's time and returns it
// with its cells.
func (w *lifecycleWorld) issue(t testing.TB, user string) appcredential.Issued {
	t.Helper()
	createUser(t, w.db, "acme", user, user)
	issued, err := w.cards.CreateOTPCard.Do(t.Context(), appcredential.CreateCommand{Caller: w.root,
		ClientExtID: "acme", UserExtID: user, ExtID: user + "-1", StateName: "active"})
	if err != nil {
		t.Fatalf("create card of %s: %v", user, err)
	}
	return issued
}

func (w *lifecycleWorld) renew(t *testing.T, user string) appcredential.Issued {
	t.Helper()
	issued, err := w.cards.RenewOTPCard.Do(t.Context(), appcredential.RenewCommand{Caller: w.root,
		Key: appcredential.CardKey{ClientExtID: "acme", UserExtID: user, ExtID: user + "-1"}, ExtID: user + "-2"})
	if err != nil {
		t.Fatalf("renew card of %s: %v", user, err)
	}
	return issued
}

func (w *lifecycleWorld) card(t *testing.T, user, extID string) credential.Snapshot {
	t.Helper()
	c, err := w.cards.GetOTPCard.Do(t.Context(), appcredential.GetCardQuery{Caller: w.root,
		Key: appcredential.CardKey{ClientExtID: "acme", UserExtID: user, ExtID: extID}})
	if err != nil {
		t.Fatalf("get %s: %v", extID, err)
	}
	return c.Snapshot()
}

func (w *lifecycleWorld) run(t *testing.T) appcredential.LifecycleReport {
	t.Helper()
	r, err := w.job.Run(t.Context())
	if err != nil {
		t.Fatalf("lifecycle run: %v", err)
	}
	return r
}

// eventsOf counts the events of type typ per credential, and fails unless every one of them was
// recorded with the actor system.
func (w *lifecycleWorld) eventsOf(t *testing.T, typ string) map[string]int {
	t.Helper()
	var rows []struct {
		Credential string `bun:"credential_ext_id"`
		Subject    string `bun:"actor_subject"`
		Mode       string `bun:"actor_mode"`
	}
	if err := w.db.NewSelect().Table("events").Column("credential_ext_id", "actor_subject", "actor_mode").
		Where("type = ?", typ).Scan(t.Context(), &rows); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range rows {
		n[r.Credential]++
		if typ != "otp-card.state-changed" && (r.Subject != "system" || r.Mode != "system") {
			t.Errorf("%s of %s recorded by %s (%s), want system", typ, r.Credential, r.Subject, r.Mode)
		}
	}
	return n
}

// TestLifecycleJobAnnouncesEachCardOnce: close-to-expiration as the card enters its policy's
// threshold (10 days by default), expired once validity.to has passed, each once however often
// the job runs, by the actor system, without a new version; a replace that restarts the validity
// re-arms both (API.md section 10.2).
func TestLifecycleJobAnnouncesEachCardOnce(t *testing.T) {
	w := newLifecycleWorld(t)
	for _, u := range []string{"ann", "ben", "cat"} {
		w.issue(t, u)
	}
	if r := w.run(t); r.Holders != 0 || r.Touched() != 0 {
		t.Fatalf("run on fresh cards: %+v, want nothing done", r)
	}
	validTo := lifecycleT0.Add(tenYears)
	w.clock.Set(validTo.Add(-10*day - time.Minute))
	if r := w.run(t); r.Touched() != 0 {
		t.Fatalf("run a minute before the threshold: %+v", r)
	}
	version := w.card(t, "ann", "ann-1").Version
	w.clock.Set(validTo.Add(-5 * day))
	if r := w.run(t); r.CloseToExpiration != 3 || r.Expired != 0 || r.Holders != 3 {
		t.Fatalf("run within the threshold: %+v, want 3 close-to-expiration", r)
	}
	if r := w.run(t); r.Holders != 0 || r.Touched() != 0 {
		t.Fatalf("second run within the threshold: %+v, want nothing", r)
	}
	if s := w.card(t, "ann", "ann-1"); s.Version != version || !s.CloseToExpiryAnnounced || s.ExpiryAnnounced {
		t.Errorf("after the announcement: version %d (want %d), announced %v %v", s.Version, version, s.CloseToExpiryAnnounced, s.ExpiryAnnounced)
	}
	w.clock.Set(validTo)
	if r := w.run(t); r.Expired != 3 || r.CloseToExpiration != 0 {
		t.Fatalf("run at validity.to: %+v, want 3 expired", r)
	}
	w.clock.Set(validTo.Add(day))
	if r := w.run(t); r.Touched() != 0 {
		t.Fatalf("run a day later: %+v, want nothing", r)
	}
	for _, typ := range []string{"otp-card.close-to-expiration", "otp-card.expired"} {
		if got := w.eventsOf(t, typ); len(got) != 3 || got["ann-1"] != 1 || got["ben-1"] != 1 || got["cat-1"] != 1 {
			t.Errorf("%s events per card: %v, want one for each of the three cards", typ, got)
		}
	}

	// A replace restarts the validity of the expired card and re-arms both announcements.
	_, err := w.cards.ReplaceOTPCard.Do(t.Context(), appcredential.ReplaceCommand{Caller: w.root,
		Key: appcredential.CardKey{ClientExtID: "acme", UserExtID: "ann", ExtID: "ann-1"}})
	if err != nil {
		t.Fatalf("replace: %v", err)
	}
	if s := w.card(t, "ann", "ann-1"); s.CloseToExpiryAnnounced || s.ExpiryAnnounced {
		t.Fatalf("the replace kept the announcements: %v %v", s.CloseToExpiryAnnounced, s.ExpiryAnnounced)
	}
	if r := w.run(t); r.Touched() != 0 {
		t.Fatalf("run after the replace: %+v, want nothing", r)
	}
	w.clock.Set(validTo.Add(day + tenYears - 3*day))
	if r := w.run(t); r.CloseToExpiration != 1 || r.Expired != 2-2 {
		t.Fatalf("run close to the new expiry: %+v, want one close-to-expiration", r)
	}
	if got := w.eventsOf(t, "otp-card.close-to-expiration"); got["ann-1"] != 2 {
		t.Errorf("close-to-expiration of the replaced card: %d, want 2 (one per validity)", got["ann-1"])
	}
}

// TestLifecycleJobRetiresAfterFallback: a renewed card retires (archived, reason renewal) once
// fallbackTransitionPeriod (14 days by default) has passed since the renewal, used or not, but
// not while its successor is out of service (API.md section 10.3).
func TestLifecycleJobRetiresAfterFallback(t *testing.T) {
	w := newLifecycleWorld(t)
	w.issue(t, "ann")
	w.issue(t, "ben")
	w.renew(t, "ann")
	w.renew(t, "ben")
	disabled := "disabled"
	if _, err := w.cards.ChangeOTPCardState.Do(t.Context(), appcredential.ChangeStateCommand{Caller: w.root,
		Key: appcredential.CardKey{ClientExtID: "acme", UserExtID: "ben", ExtID: "ben-2"}, StateName: &disabled}); err != nil {
		t.Fatal(err)
	}
	w.clock.Set(lifecycleT0.Add(14*day - time.Second))
	if r := w.run(t); r.Retired != 0 {
		t.Fatalf("run before the period ended: %+v", r)
	}
	w.clock.Set(lifecycleT0.Add(14 * day))
	if r := w.run(t); r.Retired != 1 {
		t.Fatalf("run at the end of the period: %+v, want one retired", r)
	}
	if r := w.run(t); r.Retired != 0 {
		t.Fatalf("second run: %+v, want none retired", r)
	}
	if s := w.card(t, "ann", "ann-1"); s.State != credential.StateArchived || s.StateChangeReason != credential.ReasonRenewal {
		t.Errorf("ann's renewed card is %s (%s), want archived (renewal)", s.State, s.StateChangeReason)
	}
	if s := w.card(t, "ben", "ben-1"); s.State != credential.StateActive {
		t.Errorf("ben's renewed card, whose successor is disabled, is %s, want active", s.State)
	}
	var actor string
	if err := w.db.NewSelect().Table("events").Column("actor_mode").Where("type = 'otp-card.state-changed'").
		Where("credential_ext_id = 'ann-1'").Scan(t.Context(), &actor); err != nil || actor != "system" {
		t.Errorf("the retirement's event: actor %q, %v; want system", actor, err)
	}
}

// TestFirstLoginRacesTheFallbackRetirement: the successor's first successful login and the job's
// fallback retirement, at the same moment for many users: each predecessor is archived exactly
// once, by whichever came first, with one state-changed event. Which one comes first varies; the
// log says how often each did.
func TestFirstLoginRacesTheFallbackRetirement(t *testing.T) {
	w := newLifecycleWorld(t)
	const users = 12
	labels, answers := make([]string, users), make([]string, users)
	for i := range users {
		u := fmt.Sprintf("u%02d", i)
		w.issue(t, u)
		successor := w.renew(t, u)
		w.clock.Set(lifecycleT0.Add(15 * day))
		ch, err := w.cards.IssueChallenge.Do(t.Context(), appcredential.ChallengeCommand{Caller: w.root, ClientExtID: "acme",
			UserExtID: u, Card: appcredential.CardChoice{ExtID: u + "-2"}})
		if err != nil {
			t.Fatalf("challenge %s: %v", u, err)
		}
		labels[i], answers[i] = ch.Label, successor.Clear[ch.Card.Snapshot().Challenge[0]]
		w.clock.Set(lifecycleT0)
	}
	w.clock.Set(lifecycleT0.Add(15 * day))
	errs := race(users+1, func(i int) error {
		if i == users {
			_, err := w.job.Run(context.Background())
			return err
		}
		// The logins are spread over the job's walk through the users (in the order of their
		// extIds), so that the job comes first for some and the login for others.
		time.Sleep(time.Duration(users-i) * 4 * time.Millisecond)
		u := fmt.Sprintf("u%02d", i)
		out, err := w.cards.Login.Do(context.Background(), appcredential.LoginCommand{Caller: w.root, ClientExtID: "acme",
			UserExtID: u, Challenge: labels[i], Password: answers[i], UpdateLoginInfo: true})
		if err == nil && !out.Result.Succeeded() {
			err = fmt.Errorf("login of %s failed: %+v", u, out.Result)
		}
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("racer %d: %v", i, err)
		}
	}
	retired := w.eventsOf(t, "otp-card.state-changed")
	byJob := count(t, w.db, "SELECT count(*) FROM events WHERE type = 'otp-card.state-changed' AND actor_mode = 'system'")
	t.Logf("retired by the job: %d, by the successor's login: %d", byJob, users-byJob)
	for i := range users {
		u := fmt.Sprintf("u%02d", i)
		if s := w.card(t, u, u+"-1"); s.State != credential.StateArchived || s.StateChangeReason != credential.ReasonRenewal {
			t.Errorf("%s-1 is %s (%s), want archived (renewal)", u, s.State, s.StateChangeReason)
		}
		if retired[u+"-1"] != 1 {
			t.Errorf("%s-1 has %d state-changed events, want 1", u, retired[u+"-1"])
		}
	}
}

// unlocked is a JobRuns that lets every instance run at once: the job's own guarantees, without
// the lock that normally spares it the work.
type unlocked struct{}

func (unlocked) Exclusive(ctx context.Context, _ string, _ time.Time, _ time.Duration, fn func(context.Context) error) (bool, error) {
	return true, fn(ctx)
}

// TestJobInstancesNeverDoubleAnAction: several instances run at once. With the job's lock one
// runs and the others hear that it is busy; even without the lock, every card gets each event
// once and each renewed card retires once, because every action is decided under the cards' row
// locks.
func TestJobInstancesNeverDoubleAnAction(t *testing.T) {
	w := newLifecycleWorld(t)
	const users = 16
	for i := range users {
		u := fmt.Sprintf("u%02d", i)
		w.issue(t, u)
		if i%2 == 0 {
			w.renew(t, u)
		}
	}
	w.clock.Set(lifecycleT0.Add(tenYears - 5*day)) // the renewed cards' fallback is over, every first card close to expiry

	errs := race(4, func(int) error {
		_, err := w.newJob(postgres.NewJobRuns(w.db)).Run(context.Background())
		return err
	})
	busy := 0
	for _, err := range errs {
		switch {
		case errors.Is(err, appcredential.ErrJobBusy):
			busy++
		case err != nil:
			t.Errorf("locked instance: %v", err)
		}
	}
	if busy == 0 || busy == 4 {
		t.Errorf("with the lock: %d of 4 instances found the job busy, want all but those that ran after it", busy)
	}
	// While one instance runs the job, another finds it busy, deterministically.
	running, release := make(chan struct{}), make(chan struct{})
	go func() {
		_, _ = postgres.NewJobRuns(w.db).Exclusive(context.Background(), "lifecycle", w.clock.Now(), 0, func(context.Context) error {
			close(running)
			<-release
			return nil
		})
	}()
	<-running
	if _, err := w.newJob(postgres.NewJobRuns(w.db)).Run(t.Context()); !errors.Is(err, appcredential.ErrJobBusy) {
		t.Errorf("run while another instance holds the job: %v, want ErrJobBusy", err)
	}
	close(release)

	w.clock.Set(lifecycleT0.Add(tenYears + day)) // every card has expired
	var mu sync.Mutex
	var total appcredential.LifecycleReport
	errs = race(4, func(int) error {
		r, err := w.newJob(unlocked{}).Run(context.Background())
		mu.Lock()
		total.Expired += r.Expired
		total.Retired += r.Retired
		mu.Unlock()
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Errorf("unlocked instance: %v", err)
		}
	}
	for _, typ := range []string{"otp-card.close-to-expiration", "otp-card.expired"} {
		for card, n := range w.eventsOf(t, typ) {
			if n != 1 {
				t.Errorf("%s: %d events for %s, want 1", typ, n, card)
			}
		}
	}
	expired := w.eventsOf(t, "otp-card.expired")
	// The first cards of the renewed users retired in the first round (archived: no news for them);
	// the other first cards and the successors expired.
	if len(expired) != users {
		t.Errorf("expired events for %d cards, want %d", len(expired), users)
	}
	for card, n := range w.eventsOf(t, "otp-card.state-changed") {
		if n != 1 || !strings.HasSuffix(card, "-1") {
			t.Errorf("%d state-changed events for %s, want one for each renewed first card", n, card)
		}
	}
}

// TestLifecycleJobRunsOncePerInterval: RunDue runs when the last run, by any instance, started
// an interval ago or more, and not before; a start recorded by a clock that runs ahead does not
// stop the job.
func TestLifecycleJobRunsOncePerInterval(t *testing.T) {
	w := newLifecycleWorld(t)
	other := w.newJob(postgres.NewJobRuns(w.db))
	for _, step := range []struct {
		at  time.Duration
		job *appcredential.LifecycleJob
		ran bool
	}{
		{0, w.job, true}, {30 * time.Minute, other, false}, {59 * time.Minute, w.job, false},
		{time.Hour, other, true}, {time.Hour + time.Second, w.job, false}, {3 * time.Hour, w.job, true},
		// An instance whose clock runs a year ahead runs it; the others are not stopped for a year.
		{365 * 24 * time.Hour, other, true}, {3*time.Hour + time.Minute, w.job, true}, {3*time.Hour + 2*time.Minute, other, false},
	} {
		w.clock.Set(lifecycleT0.Add(step.at))
		if _, ran, err := step.job.RunDue(t.Context(), time.Hour); err != nil || ran != step.ran {
			t.Errorf("at +%v: ran %v, %v; want %v", step.at, ran, err, step.ran)
		}
	}
}

// TestLifecycleJobHandsRenewalsToTheSeam: cards whose policy asks for an automatic renewal go to
// the AutomaticRenewals seam, except those of users who hold two cards already (counted); with
// NoPrintBatches none is renewed.
func TestLifecycleJobHandsRenewalsToTheSeam(t *testing.T) {
	w := newLifecycleWorld(t)
	_, err := w.cards.ModifyPolicy.Do(t.Context(), appcredential.ModifyPolicyCommand{Caller: w.root, ClientExtID: "acme",
		ExtID: w.policy.ExtID, Parameters: map[string]string{"renewWhenCloseToExpiration": "true"}})
	if err != nil {
		t.Fatalf("modify policy: %v", err)
	}
	w.issue(t, "ann")
	w.issue(t, "ben")
	if _, err := w.cards.CreateOTPCard.Do(t.Context(), appcredential.CreateCommand{Caller: w.root,
		ClientExtID: "acme", UserExtID: "ben", ExtID: "ben-spare"}); err != nil {
		t.Fatal(err)
	}
	w.clock.Set(lifecycleT0.Add(tenYears - 5*day))
	r := w.run(t)
	if r.RenewalsDue != 3 || r.SkippedTwoCards != 2 || r.NoPrintBatch != 1 || r.Renewed != 0 {
		t.Errorf("report %+v, want 3 due, 2 skipped (two cards), 1 without print batch", r)
	}
	if len(w.renewals.keys) != 1 || w.renewals.keys[0].ExtID != "ann-1" {
		t.Errorf("the seam got %v, want ann-1", w.renewals.keys)
	}
	noBatches := appcredential.NewLifecycleJob(appcredential.LifecycleDeps{Store: postgres.NewUpkeepStore(w.db),
		Cards: postgres.NewCardStore(w.db), Runs: postgres.NewJobRuns(w.db), Frame: caller.Frame{Now: w.clock.Now, Tracer: noop.NewTracerProvider().Tracer("t")}})
	w.clock.Set(lifecycleT0.Add(tenYears + day))
	if r, err := noBatches.Run(t.Context()); err != nil || r.Renewed != 0 || r.NoPrintBatch != 1 {
		t.Errorf("without print batches: %+v, %v; want 1 without print batch, none renewed", r, err)
	}
}

// renewing is an AutomaticRenewals that really renews, through the bulk use case the printing
// module's seam uses (IssueForPrint: hashing first, then every card under a savepoint of one
// transaction), without printing anything.
type renewing struct {
	w     *lifecycleWorld
	issue *appcredential.IssueForPrint
	keys  []appcredential.CardKey
}

func newRenewing(w *lifecycleWorld) *renewing {
	hasher, err := cellhash.New(bytes.Repeat([]byte("p"), 32), cellhash.DefaultParams(), 0)
	if err != nil {
		panic(err)
	}
	issue := appcredential.NewIssueForPrint(appcredential.Deps{Cards: postgres.NewCardStore(w.db), Hasher: hasher, Now: w.clock.Now},
		postgres.NewTransactor(w.db))
	return &renewing{w: w, issue: issue}
}

func (r *renewing) Renew(_ context.Context, key appcredential.CardKey) (bool, error) {
	r.keys = append(r.keys, key)
	return true, nil
}

func (r *renewing) Finish(ctx context.Context) (int, error) {
	orders := make([]appcredential.CardOrder, len(r.keys))
	for i, k := range r.keys {
		orders[i] = appcredential.CardOrder{ClientExtID: k.ClientExtID, UserExtID: k.UserExtID, RenewExtID: k.ExtID}
	}
	renewed := 0
	err := r.issue.Do(ctx, appcredential.PrintRun{Meta: caller.System().Meta()}, orders, func(_ context.Context, outcomes []appcredential.PrintOutcome) error {
		for _, o := range outcomes {
			switch {
			case o.Err == nil:
				renewed++
			case !errors.Is(o.Err, credential.ErrForbiddenTransition):
				return o.Err
			}
		}
		return nil
	})
	return renewed, err
}

// TestJobInstancesNeverRenewACardTwice: four instances run at once without the job's lock, each
// handing the cards due for renewal to a seam that renews them; every card ends with exactly one
// successor, because a card that has one refuses another renewal under its row lock.
func TestJobInstancesNeverRenewACardTwice(t *testing.T) {
	w := newLifecycleWorld(t)
	_, err := w.cards.ModifyPolicy.Do(t.Context(), appcredential.ModifyPolicyCommand{Caller: w.root, ClientExtID: "acme",
		ExtID: w.policy.ExtID, Parameters: map[string]string{"renewWhenCloseToExpiration": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	const users = 8
	for i := range users {
		w.issue(t, fmt.Sprintf("u%02d", i))
	}
	w.clock.Set(lifecycleT0.Add(tenYears - 5*day))
	var mu sync.Mutex
	renewed := 0
	errs := race(4, func(int) error {
		job := appcredential.NewLifecycleJob(appcredential.LifecycleDeps{Store: postgres.NewUpkeepStore(w.db),
			Cards: postgres.NewCardStore(w.db), Runs: unlocked{}, Renewals: newRenewing(w),
			Frame: caller.Frame{Now: w.clock.Now, Tracer: noop.NewTracerProvider().Tracer("test")}})
		r, err := job.Run(context.Background())
		mu.Lock()
		renewed += r.Renewed
		mu.Unlock()
		return err
	})
	for _, err := range errs {
		if err != nil {
			t.Errorf("instance: %v", err)
		}
	}
	if renewed != users {
		t.Errorf("the instances renewed %d cards between them, want %d", renewed, users)
	}
	for i := range users {
		u := fmt.Sprintf("u%02d", i)
		if n := count(t, w.db, "SELECT count(*) FROM otp_cards WHERE predecessor_ext_id = ?", u+"-1"); n != 1 {
			t.Errorf("%s-1 has %d successors, want 1", u, n)
		}
	}
}
