package printing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/domain/printing"
)

// bank is a sender with display names in English and German and help-desk contacts for both.
var bank = printing.Sender{ClientExtID: "client-a", Name: "acme",
	DisplayName:     map[string]string{"EN": "Acme Bank", "de": "Acme Bank AG"},
	Recipients:      recipients,
	HelpdeskContact: map[string]string{"EN": "+41 44 000 00 00 (English)", "DE": "+41 44 000 00 01 (Deutsch)"}}

// newCard is a 2x2 card of user with cells in clear.
func newCard(user, serial string) printing.Card {
	return printing.Card{UserExtID: user, CredentialExtID: "card-" + user, Serial: serial,
		ValidTo: now.AddDate(3, 0, 0), Rows: 2, Cols: 2, CellLength: 6, Charset: "digits", Coordinate: true,
		Cells: []string{"481516", "234200", "987123", "555019"}, ChallengeSize: 1}
}

func TestLetterLanguage(t *testing.T) {
	for _, tt := range []struct{ code, want string }{
		{"en", "en"}, {"de", "de"}, {"fr", "fr"}, {"it", "it"},
		{"de-CH", "de"}, {"fr_CH", "fr"}, {"it-IT", "it"}, {"en-GB", "en"},
		{"FR", "fr"}, {"De", "de"}, {" it ", "it"}, {"DE-ch", "de"},
		{"xx", "en"}, {"", "en"}, {"rm", "en"}, {"deu", "en"}, {"-de", "en"}, {"es-ES", "en"},
	} {
		if got := printing.LetterLanguage(tt.code); got != tt.want {
			t.Errorf("LetterLanguage(%q): got %q, want %q", tt.code, got, tt.want)
		}
	}
}

// TestComposeDisplayName: the client's display name in the letter's language (keys in any case),
// else in English, else the client's name.
func TestComposeDisplayName(t *testing.T) {
	for _, tt := range []struct {
		name     string
		display  map[string]string
		language string
		want     string
	}{
		{"in the user's language", map[string]string{"EN": "Acme Bank", "DE": "Acme Bank AG"}, "de-CH", "Acme Bank AG"},
		{"a key in lower case", map[string]string{"en": "Acme Bank", "de": "Acme Bank AG"}, "DE", "Acme Bank AG"},
		{"English for a language without one", map[string]string{"EN": "Acme Bank", "DE": "Acme Bank AG"}, "fr", "Acme Bank"},
		{"English for a language of no letter", map[string]string{"EN": "Acme Bank", "DE": "Acme Bank AG"}, "xx", "Acme Bank"},
		{"English for a blank one", map[string]string{"EN": "Acme Bank", "IT": "  "}, "it", "Acme Bank"},
		{"the name without English", map[string]string{"DE": "Acme Bank AG"}, "fr", "acme"},
		{"the name for a blank English one", map[string]string{"EN": " "}, "en", "acme"},
		{"the name without display names", nil, "de", "acme"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := bank
			s.DisplayName = tt.display
			l := printing.Compose(s, printing.Addressee{UserExtID: "user-a", LanguageCode: tt.language}, newCard("user-a", "S1"), 1)
			if l.ClientDisplayName != tt.want {
				t.Errorf("ClientDisplayName: got %q, want %q", l.ClientDisplayName, tt.want)
			}
		})
	}
}

// TestComposeName: the envelope's name is title, first and family name; a user without a name is
// addressed by extId.
func TestComposeName(t *testing.T) {
	for _, tt := range []struct {
		name string
		a    printing.Addressee
		want string
	}{
		{"title, first and family name", printing.Addressee{Title: "Dr.", FirstName: "Anna", FamilyName: "Muster"}, "Dr. Anna Muster"},
		{"no title", printing.Addressee{FirstName: "Anna", FamilyName: "Muster"}, "Anna Muster"},
		{"family name only", printing.Addressee{FamilyName: "Muster"}, "Muster"},
		{"spaces collapse", printing.Addressee{Title: " ", FirstName: " Anna  Maria ", FamilyName: "Muster\t"}, "Anna Maria Muster"},
		{"no name", printing.Addressee{}, "user-a"},
		{"a blank name", printing.Addressee{FirstName: "  ", FamilyName: "\t"}, "user-a"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.UserExtID = "user-a"
			if got := printing.Compose(bank, tt.a, newCard("user-a", "S1"), 1).Name; got != tt.want {
				t.Errorf("Name: got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestComposeAddressLines: street and number, the extra lines, the post office box, postal code
// and city, country in capitals; empty lines are dropped.
func TestComposeAddressLines(t *testing.T) {
	for _, tt := range []struct {
		name string
		a    printing.Addressee
		want []string
	}{
		{"every line", printing.Addressee{Street: "Bahnhofstrasse", HouseNumber: "1a", AddressLine1: "c/o Muster AG",
			AddressLine2: "3. Stock", PostOfficeBox: "Postfach 12", PostalCode: "8001", City: "Zürich", CountryCode: "ch"},
			[]string{"Bahnhofstrasse 1a", "c/o Muster AG", "3. Stock", "Postfach 12", "8001 Zürich", "CH"}},
		{"a street without number", printing.Addressee{Street: "Bahnhofstrasse", City: "Zürich"},
			[]string{"Bahnhofstrasse", "Zürich"}},
		{"a number without street", printing.Addressee{HouseNumber: "7", PostalCode: "8001"},
			[]string{"7", "8001"}},
		{"blank lines dropped", printing.Addressee{Street: " ", AddressLine1: "  ", AddressLine2: "Haus B ",
			PostalCode: " 3000 ", City: " Bern ", CountryCode: " "},
			[]string{"Haus B", "3000 Bern"}},
		{"no address", printing.Addressee{}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := printing.Compose(bank, tt.a, newCard("user-a", "S1"), 1).AddressLines
			if !slices.Equal(got, tt.want) {
				t.Errorf("AddressLines: got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestComposeHelpdeskContact: the letter gives the contact in its own language.
func TestComposeHelpdeskContact(t *testing.T) {
	for _, tt := range []struct{ language, want string }{
		{"de", "+41 44 000 00 01 (Deutsch)"},
		{"DE-CH", "+41 44 000 00 01 (Deutsch)"},
		{"en", "+41 44 000 00 00 (English)"},
		{"xx", "+41 44 000 00 00 (English)"},
	} {
		l := printing.Compose(bank, printing.Addressee{UserExtID: "user-a", LanguageCode: tt.language}, newCard("user-a", "S1"), 1)
		if l.HelpdeskContact != tt.want {
			t.Errorf("language %q: HelpdeskContact got %q, want %q", tt.language, l.HelpdeskContact, tt.want)
		}
	}
	none := bank
	none.HelpdeskContact = nil
	if l := printing.Compose(none, printing.Addressee{LanguageCode: "de"}, newCard("user-a", "S1"), 1); l.HelpdeskContact != "" {
		t.Errorf("no contacts: HelpdeskContact got %q, want empty", l.HelpdeskContact)
	}
}

// TestComposeHelpdeskContactFallsBackToEnglish: a letter in a language the client gave no
// contact for gives the English contact, as the display name does (API.md section 11.2:
// "languages en, de, fr, it, falling back to en"), rather than leaving the user with none.
func TestComposeHelpdeskContactFallsBackToEnglish(t *testing.T) {
	l := printing.Compose(bank, printing.Addressee{UserExtID: "user-a", LanguageCode: "fr"}, newCard("user-a", "S1"), 1)
	if want := "+41 44 000 00 00 (English)"; l.HelpdeskContact != want {
		t.Errorf("French letter of a client with EN and DE contacts: HelpdeskContact got %q, want %q", l.HelpdeskContact, want)
	}
}

// TestComposeCarriesCardAndControlNumber: the letter is numbered and carries its card whole.
func TestComposeCarriesCardAndControlNumber(t *testing.T) {
	card := newCard("user-a", "S1")
	l := printing.Compose(bank, printing.Addressee{UserExtID: "user-a", LanguageCode: "it"}, card, 42)
	if l.ControlNumber != 42 || l.Language != "it" {
		t.Errorf("got control number %d in %q, want 42 in %q", l.ControlNumber, l.Language, "it")
	}
	if l.Card.Serial != card.Serial || !slices.Equal(l.Card.Cells, card.Cells) || !l.Card.ValidTo.Equal(card.ValidTo) {
		t.Errorf("Card: got %+v, want %+v", l.Card, card)
	}
}

// TestManifest: one row per letter (control number, serial, userExtId, page of the chunk's PDF)
// under a header, and never a cell.
func TestManifest(t *testing.T) {
	a := printing.Addressee{LanguageCode: "de"}
	letters := []printing.Letter{
		printing.Compose(bank, a, newCard("user-a", "0001-0001"), 501),
		printing.Compose(bank, a, newCard("user-b", "0001-0002"), 502),
		printing.Compose(bank, a, newCard("user,c", "0001-0003"), 503), // a comma is quoted
	}
	got := string(printing.Manifest(letters))
	want := "controlNumber,serialNumber,userExtId,page\n" +
		"501,0001-0001,user-a,1\n" +
		"502,0001-0002,user-b,2\n" +
		"503,0001-0003,\"user,c\",3\n"
	if got != want {
		t.Errorf("got manifest\n%s\nwant\n%s", got, want)
	}
	for _, l := range letters {
		for _, cell := range l.Card.Cells {
			if strings.Contains(got, cell) {
				t.Errorf("got a manifest holding cell %q, want no cell", cell)
			}
		}
	}
}

// TestManifestOfNoLetters is the header alone.
func TestManifestOfNoLetters(t *testing.T) {
	if got, want := string(printing.Manifest(nil)), "controlNumber,serialNumber,userExtId,page\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
