package pdfcard

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
)

var letterTime = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

func letterOf(t *testing.T, l credential.Layout, lang string, n int) Letter {
	t.Helper()
	cells, err := credential.GenerateCells(l, rand.NewChaCha8([32]byte{byte(n)}))
	if err != nil {
		t.Fatal(err)
	}
	return Letter{Language: lang, ClientDisplayName: "Banque Exemple SA", Name: "Anna Müller",
		AddressLines: []string{"Bahnhofstrasse 1", "8001 Zürich"}, Serial: "7QX2-B9KM-03TD", ValidTo: letterTime.AddDate(10, 0, 0),
		Layout: l, Cells: cells, ChallengeSize: 1, HelpdeskContact: "+41 44 000 00 00", ControlNumber: n}
}

// TestLettersPrintTheCardAtWalletSize: each letter is one page; its grid fits inside the
// wallet-size card at a legible size; every cell is shown; the letter speaks the user's language.
func TestLettersPrintTheCardAtWalletSize(t *testing.T) {
	crockford, digits := credential.CharsetCrockford32, credential.CharsetDigits
	layouts := []credential.Layout{
		{Rows: 12, Cols: 14, CellLength: 4, Charset: crockford},
		{Rows: 12, Cols: 14, CellLength: 4, Charset: crockford, Coordinate: true},
		{Rows: 3, Cols: 5, CellLength: 6, Charset: digits, Coordinate: true},
		{Rows: 1, Cols: 1, CellLength: 2, Charset: digits},
	}
	subjects := map[string]string{"en": "Your OTP card", "de": "Ihre OTP-Karte", "fr": "Votre carte OTP", "it": "La sua carta OTP", "rm": "Your OTP card"}
	var letters []Letter
	n := 0
	for _, l := range layouts {
		for lang := range subjects {
			n++
			letter := letterOf(t, l, lang, n)
			g, err := letter.plan()
			if err != nil {
				t.Fatalf("%dx%dx%d: %v", l.Rows, l.Cols, l.CellLength, err)
			}
			inside := g.gridX >= cardX()+cardPad-1e-9 && g.gridX+g.gridW <= cardX()+cardW-cardPad+1e-9 &&
				g.gridY >= cardY()+cardPad+cardTopStrip-1e-9 && g.gridY+g.gridH <= cardY()+cardH-cardPad-cardFootStrip+1e-9
			if !inside || g.font < minWalletFont {
				t.Errorf("%dx%dx%d: grid at %.1f,%.1f size %.1fx%.1f font %.2f, want inside the card at %v pt or more",
					l.Rows, l.Cols, l.CellLength, g.gridX, g.gridY, g.gridW, g.gridH, g.font, minWalletFont)
			}
			letters = append(letters, letter)
		}
	}
	pdf, err := RenderLetters(letters, letterTime)
	if err != nil {
		t.Fatal(err)
	}
	if pages := len(regexp.MustCompile(`/Type\s*/Page\b[^s]`).FindAll(pdf, -1)); pages != len(letters) {
		t.Errorf("%d pages for %d letters", pages, len(letters))
	}
	texts := shownText(pdf)
	for _, letter := range letters {
		for i, cell := range letter.Cells {
			if texts[cell] == 0 {
				t.Fatalf("letter %d: cell %s is not shown", letter.ControlNumber, letter.Layout.Label(i))
			}
			texts[cell]--
		}
	}
	for lang, subject := range subjects {
		if !bytes.Contains(pdf, []byte("("+subject+")")) {
			t.Errorf("%s: the subject %q is not shown", lang, subject)
		}
	}
	for _, want := range []string{"(Anna M\xfcller)", "(8001 Z\xfcrich)", "Valid until 11/2036", "(Serial No. 7QX2-B9KM-03TD)", "+41 44 000 00 00"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("the letters do not show %q", want)
		}
	}
	again, _ := RenderLetters(letters, letterTime)
	if !bytes.Equal(pdf, again) {
		t.Error("the same letters rendered twice differ")
	}
}

// TestLettersRefuseWhatDoesNotFit: a card too large for a wallet-size card, or a letter without a
// name, is refused, naming the letter but no cell.
func TestLettersRefuseWhatDoesNotFit(t *testing.T) {
	big := letterOf(t, credential.Layout{Rows: 99, Cols: 26, CellLength: 12, Charset: credential.CharsetDigits}, "en", 7)
	_, err := RenderLetters([]Letter{big}, letterTime)
	if !errors.Is(err, ErrInvalidSheet) || !strings.Contains(err.Error(), "letter 7") || strings.Contains(err.Error(), big.Cells[0]) {
		t.Errorf("a 99x26x12 card: got %v, want ErrInvalidSheet naming letter 7 and no cell", err)
	}
	nameless := letterOf(t, credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32}, "en", 8)
	nameless.Name = " "
	if _, err := RenderLetters([]Letter{nameless}, letterTime); !errors.Is(err, ErrInvalidSheet) {
		t.Errorf("a letter without a name: got %v, want ErrInvalidSheet", err)
	}
	long := letterOf(t, credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32}, "de", 9)
	long.HelpdeskContact = strings.Repeat("Telefon 044 000 00 00, ", 120)
	if _, err := RenderLetters([]Letter{long}, letterTime); !errors.Is(err, ErrInvalidSheet) {
		t.Errorf("a text that runs into the card (longer than a stored contact can be): got %v, want ErrInvalidSheet", err)
	}
}

// TestWalletSizeLimits logs which default-like layouts fit a wallet-size card.
func TestWalletSizeLimits(t *testing.T) {
	fits := 0
	for rows := 1; rows <= 20; rows++ {
		for cols := 1; cols <= 20; cols++ {
			l := credential.Layout{Rows: rows, Cols: cols, CellLength: 4, Charset: credential.CharsetCrockford32}
			if g := planBox(l, 0, 0, cardW-2*cardPad, cardH-2*cardPad-cardTopStrip-cardFootStrip); g.font >= minWalletFont {
				fits++
			}
		}
	}
	if fits == 0 {
		t.Fatal("no layout fits a wallet-size card")
	}
	g := planBox(credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32}, 0, 0,
		cardW-2*cardPad, cardH-2*cardPad-cardTopStrip-cardFootStrip)
	t.Logf("%d of 400 layouts up to 20x20 of 4 characters fit; the default 12x14x4 prints at %.2f pt (labels %.2f pt)", fits, g.font, g.labelFont)
}

// shownText counts the strings of the content streams' text-show operators, "(...) Tj" (fpdf's
// CellFormat writes no space before Tj), with the escapes of PDF literal strings undone.
func shownText(pdf []byte) map[string]int {
	unescape := regexp.MustCompile(`\\(.)`)
	counts := map[string]int{}
	for _, m := range regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\)\s*Tj`).FindAllSubmatch(pdf, -1) {
		counts[string(unescape.ReplaceAll(m[1], []byte("$1")))]++
	}
	return counts
}

// TestLettersTakeAnyLatinName: names and addresses with marks the letter's code page lacks print
// without them (Łukasz Żółć as Lukasz Zólc); one in a script the fonts cannot print is refused,
// not printed with dots; the longest contact a client can store fits.
func TestLettersTakeAnyLatinName(t *testing.T) {
	l := letterOf(t, credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32}, "fr", 3)
	l.Name, l.AddressLines = "Łukasz Żółć", []string{"ul. Świętokrzyska 5", "00-001 Warszawa"}
	l.HelpdeskContact = strings.Repeat("x", 250) + " " + strings.Repeat("y", 249)
	pdf, err := RenderLetters([]Letter{l}, letterTime)
	if err != nil {
		t.Fatalf("got %v, want the letter", err)
	}
	for _, want := range []string{"(Lukasz Z\xf3lc)", "(ul. Swietokrzyska 5)", "(N\xb0 de s\xe9rie 7QX2-B9KM-03TD)"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("the letter does not show %q", want)
		}
	}
	l.AddressLines = []string{"東京都千代田区"}
	if _, err := RenderLetters([]Letter{l}, letterTime); !errors.Is(err, ErrInvalidSheet) {
		t.Errorf("an address in a script the fonts lack: got %v, want ErrInvalidSheet", err)
	}
	if _, err := RenderLetters(nil, letterTime); !errors.Is(err, ErrInvalidSheet) {
		t.Errorf("no letters: got %v, want ErrInvalidSheet", err)
	}
}

// TestLettersPrintTheLastFullMonth: a card valid until 1 December works through November.
func TestLettersPrintTheLastFullMonth(t *testing.T) {
	for validTo, want := range map[time.Time]string{
		time.Date(2036, 12, 1, 9, 0, 0, 0, time.UTC):   "11/2036",
		time.Date(2036, 12, 31, 23, 0, 0, 0, time.UTC): "11/2036",
		time.Date(2037, 1, 1, 0, 0, 0, 0, time.UTC):    "12/2036",
	} {
		if got := lastFullMonth(validTo); got != want {
			t.Errorf("valid to %v: printed %s, want %s", validTo, got, want)
		}
	}
}
