package directory

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// PrintSettings are how a client's print batches are made (API.md section 11.2): the age X25519
// recipients who can decrypt them (the print shop), the help-desk contact printed on the letters
// by language, and whether the console may hand a new card over in person. Whoever sets the
// recipients can read the next batch: a change is a change of the client.
type PrintSettings struct {
	Recipients       []string
	HelpdeskContact  map[string]string
	InPersonHandover bool
}

// PrintLanguages are the languages of the letters, as the keys of HelpdeskContact.
func PrintLanguages() []string { return []string{"EN", "DE", "FR", "IT"} }

// MaxPrintRecipients bounds the recipients of a client's batches.
const MaxPrintRecipients = 20

// SetPrintSettings replaces the client's print settings whole, each recipient checked by check
// (an age X25519 recipient; the adapter that encrypts knows the format). Language keys are read
// in any case and kept in capitals; a recipient given twice counts once. It reports whether
// anything changed, as Change does: new settings move the version and lastModified, the same
// ones leave the client as it is.
func (c *Client) SetPrintSettings(p PrintSettings, check func(recipient string) error, now time.Time) (bool, error) {
	next := *c
	next.Print = PrintSettings{InPersonHandover: p.InPersonHandover}
	for i, r := range p.Recipients {
		if err := check(r); err != nil {
			hint := "not an age X25519 recipient (age1...)"
			if strings.HasPrefix(strings.ToUpper(r), "AGE-SECRET-KEY-") {
				hint = "a secret key: set its public recipient instead (age-keygen -y), and keep the key with the print shop"
			}
			return false, &InvalidFieldError{fmt.Sprintf("recipients[%d]", i), "is " + hint} // never echo the value: it may be a key
		}
		if !slices.Contains(next.Print.Recipients, r) {
			next.Print.Recipients = append(next.Print.Recipients, r)
		}
	}
	if len(next.Print.Recipients) > MaxPrintRecipients {
		return false, &InvalidFieldError{"recipients", fmt.Sprintf("has more than %d recipients", MaxPrintRecipients)}
	}
	for lang, contact := range p.HelpdeskContact {
		key := strings.ToUpper(lang)
		switch {
		case !slices.Contains(PrintLanguages(), key):
			return false, &InvalidFieldError{"helpdeskContact", fmt.Sprintf("%q is not a language of the letters (EN, DE, FR, IT)", shorten(lang))}
		case next.Print.HelpdeskContact[key] != "":
			return false, &InvalidFieldError{"helpdeskContact", fmt.Sprintf("gives %s twice", key)}
		case utf8.RuneCountInString(contact) > 500:
			return false, &InvalidFieldError{"helpdeskContact." + key, "is longer than 500 characters"}
		case strings.IndexFunc(contact, unprintable) >= 0:
			return false, &InvalidFieldError{"helpdeskContact." + key, "holds a control or text-direction character"}
		case strings.TrimSpace(contact) == "":
			continue // an empty contact is no contact
		}
		if next.Print.HelpdeskContact == nil {
			next.Print.HelpdeskContact = map[string]string{}
		}
		next.Print.HelpdeskContact[key] = strings.TrimSpace(contact)
	}
	return commit(c, next, Client.validate, func(next *Client) {
		next.LastModified, next.Version = later(now, c.LastModified), c.Version+1
	})
}

// shorten keeps a rejected value short enough to name in an error.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	return string([]rune(s)[:77]) + "..."
}

// unprintable tells a character that has no place in a printed line: controls (a newline, a bell)
// and the marks that reverse the direction of text.
func unprintable(r rune) bool {
	return unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}
