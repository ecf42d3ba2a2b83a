// Package mail is the notify module's way out: it renders notices from templates (text/template
// for the text part, html/template for the HTML part) and sends them through an SMTP server.
package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	texttemplate "text/template"
	"time"

	appnotify "github.com/otpcard/otpcard/application/notify"
	"github.com/otpcard/otpcard/domain/notify"
)

//go:embed templates
var embedded embed.FS

// Composer renders notices from the built-in templates, each of which a file of the same name in
// an override directory replaces: {kind}.{language}.txt defines "subject" and "text" (text/template);
// the HTML part is {kind}.{language}.html when there is one, else layout.html (both
// html/template, defining "html"), which sets the text's paragraphs. Every template is parsed at
// start, so a broken override stops the start instead of a notice.
type Composer struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template // by file name; "layout.html" always present
}

var _ appnotify.Composer = (*Composer)(nil)

// funcs are the helpers the templates may call.
var funcs = map[string]any{
	"date":     func(t time.Time) (string, error) { return format(t, "2006-01-02") },
	"datetime": func(t time.Time) (string, error) { return format(t, "2006-01-02 15:04 UTC") },
}

// format writes t in layout; a time the event did not carry is an error rather than year 1.
func format(t time.Time, layout string) (string, error) {
	if t.IsZero() {
		return "", errors.New("the event carries no such time")
	}
	return t.UTC().Format(layout), nil
}

// sampleOf is a notice of the kind with the values its events carry, and no other: each template
// is rendered with it at start, so that a template that names a value its notice does not have
// fails the start, not a notice.
func sampleOf(kind notify.Kind, lang string) appnotify.Notice {
	n := appnotify.Notice{Kind: kind, Language: lang, FirstName: "Anna", FamilyName: "Muster",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), CredentialExtID: "card"}
	switch kind {
	case notify.CardCloseToExpiration, notify.CardExpired:
		n.ValidTo = time.Date(2036, 1, 2, 3, 4, 5, 0, time.UTC)
	case notify.CardLowOnChallenges:
		n.RemainingChallenges = "20"
	}
	return n
}

// NewComposer parses the built-in templates and, when dir is not empty, the files of dir that
// replace them; a file in dir that replaces none is an error (a misspelt override would be
// ignored silently otherwise).
func NewComposer(dir string) (*Composer, error) {
	sources := map[string][]byte{}
	err := fs.WalkDir(embedded, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := embedded.ReadFile(path)
		sources[d.Name()] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("read the templates: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if _, known := sources[e.Name()]; !known && !isHTMLOverride(e.Name()) {
				return nil, fmt.Errorf("template %s replaces no template: the names are {kind}.{language}.txt, {kind}.{language}.html and layout.html", e.Name())
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("read the templates: %w", err)
			}
			sources[e.Name()] = b
		}
	}
	c := &Composer{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	for name, src := range sources {
		if err := c.parse(name, string(src)); err != nil {
			return nil, err
		}
	}
	for _, kind := range notify.Kinds() {
		for _, lang := range notify.Languages {
			if _, ok := c.text[textName(kind, lang)]; !ok {
				return nil, fmt.Errorf("template %s is missing", textName(kind, lang))
			}
			if _, err := c.Compose(sampleOf(kind, lang)); err != nil {
				return nil, fmt.Errorf("template %s or its HTML: %w", textName(kind, lang), err)
			}
		}
	}
	return c, nil
}

func (c *Composer) parse(name, src string) error {
	switch {
	case strings.HasSuffix(name, ".txt"):
		t, err := texttemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		if t.Lookup("subject") == nil || t.Lookup("text") == nil {
			return fmt.Errorf("template %s: define both \"subject\" and \"text\"", name)
		}
		c.text[name] = t
	case strings.HasSuffix(name, ".html"):
		t, err := htmltemplate.New(name).Funcs(funcs).Option("missingkey=error").Parse(src)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		if t.Lookup("html") == nil {
			return fmt.Errorf("template %s: define \"html\"", name)
		}
		c.html[name] = t
	}
	return nil
}

// isHTMLOverride tells whether name is the HTML template of a notice, {kind}.{language}.html.
func isHTMLOverride(name string) bool {
	for _, kind := range notify.Kinds() {
		for _, lang := range notify.Languages {
			if name == string(kind)+"."+lang+".html" {
				return true
			}
		}
	}
	return false
}

func textName(kind notify.Kind, lang string) string { return string(kind) + "." + lang + ".txt" }

// htmlData is what the HTML templates see: the notice, its subject and its text's paragraphs.
type htmlData struct {
	appnotify.Notice
	Subject    string
	Paragraphs []string
}

// Compose renders the notice in its language (English for any other).
func (c *Composer) Compose(n appnotify.Notice) (appnotify.Message, error) {
	lang := notify.LanguageOf(n.Language)
	n.Language = lang
	t := c.text[textName(n.Kind, lang)]
	if t == nil {
		return appnotify.Message{}, fmt.Errorf("no template for the notice %q", n.Kind)
	}
	var subject, text bytes.Buffer
	if err := t.ExecuteTemplate(&subject, "subject", n); err != nil {
		return appnotify.Message{}, err
	}
	if err := t.ExecuteTemplate(&text, "text", n); err != nil {
		return appnotify.Message{}, err
	}
	m := appnotify.Message{Subject: strings.Join(strings.Fields(subject.String()), " "), Text: strings.TrimSpace(text.String()) + "\n"}
	if strings.ContainsAny(m.Subject, "\r\n") || m.Subject == "" {
		return appnotify.Message{}, errors.New("a notice needs a subject of one line")
	}
	h := c.html[string(n.Kind)+"."+lang+".html"]
	if h == nil {
		h = c.html["layout.html"]
	}
	var paragraphs []string
	for _, p := range strings.Split(m.Text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			paragraphs = append(paragraphs, p)
		}
	}
	var html bytes.Buffer
	if err := h.ExecuteTemplate(&html, "html", htmlData{Notice: n, Subject: m.Subject, Paragraphs: paragraphs}); err != nil {
		return appnotify.Message{}, err
	}
	m.HTML = html.String()
	return m, nil
}
