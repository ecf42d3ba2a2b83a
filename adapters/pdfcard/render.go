// Package pdfcard prints a freshly issued OTP card as a one-page A4 PDF, built in memory: the grid
// with its labels, the card's extId, client, user, validity and short instructions (issue 4,
// "Printable cards"). The cells exist in clear only in the returned bytes: nothing here writes a
// file or logs, and no error message quotes a cell.
package pdfcard

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"

	"github.com/otpcard/otpcard/domain/credential"
)

// Sheet is what is printed.
type Sheet struct {
	ClientExtID, UserExtID, CredentialExtID string
	// Serial is the card's serial number, printed so that the user and a help desk can tell the
	// card from another one (API.md section 10.1).
	Serial          string
	UserDisplayName string // may be empty
	Layout          credential.Layout
	Cells           []string // Layout.Cells() cells in clear, row-major
	// ChallengeSize is how many cells a challenge asks (0 or 1: one), for the instructions.
	ChallengeSize      int
	ValidFrom, ValidTo time.Time
	IssuedAt           time.Time // also the PDF's creation date, so output is reproducible
}

// ErrInvalidSheet is returned for a sheet that does not describe a printable card. It is a
// programming error of the caller, not bad client input, so it deliberately does not wrap
// fault.ErrInvalid (which the HTTP adapter answers with a 4xx).
var ErrInvalidSheet = errors.New("invalid card sheet")

// Header and footer measures, in millimetres and points.
const (
	titleFont       = 16.0 // pt
	titleLine       = 8.0
	infoFont        = 9.0 // pt
	infoLine        = 4.2
	infoKeyWidth    = 16.0
	infoLines       = 6
	gap             = 3.0
	headerHeight    = titleLine + infoLines*infoLine + gap
	instructionFont = 8.0 // pt
	instructionLine = 3.6
)

// Render returns the sheet as a PDF document of exactly one A4 page: portrait, or landscape when
// that prints a wide card's cells bigger. The output depends on the sheet alone: the creation
// and modification dates are IssuedAt, catalogs are sorted, and content streams are left
// uncompressed so the text of the card can be checked without a PDF library.
func Render(s Sheet) ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("render otp card %s: %w", s.CredentialExtID, err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(s.IssuedAt.UTC())
	pdf.SetModificationDate(s.IssuedAt.UTC())
	pdf.SetTitle("OTP card "+s.CredentialExtID, false) // extIds are ASCII
	pdf.SetCreator("otpcard", false)
	pdf.SetLang("en")
	pdf.SetAutoPageBreak(false, 0) // the plan guarantees one page; never let fpdf start another
	pdf.SetMargins(margin, margin, margin)
	pdf.SetCellMargin(0)

	g, text := planPage(pdf, s.Layout, s.ChallengeSize)
	orientation := "P"
	if g.landscape {
		orientation = "L"
	}
	pdf.AddPageFormat(orientation, pdf.GetPageSizeStr("A4"))

	drawHeader(pdf, g, s)
	drawGrid(pdf, g, s.Layout, s.Cells)
	pdf.SetFont("Helvetica", "", instructionFont)
	pdf.SetTextColor(0, 0, 0)
	y := g.gridY + g.gridH + gap
	for _, line := range pdf.SplitText(text, textWidth(g.landscape)) {
		pdf.SetXY(margin, y)
		pdf.CellFormat(textWidth(g.landscape), instructionLine, line, "", 0, "L", false, 0, "")
		y += instructionLine
	}

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("render otp card %s: %w", s.CredentialExtID, err)
	}
	return out.Bytes(), nil
}

// planPage chooses the page's geometry for a layout, reserving room above the grid for the header
// and below it for the instructions as they wrap at either orientation; it returns them too.
func planPage(pdf *fpdf.Fpdf, l credential.Layout, challengeSize int) (geometry, string) {
	text := instructions(l, challengeSize)
	pdf.SetFont("Helvetica", "", instructionFont)
	footerHeight := func(landscape bool) float64 {
		return gap + float64(len(pdf.SplitText(text, textWidth(landscape))))*instructionLine
	}
	return plan(l, headerHeight, footerHeight), text
}

// check refuses sheets that would print a wrong or unreadable card. Messages name cells by index,
// never by value.
func (s Sheet) check() error {
	l := s.Layout
	if err := l.Validate(); err != nil {
		return fmt.Errorf("%w: layout: %v", ErrInvalidSheet, err)
	}
	if len(s.Cells) != l.Cells() {
		return fmt.Errorf("%w: %d cells for a %dx%d card", ErrInvalidSheet, len(s.Cells), l.Rows, l.Cols)
	}
	alphabet := l.Charset.Alphabet()
	for i, cell := range s.Cells {
		if len(cell) != l.CellLength {
			return fmt.Errorf("%w: cell %s has %d characters, want %d", ErrInvalidSheet, l.Label(i), len(cell), l.CellLength)
		}
		if strings.Trim(cell, alphabet) != "" {
			return fmt.Errorf("%w: cell %s has characters outside %s", ErrInvalidSheet, l.Label(i), l.Charset)
		}
	}
	switch {
	case s.CredentialExtID == "" || s.ClientExtID == "" || s.UserExtID == "":
		return fmt.Errorf("%w: credential, client and user extIds are required", ErrInvalidSheet)
	case s.Serial == "":
		return fmt.Errorf("%w: the serial number is required", ErrInvalidSheet)
	case s.ValidFrom.IsZero() || s.ValidTo.IsZero() || s.IssuedAt.IsZero():
		return fmt.Errorf("%w: validFrom, validTo and issuedAt are required", ErrInvalidSheet)
	}
	return nil
}

// drawHeader prints the title and what identifies the card: extIds, holder and validity.
func drawHeader(pdf *fpdf.Fpdf, g geometry, s Sheet) {
	width := textWidth(g.landscape)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "B", titleFont)
	pdf.SetXY(margin, margin)
	pdf.CellFormat(width, titleLine, "OTP card", "", 0, "L", false, 0, "")

	// Core fonts speak Windows-1252; runes outside it print as '.', which only a display name can
	// contain (extIds are ASCII by API.md section 1).
	latin1 := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetFont("Helvetica", "", infoFont)
	user := s.UserExtID
	if name := printable(s.UserDisplayName); name != "" {
		suffix := " (" + s.UserExtID + ")"
		room := width - infoKeyWidth - pdf.GetStringWidth(suffix)
		user = fitWidth(pdf, latin1(name), room) + suffix
	} else {
		user = latin1(user)
	}
	info := [infoLines][2]string{
		{"Serial", s.Serial},
		{"Card", latin1(s.CredentialExtID)},
		{"User", user},
		{"Client", latin1(s.ClientExtID)},
		{"Valid", formatTime(s.ValidFrom) + " to " + formatTime(s.ValidTo)},
		{"Issued", formatTime(s.IssuedAt)},
	}
	y := margin + titleLine
	for _, kv := range info {
		pdf.SetXY(margin, y)
		pdf.SetFont("Helvetica", "B", infoFont)
		pdf.CellFormat(infoKeyWidth, infoLine, kv[0], "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", infoFont)
		pdf.CellFormat(width-infoKeyWidth, infoLine, kv[1], "", 0, "L", false, 0, "")
		y += infoLine
	}
}

// instructions is the short text under the grid, with an example label of this card, and for
// multi-cell challenges an example of several labels.
func instructions(l credential.Layout, challengeSize int) string {
	example := l.Label(min(l.Cells()-1, l.Cols+1)) // B2 or 016 on a default card
	how := "A cell is named by the small number printed in it, for example " + example + "."
	if l.Coordinate {
		how = "A cell is named by its column letter and row number, for example " + example + "."
	}
	if challengeSize > 1 && l.Cells() >= challengeSize {
		how += fmt.Sprintf(" You are asked for %d cells at once, for example %s: type the characters of"+
			" each, one after the other, in the order asked.", challengeSize, strings.Join(exampleLabels(l, challengeSize), " "))
	}
	return "Keep this card secret. When asked for a cell, type the characters shown in it. " + how +
		" Report a lost card to your help desk and name its serial number, printed above; it will be" +
		" replaced and this card stops working."
}

func textWidth(landscape bool) float64 {
	if landscape {
		return a4Long - 2*margin
	}
	return a4Short - 2*margin
}

// formatTime prints an instant as RFC 3339 in UTC, to the second.
func formatTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// printable replaces control characters (a newline would break the line) and trims the result.
func printable(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

// fitWidth shortens a Windows-1252 string with an ellipsis until it fits w at the current font.
func fitWidth(pdf *fpdf.Fpdf, s string, w float64) string {
	if pdf.GetStringWidth(s) <= w {
		return s
	}
	const ellipsis = "\x85" // "…" in Windows-1252
	for len(s) > 0 && pdf.GetStringWidth(s+ellipsis) > w {
		s = s[:len(s)-1]
	}
	return s + ellipsis
}

// exampleLabels are n distinct labels of the card spread over it, for an example of a multi-cell
// challenge; n must not exceed the card's cells.
func exampleLabels(l credential.Layout, n int) []string {
	var labels []string
	seen := map[int]bool{}
	for next := l.Cols + 1; len(labels) < n; next += l.Cols + 3 {
		i := next % l.Cells()
		for seen[i] {
			i = (i + 1) % l.Cells()
		}
		seen[i] = true
		labels = append(labels, l.Label(i))
	}
	return labels
}
