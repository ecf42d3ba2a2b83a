package credential

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/otpcard/otpcard/application/caller"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/fault"
)

// LifecycleJobName names the lifecycle job among the service's jobs (JobRuns).
const LifecycleJobName = "lifecycle"

// HolderKey names a user who holds cards.
type HolderKey struct {
	ClientExtID, UserExtID string
}

// PolicyDue bounds the cards of one policy the lifecycle job may have something to do for
// (credential.Parameters.UpkeepDue).
type PolicyDue struct {
	CloseBefore, RenewedBefore time.Time
}

// LifecycleDue is what makes a card due for the lifecycle job at Now, per policy extId.
type LifecycleDue struct {
	Now      time.Time
	Policies map[string]PolicyDue
}

// LifecycleStore finds the cards the lifecycle job has work for.
type LifecycleStore interface {
	// AllCardPolicies returns the OTP card policies of every client.
	AllCardPolicies(ctx context.Context) ([]credential.Policy, error)
	// DueHolders returns, in the order of their extIds and after the user named after, up to
	// limit users who hold a card that is not archived and that, under a policy of due, either
	// was not announced close to expiry and ends at or before the policy's CloseBefore, or was not
	// announced expired and ends at or before due.Now, or has a successor and was renewed at or
	// before the policy's RenewedBefore. It answers from indexes, not by reading every card.
	DueHolders(ctx context.Context, due LifecycleDue, after string, limit int) ([]HolderKey, error)
}

// JobRuns lets one instance at a time run a job of the service.
type JobRuns interface {
	// Exclusive calls fn unless another instance is running the job called name, and reports
	// whether it called fn. With every > 0 it also skips the run when the job's last run
	// started less than every before now (but runs when that start lies more than every ahead
	// of now: an instance whose clock ran ahead must not stop the job); each run records its
	// start.
	Exclusive(ctx context.Context, name string, now time.Time, every time.Duration, fn func(context.Context) error) (bool, error)
}

// AutomaticRenewals is the seam through which the lifecycle job renews cards by itself (API.md
// section 10.4). A renewal that no caller asked for has nobody to hand its cells to: its
// successor goes to a print batch of the card's client (section 11.2), which the printing module
// provides. NoPrintBatches declines every card, and the job then only records the events. One run
// of the job at a time uses the seam (JobRuns).
type AutomaticRenewals interface {
	// Renew takes the card under key for renewal in this run; it reports false, nil when the
	// card's client has no print recipients (the card is not renewed).
	Renew(ctx context.Context, key CardKey) (taken bool, err error)
	// Finish renews the cards taken in this run and prints their successors, a chunk of cards
	// and their encrypted letters in one transaction, one batch per client, and returns how many
	// it renewed. A card renewed in the meantime (by a caller, or by another instance) is left out.
	Finish(ctx context.Context) (renewed int, err error)
}

// NoPrintBatches is AutomaticRenewals for a service without print batches: no client has
// print recipients, so no card is renewed automatically.
type NoPrintBatches struct{}

// Renew takes nothing.
func (NoPrintBatches) Renew(context.Context, CardKey) (bool, error) { return false, nil }

// Finish renews nothing.
func (NoPrintBatches) Finish(context.Context) (int, error) { return 0, nil }

// LifecycleReport tells what one run of the lifecycle job did.
type LifecycleReport struct {
	Started, Finished time.Time
	// Holders is how many users with due cards the run looked at.
	Holders int
	// CloseToExpiration and Expired count the announcements recorded; Retired the renewed cards
	// retired after their fallback period.
	CloseToExpiration, Expired, Retired int
	// RenewalsDue counts the cards whose policy asks for an automatic renewal; of those,
	// Renewed were renewed, SkippedTwoCards belong to users who hold two cards already, and
	// NoPrintBatch belong to clients without print recipients.
	RenewalsDue, Renewed, SkippedTwoCards, NoPrintBatch int
	// Failed counts the users whose cards could not be tended (the run goes on with the others
	// and reports an error at its end).
	Failed int
}

// Touched is how many cards the run changed or renewed.
func (r LifecycleReport) Touched() int {
	return r.CloseToExpiration + r.Expired + r.Retired + r.Renewed
}

// LifecycleJob is the lifecycle job (API.md section 10.4): across all instances one run at a
// time, as the actor system, it records close-to-expiration and expired once per card, retires
// renewed cards whose fallback period is over, and hands the cards due for an automatic renewal
// to AutomaticRenewals. Every rule is the card's (credential.OTPCard.Announce,
// RetireAfterFallback, DueForRenewal), applied under the locks of the user's cards, so that a run
// racing a login, another run or a caller acts once.
type LifecycleJob struct {
	store    LifecycleStore
	cards    UserCardUpdater
	runs     JobRuns
	renewals AutomaticRenewals
	frame    caller.Frame
	// page is how many users one look-up of due cards returns.
	page int
}

// LifecycleDeps are what the lifecycle job needs.
type LifecycleDeps struct {
	Store    LifecycleStore
	Cards    UserCardUpdater
	Runs     JobRuns
	Renewals AutomaticRenewals
	Frame    caller.Frame
}

// NewLifecycleJob builds the job; without Renewals it renews nothing (NoPrintBatches).
func NewLifecycleJob(d LifecycleDeps) *LifecycleJob {
	if d.Renewals == nil {
		d.Renewals = NoPrintBatches{}
	}
	return &LifecycleJob{store: d.Store, cards: d.Cards, runs: d.Runs, renewals: d.Renewals, frame: d.Frame, page: 500}
}

// ErrJobBusy means that another instance is running the job.
var ErrJobBusy = fault.New(fault.Conflict, "errors.jobRunning", "another instance is running the job")

// Run runs the job now, unless another instance is running it (ErrJobBusy): `otpcard lifecycle
// run`.
func (j *LifecycleJob) Run(ctx context.Context) (LifecycleReport, error) {
	report, ran, err := j.run(ctx, 0)
	if err == nil && !ran {
		err = ErrJobBusy
	}
	return report, err
}

// RunDue runs the job when its last run, on any instance, started at least every ago and no
// instance is running it; ran tells whether it did. The scheduler calls it.
func (j *LifecycleJob) RunDue(ctx context.Context, every time.Duration) (report LifecycleReport, ran bool, err error) {
	return j.run(ctx, max(every, time.Nanosecond))
}

func (j *LifecycleJob) run(ctx context.Context, every time.Duration) (LifecycleReport, bool, error) {
	ctx, span := j.frame.Tracer.Start(ctx, "LifecycleJob")
	defer span.End()
	var report LifecycleReport
	ran, err := j.runs.Exclusive(ctx, LifecycleJobName, j.frame.Now(), every, func(ctx context.Context) error {
		report.Started = j.frame.Now()
		err := j.tendAll(ctx, &report)
		renewed, finishErr := j.renewals.Finish(ctx) // also after a failed user: what was taken is renewed
		report.Renewed += renewed
		report.Finished = j.frame.Now()
		return errors.Join(err, finishErr)
	})
	return report, ran, fault.Wrap(err, "lifecycle job")
}

// tendAll looks at every user with a due card, a page at a time.
func (j *LifecycleJob) tendAll(ctx context.Context, report *LifecycleReport) error {
	policies, err := j.store.AllCardPolicies(ctx)
	if err != nil {
		return err
	}
	due := LifecycleDue{Now: report.Started, Policies: make(map[string]PolicyDue, len(policies))}
	for _, p := range policies {
		closeBefore, renewedBefore := p.Parameters.UpkeepDue(due.Now)
		due.Policies[p.ExtID] = PolicyDue{CloseBefore: closeBefore, RenewedBefore: renewedBefore}
	}
	after := ""
	var failed error // the first user that failed; the run goes on with the others
	for {
		holders, err := j.store.DueHolders(ctx, due, after, j.page)
		if err != nil {
			return err
		}
		for _, h := range holders {
			if err := j.tend(ctx, h, report); err != nil {
				if ctx.Err() != nil {
					return err
				}
				report.Failed++
				if failed == nil {
					failed = fmt.Errorf("user %s: %w", h.UserExtID, err)
				}
			}
			after = h.UserExtID
		}
		if len(holders) < j.page {
			break
		}
	}
	if failed != nil {
		return fmt.Errorf("%d user(s) failed, and the next run tries them again; the first: %w", report.Failed, failed)
	}
	return nil
}

// tend applies the card rules to one user's cards in one transaction, then hands the cards due
// for renewal to the seam, each in a transaction of its own.
func (j *LifecycleJob) tend(ctx context.Context, h HolderKey, report *LifecycleReport) error {
	var tended LifecycleReport
	var renew []CardKey
	err := j.cards.UpdateUserCard(ctx, h.ClientExtID, h.UserExtID, func(u UserCards) (CardsChange, error) {
		tended, renew = LifecycleReport{}, nil
		now := j.frame.Now()
		var change CardsChange
		held := 0
		for _, uc := range u.Cards {
			if events := j.upkeep(uc, u.Cards, now, &tended); len(events) > 0 {
				change.Changed = append(change.Changed, uc.Card)
				change.Events = append(change.Events, events...)
			}
			if uc.Card.State() != credential.StateArchived {
				held++
			}
		}
		for _, uc := range u.Cards {
			if !uc.Card.DueForRenewal(uc.Policy.Parameters, now) || u.Holder.CanAuthenticate() != nil {
				continue
			}
			tended.RenewalsDue++
			if held >= MaxCardsPerUser {
				tended.SkippedTwoCards++
				continue
			}
			renew = append(renew, CardKey{ClientExtID: h.ClientExtID, UserExtID: h.UserExtID, ExtID: uc.Card.ExtID()})
		}
		return change, nil
	})
	var missing *fault.NotFoundError
	if errors.As(err, &missing) { // the user was deleted since the look-up
		return nil
	}
	if err != nil {
		return err
	}
	tended.Holders = 1
	report.add(tended) // committed: counted even if a renewal below fails
	for _, key := range renew {
		switch taken, err := j.renewals.Renew(ctx, key); {
		case err != nil:
			return err
		case !taken:
			report.NoPrintBatch++
		}
	}
	return nil
}

// upkeep applies the announcements and the fallback rule to one card and returns the events.
func (j *LifecycleJob) upkeep(uc UserCard, all []UserCard, now time.Time, tended *LifecycleReport) []event.Event {
	card, p := uc.Card, uc.Policy.Parameters
	var events []event.Event
	for _, t := range card.Announce(now, p.CloseToExpiry) {
		ev := cardEvent(t, card, caller.System().Meta())
		ev.Time = credential.Later(now, ev.Time)
		ev.Data["validTo"] = card.Snapshot().ValidTo.UTC().Format(time.RFC3339)
		events = append(events, ev)
		if t == credential.CardExpired {
			tended.Expired++
		} else {
			tended.CloseToExpiration++
		}
	}
	if successor := card.Successor(); successor != "" {
		for _, other := range all {
			from := card.State()
			if other.Card.ExtID() == successor && card.RetireAfterFallback(other.Card, p.FallbackPeriod, now) {
				events = append(events, stateChanged(card, from, caller.System()))
				tended.Retired++
			}
		}
	}
	return events
}

func (r *LifecycleReport) add(o LifecycleReport) {
	r.Holders += o.Holders
	r.CloseToExpiration += o.CloseToExpiration
	r.Expired += o.Expired
	r.Retired += o.Retired
	r.RenewalsDue += o.RenewalsDue
	r.Renewed += o.Renewed
	r.SkippedTwoCards += o.SkippedTwoCards
	r.NoPrintBatch += o.NoPrintBatch
}
