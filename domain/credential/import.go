package credential

import (
	"fmt"
	"strings"

	"github.com/otpcard/otpcard/domain/fault"
)

// ImportedCells reads the cells of a card printed by another system, as an import file gives
// them (API.md section 11.1): row-major, separated by spaces, in layout l's geometry and charset.
// Each cell is read as a user types it (Normalize), so that the cell verifies as printed. The
// error never repeats a cell.
func ImportedCells(l Layout, field string) ([]string, error) {
	cells := strings.Fields(field)
	if len(cells) != l.Cells() {
		return nil, fmt.Errorf("%w: %d cells, but a card of the policy has %d (%d rows of %d)",
			fault.ErrInvalid, len(cells), l.Cells(), l.Rows, l.Cols)
	}
	alphabet := l.Charset.Alphabet()
	for i, c := range cells {
		c = l.Charset.Normalize(c)
		if len(c) != l.CellLength || strings.Trim(c, alphabet) != "" {
			clear(cells)
			return nil, fmt.Errorf("%w: cell %s is not %d characters of %s", fault.ErrInvalid, l.Label(i), l.CellLength, l.Charset)
		}
		cells[i] = c
	}
	return cells, nil
}

// ImportedState is the state an imported card starts in: initial when name is empty, else
// initial, active or disabled, as on create; any other name is ErrUnknownState.
func ImportedState(name string) (State, error) {
	if name == "" {
		return StateInitial, nil
	}
	s, err := ParseState(name)
	if err != nil || !creatableStates[s] {
		return "", fmt.Errorf("%w: an imported card starts initial, active or disabled, not %q", ErrUnknownState, shortName(name))
	}
	return s, nil
}

func shortName(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
