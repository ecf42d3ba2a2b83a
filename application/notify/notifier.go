package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/notify"
)

// Notifier is the module's subscriber to the outbox: each event that gives its user a notice
// (notify.NoticeOf) becomes one e-mail, at least once and, thanks to Deliveries, not twice for
// one event. A mail server that is down or answers "try later" makes Handle fail, and the outbox
// retries with backoff, in order. A message refused for good, or refused for now MaxDeferrals
// times, or a notice its template cannot render, is recorded as ended and logged, so that one bad
// address or template does not hold back everyone else's notices.
type Notifier struct {
	recipients Recipients
	deliveries Deliveries
	composer   Composer
	mailer     Mailer
	now        Clock
	logger     *slog.Logger
	mu         sync.Mutex
	deferrals  map[int64]int // "for now" refusals per event, until its notice ends
}

// Deps are what the notifier needs.
type Deps struct {
	Recipients Recipients
	Deliveries Deliveries
	Composer   Composer
	Mailer     Mailer
	Now        Clock
	Logger     *slog.Logger
}

// NewNotifier builds the subscriber.
func NewNotifier(d Deps) *Notifier {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{recipients: d.Recipients, deliveries: d.Deliveries, composer: d.Composer, mailer: d.Mailer,
		now: d.Now, logger: d.Logger, deferrals: map[int64]int{}}
}

// Name is the subscriber's position in the event log.
func (n *Notifier) Name() string { return "notify" }

// Handle sends the notice of one event, if it gives one and was not sent before.
func (n *Notifier) Handle(ctx context.Context, e event.Stored) error {
	kind, ok := notify.NoticeOf(e.Event)
	if !ok {
		return nil
	}
	switch ended, err := n.deliveries.Ended(ctx, e.ID); {
	case err != nil:
		return err
	case ended:
		return nil
	}
	r, found, err := n.recipients.Recipient(ctx, e.ClientExtID, e.UserExtID)
	if err != nil {
		return err
	}
	if !found || r.Email == "" {
		return n.deliveries.End(ctx, e.ID, NoAddress, n.now())
	}
	m, err := n.composer.Compose(noticeOf(kind, r, e.Event))
	if err != nil { // the same template fails the same way next time: retrying would stop every notice
		n.logger.Error("a notice could not be composed; it is not sent", "event_id", e.ID, "notice", string(kind), "error", err.Error())
		return n.deliveries.End(ctx, e.ID, Failed, n.now())
	}
	m.To, m.ID = r.Email, messageID(e)
	outcome := Sent
	switch err := n.mailer.Send(ctx, m); {
	case errors.Is(err, ErrRejected):
		outcome = Rejected
		n.logger.Warn("the mail server refused a notice for good; it is not sent again",
			"event_id", e.ID, "notice", string(kind), "user_ext_id", e.UserExtID, "error", err.Error())
	case errors.Is(err, ErrDeferred) && n.deferredAgain(e.ID) >= MaxDeferrals:
		outcome = GivenUp
		n.logger.Warn("the mail server refused a notice for now, too often; it is given up",
			"event_id", e.ID, "notice", string(kind), "user_ext_id", e.UserExtID, "error", err.Error())
	case err != nil:
		return fmt.Errorf("send the %s notice of event %d: %w", kind, e.ID, err)
	}
	n.forgetDeferrals(e.ID)
	return n.deliveries.End(ctx, e.ID, outcome, n.now())
}

// deferredAgain counts one more "for now" refusal of the event's message and returns the count.
// The count lives in this instance: a restart grants another MaxDeferrals tries.
func (n *Notifier) deferredAgain(eventID int64) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.deferrals[eventID]++
	return n.deferrals[eventID]
}

func (n *Notifier) forgetDeferrals(eventID int64) {
	n.mu.Lock()
	delete(n.deferrals, eventID)
	n.mu.Unlock()
}

// noticeOf is what the templates may tell of the event.
func noticeOf(kind notify.Kind, r Recipient, e event.Event) Notice {
	n := Notice{Kind: kind, Language: notify.LanguageOf(r.LanguageCode), FirstName: r.FirstName, FamilyName: r.FamilyName,
		Time: e.Time.UTC(), CredentialExtID: e.CredentialExt, RemainingChallenges: e.Data["remainingChallenges"]}
	if t, err := time.Parse(time.RFC3339, e.Data["validTo"]); err == nil {
		n.ValidTo = t.UTC()
	}
	n.PredecessorRetired = e.Data["predecessorRetired"] == "true"
	return n
}

// messageID is the Message-ID local part of the notice of e: one per event.
func messageID(e event.Stored) string {
	return "otpcard.notice." + strconv.FormatInt(e.ID, 10)
}
