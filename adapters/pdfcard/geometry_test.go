package pdfcard

import (
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"github.com/otpcard/otpcard/domain/credential"
)

// TestEveryLayoutFitsOnePage plans every layout API.md section 5.2 allows and checks that the
// header, grid and instructions stay inside the page's margins at a printable size.
func TestEveryLayoutFitsOnePage(t *testing.T) {
	const eps = 1e-9
	const minFont, minLabelFont = 3.0, 2.0 // pt; the 99x26x12 cards print at about 3.1 and 2.2
	pdf := fpdf.New("P", "mm", "A4", "")
	smallest := map[bool]float64{false: maxCellFont, true: maxCellFont}
	for _, coordinate := range []bool{false, true} {
		for rows := 1; rows <= 99; rows++ {
			for cols := 1; cols <= 26; cols++ {
				for length := 2; length <= 12; length++ {
					l := credential.Layout{Rows: rows, Cols: cols, CellLength: length,
						Charset: credential.CharsetDigits, Coordinate: coordinate}
					g, text := planPage(pdf, l, credential.MaxChallengeSize) // the longest instructions
					footer := gap + float64(len(pdf.SplitText(text, textWidth(g.landscape))))*instructionLine
					switch {
					case g.font < minFont || (!coordinate && g.labelFont < minLabelFont):
						t.Fatalf("%dx%dx%d coordinate=%v: font %.2f pt, label %.2f pt, want at least %v and %v",
							rows, cols, length, coordinate, g.font, g.labelFont, minFont, minLabelFont)
					case g.gridX < margin-eps || g.gridX+g.gridW > g.pageW-margin+eps:
						t.Fatalf("%dx%dx%d coordinate=%v: grid spans x %.2f..%.2f mm of a %.2f mm page",
							rows, cols, length, coordinate, g.gridX, g.gridX+g.gridW, g.pageW)
					case g.gridY < margin+headerHeight-eps || g.gridY+g.gridH+footer > g.pageH-margin+eps:
						t.Fatalf("%dx%dx%d coordinate=%v: grid and instructions span y %.2f..%.2f mm of a %.2f mm page",
							rows, cols, length, coordinate, g.gridY, g.gridY+g.gridH+footer, g.pageH)
					}
					smallest[coordinate] = min(smallest[coordinate], g.font)
				}
			}
		}
	}
	t.Logf("smallest cell font: numeric %.2f pt, coordinate %.2f pt", smallest[false], smallest[true])
}

func TestPlanPrefersPortrait(t *testing.T) {
	pdf := fpdf.New("P", "mm", "A4", "")
	tests := []struct {
		layout    credential.Layout
		landscape bool
	}{
		{credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32}, false},
		{credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Coordinate: true}, false},
		{credential.Layout{Rows: 1, Cols: 1, CellLength: 6}, false},
		{credential.Layout{Rows: 99, Cols: 1, CellLength: 12}, false},
		{credential.Layout{Rows: 10, Cols: 26, CellLength: 12}, true},
		{credential.Layout{Rows: 99, Cols: 26, CellLength: 12}, true},
	}
	for _, tt := range tests {
		if g, _ := planPage(pdf, tt.layout, 1); g.landscape != tt.landscape {
			t.Errorf("%dx%dx%d: landscape %v at %.2f pt, want %v", tt.layout.Rows, tt.layout.Cols,
				tt.layout.CellLength, g.landscape, g.font, tt.landscape)
		}
	}
}

// TestInstructionsExplainMultiCellChallenges: a card whose policy asks several cells at once says
// so, with an example of as many distinct labels of this card; a one-cell card does not.
func TestInstructionsExplainMultiCellChallenges(t *testing.T) {
	coordinate := credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32, Coordinate: true}
	if text := instructions(coordinate, 1); strings.Contains(text, "at once") {
		t.Errorf("one cell: %q explains multi-cell challenges", text)
	}
	for _, tt := range []struct {
		layout credential.Layout
		size   int
		want   string
	}{
		{coordinate, 3, "You are asked for 3 cells at once, for example B2 E3 H4: type the characters of each, one after the other, in the order asked."},
		{credential.Layout{Rows: 1, Cols: 2, CellLength: 6, Charset: credential.CharsetDigits}, 2, "for example 002 001:"},
		{credential.Layout{Rows: 2, Cols: 2, CellLength: 6, Charset: credential.CharsetDigits}, 4, "for example 004 001 002 003:"},
	} {
		if text := instructions(tt.layout, tt.size); !strings.Contains(text, tt.want) {
			t.Errorf("%d cells of %dx%d: got %q, want it to say %q", tt.size, tt.layout.Rows, tt.layout.Cols, text, tt.want)
		}
	}
}
