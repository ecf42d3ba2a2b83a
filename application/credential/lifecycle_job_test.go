package credential_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	app "github.com/otpcard/otpcard/application/credential"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/domain/credential"
)

// dueUsers is a LifecycleStore that names the same users as due whatever the time.
type dueUsers struct {
	policies []credential.Policy
	users    []app.HolderKey
}

func (d dueUsers) AllCardPolicies(context.Context) ([]credential.Policy, error) {
	return d.policies, nil
}

func (d dueUsers) DueHolders(_ context.Context, _ app.LifecycleDue, after string, limit int) ([]app.HolderKey, error) {
	var page []app.HolderKey
	for _, u := range d.users {
		if u.UserExtID > after && len(page) < limit {
			page = append(page, u)
		}
	}
	return page, nil
}

// jobRuns is a JobRuns for one instance: it runs fn unless busy.
type jobRuns struct{ busy bool }

func (r jobRuns) Exclusive(ctx context.Context, _ string, _ time.Time, _ time.Duration, fn func(context.Context) error) (bool, error) {
	if r.busy {
		return false, nil
	}
	return true, fn(ctx)
}

// failingFor is the card store, except that changing the cards of one user fails.
type failingFor struct {
	*credentialtest.CardStore
	user string
}

func (f failingFor) UpdateUserCard(ctx context.Context, client, user string, fn app.UserCardChange) error {
	if user == f.user {
		return errors.New("connection reset")
	}
	return f.CardStore.UpdateUserCard(ctx, client, user, fn)
}

func lifecycleJob(cards app.UserCardUpdater, store app.LifecycleStore, runs app.JobRuns, at time.Time) *app.LifecycleJob {
	return app.NewLifecycleJob(app.LifecycleDeps{Store: store, Cards: cards, Runs: runs,
		Frame: caller.Frame{Now: clock(at), Tracer: tracer}})
}

// TestLifecycleJobWhileAnotherInstanceRunsIt: Run says the job is busy; RunDue just does not run.
func TestLifecycleJobWhileAnotherInstanceRunsIt(t *testing.T) {
	s := newStore(t)
	job := lifecycleJob(s, dueUsers{users: []app.HolderKey{{ClientExtID: "client-a", UserExtID: "user-a"}}}, jobRuns{busy: true}, now)
	if _, err := job.Run(t.Context()); !errors.Is(err, app.ErrJobBusy) {
		t.Errorf("Run: got %v, want ErrJobBusy", err)
	}
	if _, ran, err := job.RunDue(t.Context(), time.Hour); ran || err != nil {
		t.Errorf("RunDue: got ran %v, %v; want false, nil", ran, err)
	}
	if len(s.Recorded()) != 0 {
		t.Errorf("a busy job recorded %v", s.Recorded())
	}
}

// TestLifecycleJobGoesOnPastAFailingUser: a user whose cards cannot be changed fails the run at its
// end, after the job has tended every other user; the report counts the failure.
func TestLifecycleJobGoesOnPastAFailingUser(t *testing.T) {
	s := newStore(t)
	expired := t0.Add(366 * 24 * time.Hour) // card-1 of user-a ran out a day ago
	policy, _ := s.Policy("policy-a")
	due := dueUsers{policies: []credential.Policy{policy}, users: []app.HolderKey{
		{ClientExtID: "client-a", UserExtID: "user-0"}, {ClientExtID: "client-a", UserExtID: "user-a"}}}
	report, err := lifecycleJob(failingFor{s, "user-0"}, due, jobRuns{}, expired).Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "user-0") || !strings.Contains(err.Error(), "1 user(s) failed") {
		t.Errorf("run: got %v, want an error naming the one failed user", err)
	}
	if report.Failed != 1 || report.Expired != 1 || report.Holders != 1 {
		t.Errorf("report %+v, want 1 failed, 1 expired of the 1 user tended", report)
	}
	events := s.Recorded()
	if len(events) != 1 || events[0].Type != credential.CardExpired || events[0].CredentialExt != "card-1" ||
		events[0].Actor.Subject != "system" || events[0].Actor.Mode != "system" || !events[0].Time.Equal(expired) {
		t.Errorf("events %+v, want card-1's otp-card.expired by system at the run's time", events)
	}
	if c, _ := s.Card("card-1"); !c.ExpiryAnnounced || c.Version != 4 {
		t.Errorf("card-1 after the run: announced %v at version %d, want true at 4", c.ExpiryAnnounced, c.Version)
	}
}
