package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/otpcard/otpcard/adapters/mail"
	appnotify "github.com/otpcard/otpcard/application/notify"
)

// server is an SMTP server in the test process that answers MAIL FROM and RCPT TO as told.
type server struct {
	mail, rcpt error
	got        int
}

func (s *server) NewSession(*smtp.Conn) (smtp.Session, error) { return s, nil }
func (s *server) Reset()                                      {}
func (s *server) Logout() error                               { return nil }
func (s *server) Mail(string, *smtp.MailOptions) error        { return s.mail }
func (s *server) Rcpt(string, *smtp.RcptOptions) error        { return s.rcpt }
func (s *server) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.got++
	return err
}

// serve starts b on a loopback port, with TLS from the first byte when cfg is set.
func serve(t *testing.T, b *server, cfg *tls.Config) string {
	t.Helper()
	srv := smtp.NewServer(b)
	srv.Domain, srv.AllowInsecureAuth = "mail.test", true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return addr
}

func message() appnotify.Message {
	return appnotify.Message{To: "anna@example.com", Subject: "Your new OTP card", Text: "Hello Anna,\n", ID: "otpcard.notice.1"}
}

// TestSendTellsTheRefusalsApart: a 5xx to the recipient is a refusal for good, a 4xx to the
// recipient one for now, and a refusal of the sender (a setup that refuses every message) neither;
// no error names the recipient.
func TestSendTellsTheRefusalsApart(t *testing.T) {
	for name, tt := range map[string]struct {
		srv  server
		want error
	}{
		"accepted":          {server{}, nil},
		"no such mailbox":   {server{rcpt: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}}, appnotify.ErrRejected},
		"mailbox full":      {server{rcpt: &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}}, appnotify.ErrDeferred},
		"sender not let in": {server{mail: &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			srv := tt.srv
			sender, err := mail.NewSender("smtp://"+serve(t, &srv, nil), "otpcard@bank.example", nil)
			if err != nil {
				t.Fatal(err)
			}
			err = sender.Send(t.Context(), message())
			switch {
			case name == "accepted" && (err != nil || srv.got != 1):
				t.Errorf("got %v, %d messages; want it delivered", err, srv.got)
			case name == "sender not let in" && (err == nil || errors.Is(err, appnotify.ErrRejected) || errors.Is(err, appnotify.ErrDeferred)):
				t.Errorf("got %v, want an error to retry as it is", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "anna@example.com") {
				t.Errorf("the error names the recipient: %v", err)
			}
		})
	}
}

// selfSigned is a certificate for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestSMTPSVerifiesTheServer: smtps:// speaks TLS from the first byte and sends only to a server
// whose certificate it trusts.
func TestSMTPSVerifiesTheServer(t *testing.T) {
	cert, pool := selfSigned(t)
	var srv server
	addr := serve(t, &srv, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	trusting, err := mail.NewSender("smtps://"+addr, "otpcard@bank.example", &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := trusting.Send(t.Context(), message()); err != nil || srv.got != 1 {
		t.Fatalf("to a trusted server: got %v, %d messages; want it delivered", err, srv.got)
	}
	doubting, err := mail.NewSender("smtps://"+addr, "otpcard@bank.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := doubting.Send(t.Context(), message()); err == nil || srv.got != 1 {
		t.Errorf("to a server with an unknown certificate: got %v, %d messages; want an error and nothing sent", err, srv.got)
	}
}
