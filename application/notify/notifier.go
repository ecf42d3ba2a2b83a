package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/notify"
)

// Notifier is the module's subscriber to the outbox: each event that gives its user a notice
// (notify.NoticeOf) becomes one e-mail, at least once and, thanks to Deliveries, not twice for
// one event. A mail server that is down or answers "try later" makes Handle fail, and the outbox
// retries with backoff, in order; a message refused for good is recorded as rejected and logged,
// so that one bad address does not hold back everyone else's notices.
type Notifier struct {
	recipients Recipients
	deliveries Deliveries
	composer   Composer
	mailer     Mailer
	now        Clock
	logger     *slog.Logger
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
		now: d.Now, logger: d.Logger}
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
	if err != nil {
		return fmt.Errorf("compose the %s notice of event %d: %w", kind, e.ID, err)
	}
	m.To, m.ID = r.Email, messageID(e)
	outcome := Sent
	if err := n.mailer.Send(ctx, m); errors.Is(err, ErrRejected) {
		outcome = Rejected
		n.logger.Warn("the mail server refused a notice for good; it is not sent again",
			"event_id", e.ID, "notice", string(kind), "user_ext_id", e.UserExtID, "error", err.Error())
	} else if err != nil {
		return fmt.Errorf("send the %s notice of event %d: %w", kind, e.ID, err)
	}
	return n.deliveries.End(ctx, e.ID, outcome, n.now())
}

// noticeOf is what the templates may tell of the event.
func noticeOf(kind notify.Kind, r Recipient, e event.Event) Notice {
	n := Notice{Kind: kind, Language: notify.LanguageOf(r.LanguageCode), FirstName: r.FirstName, FamilyName: r.FamilyName,
		Time: e.Time.UTC(), CredentialExtID: e.CredentialExt, RemainingChallenges: e.Data["remainingChallenges"]}
	if t, err := time.Parse(time.RFC3339, e.Data["validTo"]); err == nil {
		n.ValidTo = t.UTC()
	}
	return n
}

// messageID is the Message-ID local part of the notice of e: one per event.
func messageID(e event.Stored) string {
	return "otpcard.notice." + strconv.FormatInt(e.ID, 10)
}
