package tests

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
	"github.com/otpcard/otpcard/tests/client"
)

// received is one message the test's SMTP server accepted, its parts decoded.
type received struct {
	to, subject, messageID string
	text, html             string
}

// mailbox is a real SMTP server in the test process: it accepts what the service sends, refuses
// recipients for good or for now as the test says, and counts every attempt.
type mailbox struct {
	addr     string
	mu       sync.Mutex
	messages []received
	attempts map[string]int
	// refuse answers RCPT TO for an address with an error (nil: accept), given its attempt number.
	refuse  func(to string, attempt int) error
	arrived chan struct{}
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{attempts: map[string]int{}, arrived: make(chan struct{}, 100), refuse: func(string, int) error { return nil }}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "mail.test", true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

type mailSession struct {
	mb *mailbox
	to string
}

func (s *mailSession) Reset()        { s.to = "" }
func (s *mailSession) Logout() error { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.mb.mu.Lock()
	s.mb.attempts[to]++
	n, refuse := s.mb.attempts[to], s.mb.refuse
	s.mb.mu.Unlock()
	if err := refuse(to, n); err != nil {
		return err
	}
	s.to = to
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	msg, err := netmail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	got := received{to: s.to, subject: subject, messageID: msg.Header.Get("Message-Id")}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	parts := multipart.NewReader(msg.Body, params["boundary"]) // decodes quoted-printable parts
	for {
		p, err := parts.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(p)
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			got.html = string(body)
		} else {
			got.text = string(body)
		}
	}
	s.mb.mu.Lock()
	s.mb.messages = append(s.mb.messages, got)
	s.mb.mu.Unlock()
	s.mb.arrived <- struct{}{}
	return nil
}

// waitFor waits until n messages have arrived in all and returns them.
func (mb *mailbox) waitFor(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		mb.mu.Lock()
		got := append([]received(nil), mb.messages...)
		mb.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-mb.arrived:
		case <-deadline:
			t.Fatalf("%d message(s) arrived, want %d: %+v", len(got), n, got)
		}
	}
}

func (mb *mailbox) attemptsFor(to string) int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.attempts[to]
}

// TestNotifications: the notify module e-mails users through a real SMTP server (API.md 11.3):
// in their language, never with a cell, once per event even when the outbox hands the events
// over again, retried when the server says "later", given up (and not holding back the others)
// when it says "never", and not at all for users without an address.
func TestNotifications(t *testing.T) {
	mb := newMailbox(t)
	mb.refuse = func(to string, attempt int) error {
		switch {
		case to == "nobody@example.com":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		case to == "dora@example.com" && attempt == 1:
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	}
	url, pepper := pgtest.URL(t), make([]byte, 32)
	env := map[string]string{"OTPCARD_DATABASE_URL": url, "OTPCARD_CELL_PEPPER": b64(pepper),
		"OTPCARD_SMTP_URL": "smtp://" + mb.addr, "OTPCARD_SMTP_FROM": "Example Bank <otpcard@bank.example>"}
	s := startServiceWith(t, io.Discard, env)
	api := s.root(t)
	bank := uid("notify-bank")
	api.CreateClient(t, client.ClientCreate{ExtID: bank, Name: bank}).Want(t, http.StatusCreated)
	user := func(name, email, lang string) client.UserKey {
		u := client.UserCreate{ExtID: uid(name), LoginID: name, UserDetails: client.UserDetails{
			Name: &client.UserName{FirstName: strings.ToUpper(name[:1]) + name[1:]}, LanguageCode: lang}}
		if email != "" {
			u.UserDetails.Contacts = &client.UserContacts{Email: email}
		}
		api.CreateUser(t, bank, u).Want(t, http.StatusCreated)
		return client.UserKey{Client: bank, User: u.ExtID}
	}
	anna, ben := user("anna", "anna@example.com", "de"), user("ben", "", "fr")
	carl, dora := user("carl", "nobody@example.com", "it"), user("dora", "dora@example.com", "xx")

	annaCard := anna.Card(uid("anna-card"))
	created := api.CreateCard(t, anna, client.CredentialCreate{ExtID: annaCard.Card}).Want(t, http.StatusCreated)
	cells := cellsOf(t, created.OTP)
	first := mb.waitFor(t, 1)[0]
	if first.to != "anna@example.com" || first.subject != "Ihre neue OTP-Karte" || !strings.HasPrefix(first.text, "Guten Tag Anna,") ||
		!strings.Contains(first.html, "Guten Tag Anna,") || !strings.Contains(first.messageID, "otpcard.notice.") {
		t.Errorf("the notice of anna's new card: %+v, want it in German", first)
	}

	// ben has no address; carl's is refused for good; then anna's card is replaced: her notice
	// comes, in order, after the one the server refused.
	api.CreateCard(t, ben, client.CredentialCreate{}).Want(t, http.StatusCreated)
	api.CreateCard(t, carl, client.CredentialCreate{}).Want(t, http.StatusCreated)
	replaced := api.ReplaceCard(t, annaCard, client.CredentialReplace{}).Want(t, http.StatusOK)
	cells = append(cells, cellsOf(t, replaced.OTP)...)
	second := mb.waitFor(t, 2)[1]
	if second.to != "anna@example.com" || second.subject != "Ihre OTP-Karte wurde ersetzt" {
		t.Errorf("second notice: %+v, want anna's replace", second)
	}
	if n := mb.attemptsFor("nobody@example.com"); n != 1 {
		t.Errorf("carl's address was tried %d times, want once (a permanent refusal is not retried)", n)
	}

	// The server says "later" to dora's first attempt: the notice comes with the retry, in English.
	api.CreateCard(t, dora, client.CredentialCreate{}).Want(t, http.StatusCreated)
	third := mb.waitFor(t, 3)[2]
	if third.to != "dora@example.com" || third.subject != "Your new OTP card" || mb.attemptsFor("dora@example.com") != 2 {
		t.Errorf("third notice: %+v after %d attempts, want dora's, in English, after 2", third, mb.attemptsFor("dora@example.com"))
	}

	// The history handed to the notifier again sends nothing twice.
	for k, v := range map[string]string{"OTPCARD_DATABASE_URL": url, "OTPCARD_CELL_PEPPER": b64(pepper), "OTPCARD_JWT_HS256_SECRET": testSecret,
		"OTPCARD_DATA_DIR": t.TempDir(), "OTPCARD_LOG_LEVEL": "warn", "OTPCARD_SMTP_URL": env["OTPCARD_SMTP_URL"],
		"OTPCARD_SMTP_FROM": env["OTPCARD_SMTP_FROM"]} {
		t.Setenv(k, v)
	}
	var stdout, stderr bytes.Buffer
	if code := bootstrap.Main(t.Context(), []string{"events", "rewind", "notify"}, &stdout, &stderr); code != 0 {
		t.Fatalf("otpcard events rewind notify: exit %d, %s", code, stderr.String())
	}
	api.ReplaceCard(t, annaCard, client.CredentialReplace{}).Want(t, http.StatusOK)
	all := mb.waitFor(t, 4)
	time.Sleep(300 * time.Millisecond) // a duplicate would come now
	if all = mb.waitFor(t, 4); len(all) != 4 || all[3].subject != "Ihre OTP-Karte wurde ersetzt" {
		t.Errorf("after the rewind: %d messages, the last %+v; want 4, the new replace last", len(all), all[len(all)-1])
	}
	// The lifecycle job's news reaches the user too: a card that expired at once (a lifetime of
	// one millisecond), in French, with the day it expired.
	short := api.CreatePolicy(t, bank, client.PolicyCreate{Name: uid("short"), PolicyType: "OTPCardPolicy",
		Parameters: map[string]string{"credentialLifetime": "1"}}).Want(t, http.StatusCreated)
	emma := user("emma", "emma@example.com", "fr")
	expiring := api.CreateCard(t, emma, client.CredentialCreate{PolicyExtID: short.ExtID}).Want(t, http.StatusCreated)
	time.Sleep(5 * time.Millisecond)
	if code := bootstrap.Main(t.Context(), []string{"lifecycle", "run"}, &stdout, &stderr); code != 0 {
		t.Fatalf("otpcard lifecycle run: exit %d, %s", code, stderr.String())
	}
	all = mb.waitFor(t, 6)
	expiredOn := expiring.Validity.To[:10]
	if all[4].subject != "Votre nouvelle carte OTP" || all[5].subject != "Votre carte OTP a expiré" ||
		!strings.Contains(all[5].text, "a expiré le "+expiredOn) {
		t.Errorf("emma's notices: %q then %q (%q), want the new card, then its expiry on %s", all[4].subject, all[5].subject, all[5].text, expiredOn)
	}

	// A deleted user is forgotten by the notify module too.
	api.DeleteUser(t, anna).Want(t, http.StatusNoContent)
	var left int
	if err := s.sql(t).QueryRowContext(t.Context(), "SELECT count(*) FROM notify_recipients WHERE user_ext_id = $1", anna.User).Scan(&left); err != nil || left != 0 {
		t.Errorf("recipients of the deleted user: %d, %v; want none", left, err)
	}
	for _, m := range all {
		for _, c := range cells {
			if strings.Contains(m.text, c) || strings.Contains(m.html, c) || strings.Contains(m.subject, c) {
				t.Fatalf("a notice to %s carries a cell of the card", m.to)
			}
		}
	}
}

// TestNotificationsFollowTheUser: the notices of a card's use (low on cells, locked for good) go
// to the address the user has at that moment.
func TestNotificationsFollowTheUser(t *testing.T) {
	t.Parallel()
	mb := newMailbox(t)
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_SMTP_URL": "smtp://" + mb.addr, "OTPCARD_SMTP_FROM": "otpcard@bank.example"})
	api := s.root(t)
	bank := uid("notify-follow")
	api.CreateClient(t, client.ClientCreate{ExtID: bank, Name: bank}).Want(t, http.StatusCreated)
	// One success leaves 167 cells, the threshold; one failure locks the card for good.
	p := api.CreatePolicy(t, bank, client.PolicyCreate{Name: uid("strict"), PolicyType: "OTPCardPolicy", Parameters: map[string]string{
		"lowOnChallengesThreshold": "167", "maxCredFailureCount": "1", "tmpLockingThreshold": "-1"}}).Want(t, http.StatusCreated)
	fred := client.UserKey{Client: bank, User: uid("fred")}
	api.CreateUser(t, bank, client.UserCreate{ExtID: fred.User, LoginID: "fred", UserDetails: client.UserDetails{
		Contacts: &client.UserContacts{Email: "fred@example.com"}}}).Want(t, http.StatusCreated)
	card := api.CreateCard(t, fred, client.CredentialCreate{PolicyExtID: p.ExtID}).Want(t, http.StatusCreated)
	cells := cellsOf(t, card.OTP)
	label := challenge(t, api, fred)
	if got := logIn(t, api, fred, label, answer(t, cells, label)); got != 5 {
		t.Fatalf("login: status %d, want 5", got)
	}
	low := mb.waitFor(t, 2)[1]
	if low.to != "fred@example.com" || low.subject != "Your OTP card is running out of codes" || !strings.Contains(low.text, "has 167 unused codes") {
		t.Errorf("low on challenges: %+v", low)
	}
	api.PatchUser(t, fred, client.UserPatch{Contacts: &client.UserContacts{Email: "fred@new.example"}}).Want(t, http.StatusOK)
	label = challenge(t, api, fred)
	if got := logIn(t, api, fred, label, "0000"); got != 4 {
		t.Fatalf("wrong answer: status %d, want 4 (fail-locked)", got)
	}
	locked := mb.waitFor(t, 3)[2]
	if locked.to != "fred@new.example" || locked.subject != "Your OTP card was locked" {
		t.Errorf("fail-locked: %+v, want it at the new address", locked)
	}
}
