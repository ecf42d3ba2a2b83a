package mail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/mail"
	appnotify "github.com/otpcard/otpcard/application/notify"
	"github.com/otpcard/otpcard/domain/notify"
)

var when = time.Date(2026, 12, 4, 9, 30, 0, 0, time.UTC)

func notice(kind notify.Kind, lang string) appnotify.Notice {
	return appnotify.Notice{Kind: kind, Language: lang, FirstName: "Anna", FamilyName: "Muster", Time: when,
		CredentialExtID: "anna-card", ValidTo: when.AddDate(0, 0, 9), RemainingChallenges: "20"}
}

// TestEveryNoticeRendersInEveryLanguage: each notice has a one-line subject, a text that greets
// the user and says what happened (with its date, or cells left), and an HTML part with the same
// paragraphs; other languages fall back to English.
func TestEveryNoticeRendersInEveryLanguage(t *testing.T) {
	c, err := mail.NewComposer("")
	if err != nil {
		t.Fatal(err)
	}
	greeting := map[string]string{"en": "Hello Anna,", "de": "Guten Tag Anna,", "fr": "Bonjour Anna,", "it": "Buongiorno Anna,"}
	subjects := map[string]bool{}
	for _, kind := range notify.Kinds() {
		for _, lang := range notify.Languages {
			m, err := c.Compose(notice(kind, lang))
			if err != nil {
				t.Fatalf("%s in %s: %v", kind, lang, err)
			}
			if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") || subjects[m.Subject] {
				t.Errorf("%s in %s: subject %q, want one line of its own", kind, lang, m.Subject)
			}
			subjects[m.Subject] = true
			if !strings.HasPrefix(m.Text, greeting[lang]) || strings.Contains(m.Text, "<no value>") {
				t.Errorf("%s in %s: text %q, want it to greet Anna and fill every value", kind, lang, m.Text)
			}
			want := map[notify.Kind]string{notify.CardCloseToExpiration: "2026-12-13", notify.CardExpired: "2026-12-13",
				notify.CardLowOnChallenges: " 20 ", notify.CardFailLocked: "2026-12-04 09:30 UTC"}[kind]
			if want == "" {
				want = "2026-12-04"
			}
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s in %s: text %q lacks %q", kind, lang, m.Text, want)
			}
			if !strings.Contains(m.HTML, `<html lang="`+lang+`">`) || strings.Count(m.HTML, "<p>") != strings.Count(strings.TrimSpace(m.Text), "\n\n")+1 {
				t.Errorf("%s in %s: HTML %q, want the text's paragraphs", kind, lang, m.HTML)
			}
		}
	}
	renewed := notice(notify.CardRenewed, "en")
	renewed.PredecessorRetired = true
	if m, err := c.Compose(renewed); err != nil || !strings.Contains(m.Text, "Your current card no longer works") {
		t.Errorf("a renewal without fallback: %q, %v; want it to say the current card no longer works", m.Text, err)
	}
	if m, _ := c.Compose(notice(notify.CardRenewed, "en")); !strings.Contains(m.Text, "Keep using the current card") {
		t.Errorf("a renewal with fallback: %q, want it to say to keep using the current card", m.Text)
	}
	if _, err := c.Compose(appnotify.Notice{Kind: notify.CardExpired, Language: "en", Time: when}); err == nil {
		t.Error("an expiry notice without the card's validity: got no error, want one (never the year 1)")
	}
	m, err := c.Compose(notice(notify.CardIssued, "rm"))
	if err != nil || m.Subject != "Your new OTP card" {
		t.Errorf("Romansh: %q, %v; want the English notice", m.Subject, err)
	}
}

// TestHTMLEscapesWhatUsersWrote: a name is text in the HTML part, never markup.
func TestHTMLEscapesWhatUsersWrote(t *testing.T) {
	c, err := mail.NewComposer("")
	if err != nil {
		t.Fatal(err)
	}
	n := notice(notify.CardReplaced, "en")
	n.FirstName = `<img src=x onerror="alert(1)">`
	m, err := c.Compose(n)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<img") || !strings.Contains(m.HTML, "&lt;img") {
		t.Errorf("HTML %q, want the name escaped", m.HTML)
	}
}

// TestTemplatesOverride: a file of the override directory replaces the built-in template of that
// name, an HTML template of a notice replaces the layout for it, and a misspelt or broken file
// stops NewComposer with its name.
func TestTemplatesOverride(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("card-issued.en.txt", `{{define "subject"}}Example Bank: your card{{end}}{{define "text"}}Dear {{.FirstName}} {{.FamilyName}}, see you at the branch.{{end}}`)
	write("card-issued.en.html", `{{define "html"}}<p class="bank">{{.Subject}}</p>{{end}}`)
	c, err := mail.NewComposer(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.Compose(notice(notify.CardIssued, "en"))
	if err != nil || m.Subject != "Example Bank: your card" || m.Text != "Dear Anna Muster, see you at the branch.\n" ||
		m.HTML != `<p class="bank">Example Bank: your card</p>` {
		t.Errorf("overridden: %+v, %v", m, err)
	}
	if m, _ := c.Compose(notice(notify.CardIssued, "de")); m.Subject != "Ihre neue OTP-Karte" {
		t.Errorf("German kept: subject %q", m.Subject)
	}
	for name, src := range map[string]string{
		"card-isued.en.txt":    `{{define "subject"}}x{{end}}{{define "text"}}x{{end}}`,
		"card-expired.de.txt":  `{{define "subject"}}x{{end}}`,
		"card-expired.fr.txt":  `{{define "subject"}}{{.Nope}`,
		"card-expired.it.txt":  `{{define "subject"}}x{{end}}{{define "text"}}{{.Nope}}{{end}}`,
		"card-issued.de.txt":   `{{define "subject"}}x{{end}}{{define "text"}}{{date .ValidTo}}{{end}}`,
		"layout.html":          `<p>no html block</p>`,
		"card-renewed.it.html": `{{define "html"}}{{end`,
	} {
		bad := t.TempDir()
		if err := os.WriteFile(filepath.Join(bad, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := mail.NewComposer(bad); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v, want an error naming it", name, err)
		}
	}
}
