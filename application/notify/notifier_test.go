package notify_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	appnotify "github.com/otpcard/otpcard/application/notify"
	"github.com/otpcard/otpcard/application/notify/notifytest"
	"github.com/otpcard/otpcard/domain/event"
)

var now = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// plain composes the notice's kind as its subject, and fails for the card "broken".
type plain struct{}

func (plain) Compose(n appnotify.Notice) (appnotify.Message, error) {
	if n.CredentialExtID == "broken-card" {
		return appnotify.Message{}, errors.New("template: no such field")
	}
	return appnotify.Message{Subject: string(n.Kind) + " " + n.Language, Text: n.FirstName}, nil
}

// outbox is a mailer that keeps what it sent, or fails with err.
type outbox struct {
	sent []appnotify.Message
	err  error
}

func (o *outbox) Send(_ context.Context, m appnotify.Message) error {
	if o.err != nil {
		return o.err
	}
	o.sent = append(o.sent, m)
	return nil
}

func setUp() (*appnotify.Notifier, *notifytest.Store, *outbox) {
	m := notifytest.NewStore()
	for _, r := range []appnotify.Recipient{
		{ClientExtID: "bank", UserExtID: "anna", Email: "anna@example.com", LanguageCode: "DE", FirstName: "Anna"},
		{ClientExtID: "bank", UserExtID: "ben"},
	} {
		_ = m.SaveRecipient(context.Background(), r)
	}
	o := &outbox{}
	n := appnotify.NewNotifier(appnotify.Deps{Recipients: m, Deliveries: m, Composer: plain{}, Mailer: o, Now: func() time.Time { return now }})
	return n, m, o
}

func stored(id int64, typ event.Type, user, state string) event.Stored {
	return event.Stored{ID: id, Event: event.Event{Type: typ, ClientExtID: "bank", UserExtID: user, CredentialExt: user + "-card",
		Time: now, Data: map[string]string{"stateName": state}}}
}

// TestNotifierSendsEachNoticeOnce: a notice goes to the user's address in the user's language,
// with one Message-ID per event; the same event again sends nothing.
func TestNotifierSendsEachNoticeOnce(t *testing.T) {
	n, m, o := setUp()
	e := stored(7, "otp-card.replaced", "anna", "active")
	for range 2 {
		if err := n.Handle(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if len(o.sent) != 1 || o.sent[0].To != "anna@example.com" || o.sent[0].Subject != "card-replaced de" || o.sent[0].ID != "otpcard.notice.7" {
		t.Errorf("sent %+v, want one German card-replaced notice to anna with the event's message id", o.sent)
	}
	if m.Outcome(7) != appnotify.Sent {
		t.Errorf("event 7 ended %q, want sent", m.Outcome(7))
	}
}

// TestNotifierSkipsWhatGivesNoNotice: events that give no notice, users without an address and
// unknown users send nothing; the last two are recorded as ended.
func TestNotifierSkipsWhatGivesNoNotice(t *testing.T) {
	n, m, o := setUp()
	for _, e := range []event.Stored{
		stored(1, "otp-card.login-succeeded", "anna", "active"),
		stored(2, "otp-card.locked", "anna", "tmp-locked"),
		stored(3, "otp-card.created", "ben", "initial"),
		stored(4, "otp-card.created", "gone", "initial"),
	} {
		if err := n.Handle(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	if len(o.sent) != 0 {
		t.Errorf("sent %+v, want nothing", o.sent)
	}
	for id, want := range map[int64]appnotify.Outcome{1: "", 2: "", 3: appnotify.NoAddress, 4: appnotify.NoAddress} {
		if got := m.Outcome(id); got != want {
			t.Errorf("event %d ended %q, want %q", id, got, want)
		}
	}
}

// TestNotifierRetriesOnlyWhatMayPassLater: a server that is down fails Handle (the outbox tries
// again) and ends nothing; a message refused for good ends as rejected and Handle goes on.
func TestNotifierRetriesOnlyWhatMayPassLater(t *testing.T) {
	n, m, o := setUp()
	o.err = errors.New("dial tcp: connection refused")
	if err := n.Handle(t.Context(), stored(5, "otp-card.created", "anna", "initial")); err == nil {
		t.Fatal("a server that is down: got nil, want an error to retry")
	}
	if got := m.Outcome(5); got != "" {
		t.Errorf("event 5 ended %q after a failure that may pass, want nothing", got)
	}
	o.err = appnotify.ErrRejected
	if err := n.Handle(t.Context(), stored(5, "otp-card.created", "anna", "initial")); err != nil {
		t.Fatalf("refused for good: got %v, want nil", err)
	}
	if got := m.Outcome(5); got != appnotify.Rejected {
		t.Errorf("event 5 ended %q, want rejected", got)
	}
}

// TestNotifierEndsWhatCannotPassLater: a notice whose template fails ends as failed at once, and a
// message refused for now ends as given up at its MaxDeferrals-th refusal; neither holds back
// the notices after it.
func TestNotifierEndsWhatCannotPassLater(t *testing.T) {
	n, m, o := setUp()
	broken := stored(8, "otp-card.created", "anna", "initial")
	broken.CredentialExt = "broken-card"
	if err := n.Handle(t.Context(), broken); err != nil || m.Outcome(8) != appnotify.Failed {
		t.Errorf("a notice that cannot be composed: got %v, ended %q; want nil, failed", err, m.Outcome(8))
	}
	o.err = fmt.Errorf("%w: 452 mailbox full", appnotify.ErrDeferred)
	for i := 1; i <= appnotify.MaxDeferrals; i++ {
		err := n.Handle(t.Context(), stored(9, "otp-card.replaced", "anna", "active"))
		if last := i == appnotify.MaxDeferrals; (err == nil) != last {
			t.Fatalf("refusal %d for now: got %v", i, err)
		}
	}
	if m.Outcome(9) != appnotify.GivenUp {
		t.Errorf("event 9 ended %q, want given-up", m.Outcome(9))
	}
	o.err = nil
	if err := n.Handle(t.Context(), stored(10, "otp-card.replaced", "anna", "active")); err != nil || len(o.sent) != 1 {
		t.Errorf("the next notice: got %v, %d sent; want it sent", err, len(o.sent))
	}
}
