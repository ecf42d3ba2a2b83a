package pdfcard_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/pdfcard"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/fault"
)

var issuedAt = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// sheet returns a sheet of that layout with cells drawn from a fixed seed.
func sheet(t *testing.T, l credential.Layout) pdfcard.Sheet {
	t.Helper()
	cells, err := credential.GenerateCells(l, rand.NewChaCha8([32]byte{7}))
	if err != nil {
		t.Fatalf("generate cells: %v", err)
	}
	return pdfcard.Sheet{
		ClientExtID: "acme", UserExtID: "jdoe", CredentialExtID: "c-7f3a9e", Serial: "7QX2-B9KM-03TD",
		UserDisplayName: "Jane Doe",
		Layout:          l, Cells: cells,
		ValidFrom: issuedAt, ValidTo: issuedAt.AddDate(10, 0, 0), IssuedAt: issuedAt,
	}
}

// shown counts the strings of the content streams' text-show operators (see shownText).
var shown = pdfcard.ShownText

// showsText reports whether some text-show operator prints want.
func showsText(texts map[string]int, want string) bool {
	for text := range texts {
		if strings.Contains(text, want) {
			return true
		}
	}
	return false
}

func TestRenderPrintsEveryCellOnOnePage(t *testing.T) {
	digits, crockford := credential.CharsetDigits, credential.CharsetCrockford32
	tests := []struct {
		name      string
		layout    credential.Layout
		landscape bool
	}{
		{"default 12x14x4 crockford32", credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: crockford}, false},
		{"1x1 six digits", credential.Layout{Rows: 1, Cols: 1, CellLength: 6, Charset: digits}, false},
		{"coordinate 12x14", credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: crockford, Coordinate: true}, false},
		{"99x26x12 digits", credential.Layout{Rows: 99, Cols: 26, CellLength: 12, Charset: digits}, true},
		{"coordinate 99x26x12 digits", credential.Layout{Rows: 99, Cols: 26, CellLength: 12, Charset: digits, Coordinate: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sheet(t, tt.layout)
			pdf, err := pdfcard.Render(s)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkStructure(t, pdf)
			landscape := bytes.Contains(pdf, []byte("/MediaBox [0 0 841.89 595.28]"))
			if landscape != tt.landscape {
				t.Errorf("landscape: got %v, want %v", landscape, tt.landscape)
			}

			texts := shown(pdf)
			for i, cell := range s.Cells {
				if texts[cell] == 0 {
					t.Fatalf("cell %s is not shown as (%s) Tj", tt.layout.Label(i), cell)
				}
				texts[cell]-- // a value printed twice on the card must be shown twice
			}
			var labels []string
			if tt.layout.Coordinate {
				for c := 0; c < tt.layout.Cols; c++ {
					labels = append(labels, string(rune('A'+c)))
				}
				for r := 1; r <= tt.layout.Rows; r++ {
					labels = append(labels, strconv.Itoa(r))
				}
			} else {
				for i := range s.Cells {
					labels = append(labels, tt.layout.Label(i))
				}
			}
			for _, label := range labels {
				if texts[label] == 0 {
					t.Errorf("label %s is not shown", label)
				}
			}
			for _, want := range []string{"OTP card", "c-7f3a9e", "7QX2-B9KM-03TD", "acme", "Jane Doe (jdoe)",
				"2025-06-01T12:00:00Z to 2035-06-01T12:00:00Z", "Keep this card secret."} {
				if !showsText(texts, want) {
					t.Errorf("the page does not show %q", want)
				}
			}
		})
	}
}

// checkStructure checks the envelope of a one-page PDF and its metadata.
func checkStructure(t *testing.T, pdf []byte) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("starts with %q, want %%PDF-", pdf[:min(8, len(pdf))])
	}
	if end := bytes.TrimRight(pdf, "\r\n"); !bytes.HasSuffix(end, []byte("%%EOF")) {
		t.Errorf("ends with %q, want %%%%EOF", end[max(0, len(end)-8):])
	}
	if pages := len(regexp.MustCompile(`/Type\s*/Page\b[^s]`).FindAll(pdf, -1)); pages != 1 {
		t.Errorf("got %d page objects, want 1", pages)
	}
	if !regexp.MustCompile(`/Type\s*/Pages\b[^>]*/Count 1\b`).Match(pdf) {
		t.Error("the Pages object does not say /Count 1")
	}
	for _, want := range []string{"/Title (OTP card c-7f3a9e)", "/Creator (otpcard)", "/CreationDate (D:20250601120000)"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("metadata lacks %s", want)
		}
	}
}

// TestRenderIsDeterministic renders one sheet from several goroutines, as concurrent HTTP
// requests would, and wants the same bytes every time.
func TestRenderIsDeterministic(t *testing.T) {
	s := sheet(t, credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32})
	want, err := pdfcard.Render(s)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := pdfcard.Render(s)
			if err != nil {
				t.Errorf("Render: %v", err)
			} else if !bytes.Equal(got, want) {
				t.Error("two renderings of one sheet differ")
			}
		})
	}
	wg.Wait()
}

func TestRenderShortensALongDisplayName(t *testing.T) {
	s := sheet(t, credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32})
	s.UserDisplayName = "Zoë\n" + strings.Repeat("Ångström-Łukasiewicz ", 20)
	pdf, err := pdfcard.Render(s)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	// Windows-1252: ë is \xeb, Å is \xc5, the ellipsis \x85; Ł has no code and prints as '.'.
	if want := "Zo\xeb \xc5ngstr\xf6m-.ukasiewicz"; !showsText(shown(pdf), want) {
		t.Errorf("the page does not show %q", want)
	}
	if want := "\x85 (jdoe)"; !showsText(shown(pdf), want) {
		t.Errorf("the display name is not cut with an ellipsis before %q", want)
	}
}

func TestRenderRejectsBadSheets(t *testing.T) {
	layout := credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32}
	tests := []struct {
		name   string
		change func(*pdfcard.Sheet)
	}{
		{"one cell short", func(s *pdfcard.Sheet) { s.Cells = s.Cells[:len(s.Cells)-1] }},
		{"one cell too many", func(s *pdfcard.Sheet) { s.Cells = append(s.Cells, "ABCD") }},
		{"no cells", func(s *pdfcard.Sheet) { s.Cells = nil }},
		{"cell too long", func(s *pdfcard.Sheet) { s.Cells[5] += "Z" }},
		{"cell outside charset", func(s *pdfcard.Sheet) { s.Cells[5] = "AB)C" }},
		{"cols out of range", func(s *pdfcard.Sheet) { s.Layout.Cols = 27 }},
		{"no issuedAt", func(s *pdfcard.Sheet) { s.IssuedAt = time.Time{} }},
		{"no credential extId", func(s *pdfcard.Sheet) { s.CredentialExtID = "" }},
		{"no serial number", func(s *pdfcard.Sheet) { s.Serial = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sheet(t, layout)
			tt.change(&s)
			pdf, err := pdfcard.Render(s)
			if !errors.Is(err, pdfcard.ErrInvalidSheet) {
				t.Fatalf("got %v, want ErrInvalidSheet", err)
			}
			if errors.Is(err, fault.ErrInvalid) {
				t.Error("a bad sheet is a server bug, not a client's invalid input")
			}
			if pdf != nil {
				t.Errorf("got %d bytes of PDF with the error, want none", len(pdf))
			}
			for _, cell := range s.Cells {
				if strings.Contains(err.Error(), cell) {
					t.Fatalf("error %q quotes a cell", err)
				}
			}
		})
	}
}
