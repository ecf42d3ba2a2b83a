package pdfcard

import (
	"strconv"

	"github.com/otpcard/otpcard/domain/credential"
)

// Page and type measures, in millimetres unless named otherwise. Courier is the only font whose
// glyphs all share one advance width, so a cell's width follows from its length alone.
const (
	a4Short, a4Long = 210.0, 297.0
	margin          = 10.0
	mmPerPt         = 25.4 / 72
	courierAdvance  = 0.6  // width of every Courier glyph, in em
	courierCap      = 0.57 // Courier cap height, in em: centres digits and capitals vertically
	maxCellFont     = 16.0 // pt: small cards stay card-like instead of filling the page
	comfortableFont = 9.0  // pt: portrait is kept while its cells print at least this big
	landscapeGain   = 1.05 // below comfortableFont, landscape must print cells this much bigger
	labelScale      = 0.7  // a numeric label's font size relative to its value's
	cellPad         = 1.2  // horizontal air of a cell, in characters of its own font
	lineSpacing     = 1.3  // a row's height over its font size
	labelSpacing    = 1.1  // the label line's height over the label font size (labels above)
)

// arrangement is where a cell's label goes.
type arrangement int

const (
	// labelsOutside: coordinate cards, column letters across the top and row numbers down the side.
	labelsOutside arrangement = iota
	// labelAbove: numeric cards, each label small in the cell's top line, the value beneath.
	labelAbove
	// labelBeside: numeric cards, each label small to the left of the value; costs width, not
	// height, so it wins on tall cards.
	labelBeside
)

// geometry is the chosen page and grid: everything drawing needs, decided once from the layout.
type geometry struct {
	landscape    bool
	pageW, pageH float64
	arrangement  arrangement
	font         float64 // pt, the cell values (and coordinate headers)
	labelFont    float64 // pt, numeric labels
	cellW, cellH float64
	headW, headH float64 // labelsOutside: the row-number column and the column-letter row
	gridX, gridY float64 // top-left corner of the grid, headers included
	gridW, gridH float64
	labelWidth   int // characters of a numeric label
}

// unit is a grid's size at a font size of 1 pt; every measure scales linearly with the font.
type unit struct{ cellW, cellH, headW, headH float64 }

func unitSize(l credential.Layout, a arrangement) unit {
	em := courierAdvance * mmPerPt // width of one Courier character at 1 pt
	n := float64(l.CellLength)
	m := float64(len(l.Label(0)))
	switch a {
	case labelAbove:
		return unit{
			cellW: em * max(n+cellPad, labelScale*(m+cellPad)),
			cellH: mmPerPt * (lineSpacing + labelScale*labelSpacing),
		}
	case labelBeside:
		return unit{
			cellW: em * (n + cellPad + labelScale*(m+0.6)),
			cellH: mmPerPt * lineSpacing,
		}
	default:
		digits := float64(len(strconv.Itoa(l.Rows)))
		return unit{
			cellW: em * (n + cellPad),
			cellH: mmPerPt * lineSpacing,
			headW: em * (digits + cellPad),
			headH: mmPerPt * lineSpacing,
		}
	}
}

// fit returns the largest font size (capped at maxCellFont) at which the grid fits w x h.
func fit(l credential.Layout, a arrangement, w, h float64) float64 {
	u := unitSize(l, a)
	width := float64(l.Cols)*u.cellW + u.headW
	height := float64(l.Rows)*u.cellH + u.headH
	return min(maxCellFont, w/width, h/height)
}

// plan chooses orientation and label arrangement. Portrait is how a sheet is usually printed and
// filed, so it wins whenever its cells reach comfortableFont; smaller than that, landscape wins
// when it prints the cells at least 5% bigger (landscapeGain), which happens only for wide cards
// with long cells (99x26x12 prints at about 3.1 pt in landscape against 2.6 pt in portrait).
// headerH and footerH are the heights reserved above and below the grid.
func plan(l credential.Layout, headerH float64, footerH func(landscape bool) float64) geometry {
	portrait := planOrientation(l, false, headerH, footerH(false))
	if portrait.font >= comfortableFont {
		return portrait
	}
	if landscape := planOrientation(l, true, headerH, footerH(true)); landscape.font >= portrait.font*landscapeGain {
		return landscape
	}
	return portrait
}

// planOrientation picks the label arrangement that prints the biggest cells on the page.
func planOrientation(l credential.Layout, landscape bool, headerH, footerH float64) geometry {
	pageW, pageH := a4Short, a4Long
	if landscape {
		pageW, pageH = a4Long, a4Short
	}
	w := pageW - 2*margin
	h := pageH - 2*margin - headerH - footerH
	arrangements := []arrangement{labelsOutside}
	if !l.Coordinate {
		arrangements = []arrangement{labelAbove, labelBeside}
	}
	var best geometry
	for _, a := range arrangements {
		font := fit(l, a, w, h)
		if font <= best.font {
			continue // ties keep labels above: they read better than labels squeezed beside
		}
		u := unitSize(l, a)
		best = geometry{
			landscape: landscape, pageW: pageW, pageH: pageH, arrangement: a,
			font: font, labelFont: font * labelScale,
			cellW: u.cellW * font, cellH: u.cellH * font,
			headW: u.headW * font, headH: u.headH * font,
			gridX: margin, gridY: margin + headerH,
			gridW:      float64(l.Cols)*u.cellW*font + u.headW*font,
			gridH:      float64(l.Rows)*u.cellH*font + u.headH*font,
			labelWidth: len(l.Label(0)),
		}
	}
	return best
}
