package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	appnotify "github.com/otpcard/otpcard/application/notify"
)

// Sender sends messages through one SMTP server, a connection per message (notices are few: a
// connection held open would mostly idle).
type Sender struct {
	host   string
	opts   []gomail.Option
	from   string
	domain string // of the sender's address, for the messages' Message-ID
}

var _ appnotify.Mailer = (*Sender)(nil)

// ParseSMTPURL checks an SMTP URL as OTPCARD_SMTP_URL takes it and returns the client options:
// smtps://[user:password@]host[:port] speaks TLS from the first byte (port 465 by default);
// smtp://[user:password@]host[:port] requires STARTTLS (port 587 by default), except to a
// loopback host (a relay on the same machine), which it speaks to without TLS. A user and
// password (percent-encoded in the URL) authenticate with the best mechanism the server offers.
func ParseSMTPURL(raw string) (host string, opts []gomail.Option, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", nil, errors.New("must be smtps://[user:password@]host[:port] or smtp://[user:password@]host[:port]")
	}
	host = u.Hostname()
	port := 587
	opts = []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	switch {
	case u.Scheme == "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	case isLoopback(host):
		// A relay on this machine: nothing crosses a network, and such relays often present a
		// certificate for another name, which STARTTLS would refuse.
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return "", nil, fmt.Errorf("port %q is no port number", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil {
		password, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(password))
	}
	return host, opts, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewSender builds the sender for the SMTP URL (see ParseSMTPURL) and the From address; roots,
// when not nil, are the certificate authorities trusted for the server's certificate instead of
// the system's (for tests).
func NewSender(rawURL, from string, roots *tls.Config) (*Sender, error) {
	host, opts, err := ParseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("the From address %q: %w", from, err)
	}
	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if roots != nil {
		tlsConfig.RootCAs = roots.RootCAs
	}
	opts = append(opts, gomail.WithTLSConfig(tlsConfig))
	_, domain, _ := strings.Cut(addr.Address, "@")
	return &Sender{host: host, opts: opts, from: addr.String(), domain: domain}, nil
}

// Send delivers m. A permanent refusal (a 5xx reply) is appnotify.ErrRejected; anything else
// (the server unreachable, a 4xx reply) is worth another try.
func (s *Sender) Send(ctx context.Context, m appnotify.Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("%w: from: %v", appnotify.ErrRejected, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("%w: to: %v", appnotify.ErrRejected, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@" + s.domain)
	msg.SetDate()
	msg.SetBulk()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	client, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	return classify(client.DialAndSendWithContext(ctx, msg))
}

// classify tells a refusal of this one message from a server that refuses every message for now.
// A 5xx to the recipient or to the message's content is appnotify.ErrRejected, a 4xx to the
// recipient (a mailbox full, say) appnotify.ErrDeferred; any other failure (the server unreachable,
// MAIL FROM refused: a setup that refuses every message) is worth retrying as it is. The error
// names the server's reply code, never the recipient or the message.
func classify(err error) error {
	var failed *gomail.SendError
	if err == nil || !errors.As(err, &failed) {
		return err
	}
	code := failed.ErrorCode()
	what := fmt.Sprintf("the mail server answered %d %s while %s", code, failed.EnhancedStatusCode(), failed.Reason)
	perMessage := failed.Reason == gomail.ErrSMTPRcptTo || failed.Reason == gomail.ErrSMTPData || failed.Reason == gomail.ErrSMTPDataClose
	switch {
	case perMessage && code >= 500 && code < 600:
		return fmt.Errorf("%w: %s", appnotify.ErrRejected, what)
	case failed.Reason == gomail.ErrSMTPRcptTo && code >= 400 && code < 500:
		return fmt.Errorf("%w: %s", appnotify.ErrDeferred, what)
	}
	return errors.New(what)
}
