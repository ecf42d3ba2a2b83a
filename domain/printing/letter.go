package printing

import (
	"strings"
	"time"
)

// Sender is what a client's letters say about it, from the client's profile and print settings:
// the module's copy, kept in step with the directory.
type Sender struct {
	ClientExtID string
	// DisplayName is the client's display name by language code (any case); Name is used when
	// none fits.
	Name        string
	DisplayName map[string]string
	Recipients  []string
	// HelpdeskContact is how users reach the help desk, by language (EN, DE, FR, IT).
	HelpdeskContact  map[string]string
	InPersonHandover bool
}

// Addressee is who a letter goes to, from the user's profile: the module's copy.
type Addressee struct {
	ClientExtID, UserExtID string
	LanguageCode           string
	Title, FirstName       string
	FamilyName             string
	// Address lines in the order of a postal address; empty ones are dropped when printed.
	Street, HouseNumber, AddressLine1, AddressLine2 string
	PostOfficeBox, PostalCode, City, CountryCode    string
}

// Card is a new card on its way to its letter, with its cells in clear: it exists only in memory,
// between the card's generation and the chunk's encryption.
type Card struct {
	UserExtID, CredentialExtID string
	Serial                     string
	ValidTo                    time.Time
	// Rows, Cols, CellLength, Charset and Coordinate are the card's layout.
	Rows, Cols, CellLength int
	Charset                string
	Coordinate             bool
	Cells                  []string
	ChallengeSize          int
}

// Letter is one page of a batch: a card and what its letter says, in one language.
type Letter struct {
	Language          string // en, de, fr or it
	ClientDisplayName string
	Name              string
	AddressLines      []string
	HelpdeskContact   string
	ControlNumber     int
	Card              Card
}

// LetterLanguages are the languages letters are written in; any other language gets English.
var letterLanguages = []string{"en", "de", "fr", "it"}

// LetterLanguage is the language of a user's letter: their languageCode when a letter is written
// in it, else English.
func LetterLanguage(languageCode string) string {
	code := strings.ToLower(strings.TrimSpace(languageCode))
	if i := strings.IndexAny(code, "-_"); i > 0 {
		code = code[:i] // de-CH reads German
	}
	for _, l := range letterLanguages {
		if l == code {
			return l
		}
	}
	return "en"
}

// Compose writes the letter that brings card to a, from s, numbered control.
func Compose(s Sender, a Addressee, card Card, control int) Letter {
	lang := LetterLanguage(a.LanguageCode)
	return Letter{
		Language:          lang,
		ClientDisplayName: s.displayName(lang),
		Name:              a.name(),
		AddressLines:      a.addressLines(),
		HelpdeskContact:   s.helpdeskContact(lang),
		ControlNumber:     control,
		Card:              card,
	}
}

// displayName is the client's name in lang, else in English, else its name.
func (s Sender) displayName(lang string) string {
	for _, want := range []string{lang, "en"} {
		for k, v := range s.DisplayName {
			if strings.EqualFold(k, want) && strings.TrimSpace(v) != "" {
				return v
			}
		}
	}
	return s.Name
}

// helpdeskContact is the help desk's contact in lang, else in English (API.md 11.2: letters fall
// back to en), else none.
func (s Sender) helpdeskContact(lang string) string {
	if c := s.HelpdeskContact[strings.ToUpper(lang)]; c != "" {
		return c
	}
	return s.HelpdeskContact["EN"]
}

// name is the user's name as the envelope shows it; a user without one is addressed by extId.
func (a Addressee) name() string {
	name := strings.Join(strings.Fields(a.Title+" "+a.FirstName+" "+a.FamilyName), " ")
	if name == "" {
		return a.UserExtID
	}
	return name
}

// addressLines are the lines under the name: street and number, the extra lines, the post office
// box, postal code and city, country.
func (a Addressee) addressLines() []string {
	lines := []string{
		join(a.Street, a.HouseNumber), a.AddressLine1, a.AddressLine2, a.PostOfficeBox,
		join(a.PostalCode, a.City), strings.ToUpper(a.CountryCode),
	}
	kept := lines[:0]
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			kept = append(kept, l)
		}
	}
	return kept
}

func join(a, b string) string {
	return strings.TrimSpace(strings.TrimSpace(a) + " " + strings.TrimSpace(b))
}
