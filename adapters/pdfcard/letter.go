package pdfcard

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/otpcard/otpcard/domain/credential"
)

// Letter is one page of a print batch (API.md section 11.2): a card's cells on a wallet-size
// cut-out, and the letter that brings it to its user, in the user's language.
type Letter struct {
	// Language is en, de, fr or it; any other prints English.
	Language string
	// ClientDisplayName is the sender, printed on the letter and the card.
	ClientDisplayName string
	// Name and AddressLines are the user's, as the envelope's window shows them.
	Name         string
	AddressLines []string
	Serial       string
	ValidTo      time.Time
	Layout       credential.Layout
	Cells        []string // Layout.Cells() cells in clear, row-major
	// ChallengeSize is how many cells a challenge asks (0 or 1: one).
	ChallengeSize int
	// HelpdeskContact is how the user reaches the help desk; may be empty.
	HelpdeskContact string
	// ControlNumber is printed small at the foot of the page, for the manifest.
	ControlNumber int
}

// The wallet-size card is ID-1 (ISO/IEC 7810), with crop marks outside its corners; on it, a
// strip with the sender and the serial above the grid and one with the validity below.
const (
	cardW, cardH   = 85.60, 53.98
	cardPad        = 2.5  // from the card's edge to what is printed on it
	cardTopStrip   = 5.5  // sender and serial
	cardFootStrip  = 3.5  // validity and control number
	cardFont       = 6.0  // pt, the strips
	cropMark       = 5.0  // length of a crop mark
	cropGap        = 2.0  // between a crop mark and the card's edge
	minWalletFont  = 4.0  // pt: a grid whose values print smaller on the card is refused
	minWalletLabel = 3.0  // pt: likewise its labels
	letterFont     = 10.0 // pt
	letterLine     = 5.0
	windowX        = 20.0 // the address zone of a window envelope (DIN 5008 form B)
	windowY        = 62.7
	addressLines   = 6 // the name and five lines of address: what the zone holds
	windowW        = 85.0
	letterTextTop  = 100.0
	controlFont    = 6.0 // pt
	letterTextSide = windowX
)

// RenderLetters returns the letters as one PDF, one A4 page per letter, letter i on page i+1.
// Like Render, it builds the document in memory and its output depends on its input alone.
// A letter whose card cannot be printed legibly at wallet size (a layout too large for it) or
// that is incomplete is ErrInvalidSheet, naming the letter by its control number, never a cell.
func RenderLetters(letters []Letter, created time.Time) ([]byte, error) {
	if len(letters) == 0 {
		return nil, fmt.Errorf("render letters: %w: no letter", ErrInvalidSheet)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(created.UTC())
	pdf.SetModificationDate(created.UTC())
	pdf.SetTitle("OTP card letters", false)
	pdf.SetCreator("otpcard", false)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetCellMargin(0)
	latin1 := pdf.UnicodeTranslatorFromDescriptor("")
	for _, l := range letters {
		g, err := l.plan()
		if err != nil {
			return nil, fmt.Errorf("render letter %d: %w", l.ControlNumber, err)
		}
		if l, err = l.printable(); err != nil {
			return nil, fmt.Errorf("render letter %d: %w", l.ControlNumber, err)
		}
		pdf.AddPage()
		if bottom := drawLetter(pdf, latin1, l); bottom > cardY()-cropGap-cropMark {
			return nil, fmt.Errorf("render letter %d: %w: its text runs into the card (a help-desk contact too long?)", l.ControlNumber, ErrInvalidSheet)
		}
		drawCard(pdf, latin1, l, g)
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("render letters: %w", err)
	}
	return out.Bytes(), nil
}

// CheckLetter tells, without rendering it, whether a letter can be printed: complete, its card
// legible at wallet size, its name and address in scripts the letter font prints (transliterated
// where a reader still recognises them). The error names no cell.
func CheckLetter(l Letter) error {
	if _, err := l.plan(); err != nil {
		return err
	}
	_, err := l.printable()
	return err
}

// cardX and cardY place the card in the lower half of the page, centred.
func cardX() float64 { return (a4Short - cardW) / 2 }
func cardY() float64 { return a4Long - margin - cropMark - cropGap - cardH }

// plan checks the letter and places its grid on the card.
func (l Letter) plan() (geometry, error) {
	s := Sheet{ClientExtID: "-", UserExtID: "-", CredentialExtID: "-", Serial: l.Serial, Layout: l.Layout, Cells: l.Cells,
		ValidFrom: l.ValidTo, ValidTo: l.ValidTo, IssuedAt: l.ValidTo}
	if err := s.check(); err != nil {
		return geometry{}, err
	}
	if strings.TrimSpace(l.Name) == "" {
		return geometry{}, fmt.Errorf("%w: the user's name is required", ErrInvalidSheet)
	}
	g := planBox(l.Layout, cardX()+cardPad, cardY()+cardPad+cardTopStrip, cardW-2*cardPad, cardH-2*cardPad-cardTopStrip-cardFootStrip)
	if g.font < minWalletFont || (!l.Layout.Coordinate && g.labelFont < minWalletLabel) {
		return geometry{}, fmt.Errorf("%w: a %dx%d card of %d characters a cell prints at %.1f pt on a wallet-size card, below %.0f pt",
			ErrInvalidSheet, l.Layout.Rows, l.Layout.Cols, l.Layout.CellLength, g.font, minWalletFont)
	}
	return g, nil
}

// planBox picks the label arrangement that prints the biggest cells in the box, capped as on a
// page, and places the grid centred in it.
func planBox(l credential.Layout, x, y, w, h float64) geometry {
	arrangements := []arrangement{labelsOutside}
	if !l.Coordinate {
		arrangements = []arrangement{labelAbove, labelBeside}
	}
	var best geometry
	for _, a := range arrangements {
		font := min(fit(l, a, w, h), cardFont+2)
		if font <= best.font {
			continue
		}
		u := unitSize(l, a)
		gw, gh := float64(l.Cols)*u.cellW*font+u.headW*font, float64(l.Rows)*u.cellH*font+u.headH*font
		best = geometry{arrangement: a, font: font, labelFont: font * labelScale,
			cellW: u.cellW * font, cellH: u.cellH * font, headW: u.headW * font, headH: u.headH * font,
			gridX: x + (w-gw)/2, gridY: y + (h-gh)/2, gridW: gw, gridH: gh, labelWidth: len(l.Label(0))}
	}
	return best
}

// drawLetter prints the sender, the address in the envelope's window, and the letter's text; it
// returns where the text ends.
func drawLetter(pdf *fpdf.Fpdf, latin1 func(string) string, l Letter) float64 {
	t := letterTexts(l.Language)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "B", 14)
	pdf.SetXY(windowX, 20)
	pdf.CellFormat(a4Short-windowX-margin, 7, fitWidth(pdf, latin1(printable(l.ClientDisplayName)), a4Short-windowX-margin), "", 0, "L", false, 0, "")

	pdf.SetFont("Helvetica", "", letterFont)
	y := windowY
	lines := append([]string{l.Name}, l.AddressLines...)
	for _, line := range lines[:min(len(lines), addressLines)] {
		if line = printable(line); line == "" {
			continue
		}
		pdf.SetXY(windowX, y)
		pdf.CellFormat(windowW, letterLine, fitWidth(pdf, latin1(line), windowW), "", 0, "L", false, 0, "")
		y += letterLine
	}

	width := a4Short - 2*letterTextSide
	y = letterTextTop
	pdf.SetFont("Helvetica", "B", letterFont+1)
	pdf.SetXY(letterTextSide, y)
	pdf.CellFormat(width, letterLine+1, latin1(t.subject), "", 0, "L", false, 0, "")
	y += 2 * letterLine
	pdf.SetFont("Helvetica", "", letterFont)
	for i, p := range l.paragraphs(t) {
		lines := wrap(pdf, latin1(p), width)
		if i == 0 { // the greeting: one line, a long name shortened
			lines = []string{fitWidth(pdf, latin1(p), width)}
		}
		for _, line := range lines {
			pdf.SetXY(letterTextSide, y)
			pdf.CellFormat(width, letterLine, line, "", 0, "L", false, 0, "")
			y += letterLine
		}
		y += letterLine / 2
	}

	pdf.SetFont("Helvetica", "", controlFont)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetXY(margin, a4Long-margin/2-2)
	pdf.CellFormat(a4Short-2*margin, 3, strconv.Itoa(l.ControlNumber)+" / "+l.Serial, "", 0, "R", false, 0, "")
	return y
}

// drawCard prints the wallet-size card with its crop marks: sender and serial above the grid,
// the validity below, and a fine outline to cut along.
func drawCard(pdf *fpdf.Fpdf, latin1 func(string) string, l Letter, g geometry) {
	x, y := cardX(), cardY()
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.1)
	for _, c := range [][2]float64{{x, y}, {x + cardW, y}, {x, y + cardH}, {x + cardW, y + cardH}} {
		dx, dy := -1.0, -1.0
		if c[0] > x {
			dx = 1
		}
		if c[1] > y {
			dy = 1
		}
		pdf.Line(c[0]+dx*cropGap, c[1], c[0]+dx*(cropGap+cropMark), c[1]) // horizontal, outside the card
		pdf.Line(c[0], c[1]+dy*cropGap, c[0], c[1]+dy*(cropGap+cropMark)) // vertical, outside the card
	}
	pdf.SetDrawColor(200, 200, 200)
	pdf.SetLineWidth(0.05)
	pdf.RoundedRect(x, y, cardW, cardH, 3, "1234", "D")

	t := letterTexts(l.Language)
	inner := cardW - 2*cardPad
	pdf.SetTextColor(0, 0, 0)
	serial := latin1(t.serial + " " + l.Serial)
	pdf.SetFont("Courier", "B", cardFont)
	serialW := pdf.GetStringWidth(serial)
	pdf.SetXY(x+cardPad, y+cardPad)
	pdf.CellFormat(inner, cardTopStrip-1, serial, "", 0, "R", false, 0, "")
	pdf.SetFont("Helvetica", "B", cardFont)
	room := inner - serialW - 2
	pdf.SetXY(x+cardPad, y+cardPad)
	pdf.CellFormat(room, cardTopStrip-1, fitWidth(pdf, latin1(printable(l.ClientDisplayName)), room), "", 0, "L", false, 0, "")

	drawGrid(pdf, g, l.Layout, l.Cells)

	pdf.SetFont("Helvetica", "", cardFont)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetXY(x+cardPad, y+cardH-cardPad-cardFootStrip+0.5)
	pdf.CellFormat(inner, cardFootStrip, latin1(t.validUntil+" "+lastFullMonth(l.ValidTo)), "", 0, "L", false, 0, "")
}

// paragraphs are the letter's text: greeting, what is enclosed, how to use it, what to do if it
// is lost.
func (l Letter) paragraphs(t letterText) []string {
	example := l.Layout.Label(min(l.Layout.Cells()-1, l.Layout.Cols+1))
	how := fmt.Sprintf(t.howNumbered, example)
	if l.Layout.Coordinate {
		how = fmt.Sprintf(t.howCoordinate, example)
	}
	if l.ChallengeSize > 1 && l.Layout.Cells() >= l.ChallengeSize {
		how += " " + fmt.Sprintf(t.howSeveral, l.ChallengeSize, strings.Join(exampleLabels(l.Layout, l.ChallengeSize), " "))
	}
	lost := t.lost
	if c := printable(l.HelpdeskContact); c != "" {
		lost += " " + t.contact + " " + c
	}
	return []string{
		fmt.Sprintf(t.greeting, printable(l.Name)),
		fmt.Sprintf(t.enclosed, l.Serial, lastFullMonth(l.ValidTo)),
		how,
		t.secret,
		lost,
	}
}

// wrap breaks a Windows-1252 text into lines no wider than width at the current font, at spaces
// (fpdf's SplitText wants UTF-8 and measures runes, which a translated text is not); a word wider
// than a line is cut.
func wrap(pdf *fpdf.Fpdf, text string, width float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		next := word
		if line != "" {
			next = line + " " + word
		}
		if pdf.GetStringWidth(next) <= width {
			line = next
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		for pdf.GetStringWidth(word) > width { // a word longer than the line
			cut := len(word)
			for cut > 1 && pdf.GetStringWidth(word[:cut]) > width {
				cut--
			}
			lines = append(lines, word[:cut])
			word = word[cut:]
		}
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// lastFullMonth is the last month the card is valid through, as month and year: the month before
// the one its validity ends in (a card valid until 1 December works through November).
func lastFullMonth(validTo time.Time) string {
	t := validTo.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("01/2006")
}
