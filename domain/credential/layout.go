package credential

import (
	"fmt"
	"strconv"

	"github.com/otpcard/otpcard/domain/fault"
)

// Layout is the shape of a card: its grid, cell length, alphabet and label format. A card keeps
// the layout it was generated with, whatever its policy says later.
type Layout struct {
	Rows, Cols int
	CellLength int
	Charset    Charset
	// Coordinate selects labels like B7 (column letter, row number); otherwise 001..168.
	Coordinate bool
}

// Cells is the number of cells of the card.
func (l Layout) Cells() int { return l.Rows * l.Cols }

// Validate checks the bounds of API.md section 5.2.
func (l Layout) Validate() error {
	switch {
	case l.Rows < 1 || l.Rows > 99:
		return &PolicyViolationError{"rows", "must be 1-99"}
	case l.Cols < 1 || l.Cols > 26:
		return &PolicyViolationError{"cols", "must be 1-26"}
	case l.CellLength < 2 || l.CellLength > 12:
		return &PolicyViolationError{"cellLength", "must be 2-12"}
	case l.Charset != CharsetDigits && l.Charset != CharsetCrockford32:
		return &PolicyViolationError{"cellCharset", "must be digits or crockford32"}
	}
	return nil
}

// Label names cell index i (0-based, row-major) as the user sees it on the card.
func (l Layout) Label(i int) string {
	if l.Coordinate {
		row, col := i/l.Cols, i%l.Cols
		return string(rune('A'+col)) + strconv.Itoa(row+1)
	}
	if l.Cells() > 999 {
		return fmt.Sprintf("%04d", i+1)
	}
	return fmt.Sprintf("%03d", i+1)
}

// ParseLabel returns the 0-based index of the cell a label names, or an error wrapping
// fault.ErrInvalid.
func (l Layout) ParseLabel(label string) (int, error) {
	bad := fmt.Errorf("%w: %q is not a cell label of this card", fault.ErrInvalid, label)
	if l.Coordinate {
		if len(label) < 2 || len(label) > 3 {
			return 0, bad
		}
		c := label[0]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		col := int(c) - 'A'
		row, err := strconv.Atoi(label[1:])
		if err != nil || label[1] == '0' || label[1] == '+' || col < 0 || col >= l.Cols || row < 1 || row > l.Rows {
			return 0, bad
		}
		return (row-1)*l.Cols + col, nil
	}
	width := 3
	if l.Cells() > 999 {
		width = 4
	}
	if len(label) != width {
		return 0, bad
	}
	n := 0
	for i := 0; i < len(label); i++ {
		if label[i] < '0' || label[i] > '9' {
			return 0, bad
		}
		n = n*10 + int(label[i]-'0')
	}
	if n < 1 || n > l.Cells() {
		return 0, bad
	}
	return n - 1, nil
}
