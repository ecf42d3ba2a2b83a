package mail_test

import (
	"testing"

	"github.com/otpcard/otpcard/adapters/mail"
)

func TestParseSMTPURL(t *testing.T) {
	for _, ok := range []string{"smtps://mail.example.com", "smtp://mail.example.com:2525", "smtp://127.0.0.1:1025",
		"smtps://user:p%40ss@mail.example.com:465", "smtp://localhost"} {
		if _, _, err := mail.ParseSMTPURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "mail.example.com", "http://mail.example.com", "smtp://", "smtp://host:0",
		"smtp://host:99999", "smtp://host/path", "smtp://host?x=1"} {
		if _, _, err := mail.ParseSMTPURL(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}
