package pdfcard

import (
	"strconv"

	"github.com/go-pdf/fpdf"

	"github.com/otpcard/otpcard/domain/credential"
)

// drawGrid prints the cells with their labels. It draws in passes (fills, lines, headers,
// labels, values) so the content stream switches font and colour a handful of times, not once
// per cell.
func drawGrid(pdf *fpdf.Fpdf, g geometry, l credential.Layout, cells []string) {
	x0, y0 := g.gridX+g.headW, g.gridY+g.headH // top-left of the first cell
	bodyW, bodyH := float64(l.Cols)*g.cellW, float64(l.Rows)*g.cellH

	// Every other row shaded, so the eye keeps its row across a wide card.
	pdf.SetFillColor(240, 240, 240)
	for r := 1; r < l.Rows; r += 2 {
		pdf.Rect(x0, y0+float64(r)*g.cellH, bodyW, g.cellH, "F")
	}
	if g.arrangement == labelsOutside {
		pdf.SetFillColor(215, 215, 215)
		pdf.Rect(g.gridX, g.gridY, g.gridW, g.headH, "F")
		pdf.Rect(g.gridX, y0, g.headW, bodyH, "F")
	}

	pdf.SetDrawColor(140, 140, 140)
	pdf.SetLineWidth(min(0.2, g.cellH*0.04))
	for r := 0; r <= l.Rows; r++ {
		y := y0 + float64(r)*g.cellH
		pdf.Line(g.gridX, y, x0+bodyW, y)
	}
	for c := 0; c <= l.Cols; c++ {
		x := x0 + float64(c)*g.cellW
		pdf.Line(x, g.gridY, x, y0+bodyH)
	}
	if g.arrangement == labelsOutside {
		pdf.Line(g.gridX, g.gridY, x0+bodyW, g.gridY)
		pdf.Line(g.gridX, g.gridY, g.gridX, y0+bodyH)
	}

	em := courierAdvance * g.font * mmPerPt // one character of the value font
	valueBaseline := func(top float64) float64 { return top + (g.cellH+courierCap*g.font*mmPerPt)/2 }
	valueLeft := func(left float64) float64 { return left + (g.cellW-float64(l.CellLength)*em)/2 }

	switch g.arrangement {
	case labelsOutside:
		pdf.SetFont("Courier", "B", g.font)
		pdf.SetTextColor(0, 0, 0)
		for c := 0; c < l.Cols; c++ {
			pdf.Text(x0+float64(c)*g.cellW+(g.cellW-em)/2, valueBaseline(g.gridY), string(rune('A'+c)))
		}
		for r := 0; r < l.Rows; r++ {
			n := strconv.Itoa(r + 1)
			right := g.gridX + g.headW - cellPad/2*em
			pdf.Text(right-float64(len(n))*em, valueBaseline(y0+float64(r)*g.cellH), n)
		}
	case labelAbove:
		lem := courierAdvance * g.labelFont * mmPerPt
		lineH := labelSpacing * g.labelFont * mmPerPt
		pdf.SetFont("Courier", "", g.labelFont)
		pdf.SetTextColor(60, 60, 60) // dark enough at the small sizes of a wallet-size card
		for i := range cells {
			left, top := x0+float64(i%l.Cols)*g.cellW, y0+float64(i/l.Cols)*g.cellH
			pdf.Text(left+cellPad/2*lem, top+(lineH+courierCap*g.labelFont*mmPerPt)/2, l.Label(i))
		}
		// Values sit in the rest of the cell, below the label line.
		valueBaseline = func(top float64) float64 {
			rest := g.cellH - lineH
			return top + lineH + (rest+courierCap*g.font*mmPerPt)/2
		}
	case labelBeside:
		lem := courierAdvance * g.labelFont * mmPerPt
		pdf.SetFont("Courier", "", g.labelFont)
		pdf.SetTextColor(60, 60, 60) // dark enough at the small sizes of a wallet-size card
		for i := range cells {
			left, top := x0+float64(i%l.Cols)*g.cellW, y0+float64(i/l.Cols)*g.cellH
			pdf.Text(left+cellPad/2*em, valueBaseline(top), l.Label(i))
		}
		labelW := cellPad/2*em + float64(g.labelWidth)*lem
		valueLeft = func(left float64) float64 {
			return left + labelW + (g.cellW-labelW-float64(l.CellLength)*em)/2
		}
	}

	pdf.SetFont("Courier", "B", g.font)
	pdf.SetTextColor(0, 0, 0)
	for i, cell := range cells {
		left, top := x0+float64(i%l.Cols)*g.cellW, y0+float64(i/l.Cols)*g.cellH
		pdf.Text(valueLeft(left), valueBaseline(top), cell)
	}
}
