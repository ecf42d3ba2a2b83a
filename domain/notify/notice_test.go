package notify_test

import (
	"testing"

	"github.com/otpcard/otpcard/domain/event"
	"github.com/otpcard/otpcard/domain/notify"
)

func TestNoticeOf(t *testing.T) {
	for _, tt := range []struct {
		typ   event.Type
		user  string
		state string
		want  notify.Kind
	}{
		{"otp-card.created", "u", "initial", notify.CardIssued},
		{"otp-card.replaced", "u", "active", notify.CardReplaced},
		{"otp-card.renewed", "u", "initial", notify.CardRenewed},
		{"otp-card.close-to-expiration", "u", "active", notify.CardCloseToExpiration},
		{"otp-card.expired", "u", "active", notify.CardExpired},
		{"otp-card.low-on-challenges", "u", "active", notify.CardLowOnChallenges},
		{"otp-card.locked", "u", "fail-locked", notify.CardFailLocked},
		{"otp-card.locked", "u", "tmp-locked", ""},
		{"otp-card.login-succeeded", "u", "active", ""},
		{"otp-card.deleted", "u", "active", ""},
		{"user.created", "u", "", ""},
		{"otp-card.created", "", "initial", ""},
	} {
		got, ok := notify.NoticeOf(event.Event{Type: tt.typ, UserExtID: tt.user, Data: map[string]string{"stateName": tt.state}})
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s (%s): got %q, %v; want %q", tt.typ, tt.state, got, ok, tt.want)
		}
	}
}

func TestLanguageOf(t *testing.T) {
	for code, want := range map[string]string{"de": "de", "DE": "de", "Fr": "fr", "it": "it", "en": "en", "rm": "en", "": "en", "deu": "en"} {
		if got := notify.LanguageOf(code); got != want {
			t.Errorf("%q: got %q, want %q", code, got, want)
		}
	}
}
