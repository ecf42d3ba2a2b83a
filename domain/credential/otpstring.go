package credential

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/otpcard/otpcard/domain/fault"
)

// OTPString is the parsed form of the `otp` member: rows|cols|counters|card(|latestChallenge)
// (API.md section 5.1).
type OTPString struct {
	Rows, Cols int
	// Uses holds the successful uses of each cell, row-major.
	Uses []int
	// Cells holds each cell's text: the value in clear, or '*' repeated cellLength times.
	Cells []string
	// Challenge is the outstanding challenge's label, or empty.
	Challenge string
}

// String encodes the otp member. Use counts saturate at 9.
func (o OTPString) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(o.Rows))
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(o.Cols))
	b.WriteByte('|')
	for _, u := range o.Uses {
		b.WriteByte(byte('0' + min(max(u, 0), 9)))
	}
	b.WriteByte('|')
	for _, c := range o.Cells {
		b.WriteString(c)
	}
	if o.Challenge != "" {
		b.WriteByte('|')
		b.WriteString(o.Challenge)
	}
	return b.String()
}

// Masked returns the cells of a card of that layout with every character replaced by '*'.
func Masked(l Layout) []string {
	cells := make([]string, l.Cells())
	mask := strings.Repeat("*", l.CellLength)
	for i := range cells {
		cells[i] = mask
	}
	return cells
}

// ParseOTPString decodes an otp member; errors wrap fault.ErrInvalid.
func ParseOTPString(s string) (OTPString, error) {
	bad := func(why string) (OTPString, error) {
		return OTPString{}, fmt.Errorf("%w: otp string: %s", fault.ErrInvalid, why)
	}
	parts := strings.Split(s, "|")
	if len(parts) != 4 && len(parts) != 5 {
		return bad("want 4 or 5 parts separated by |")
	}
	rows, err1 := strconv.Atoi(parts[0])
	cols, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || rows < 1 || rows > 99 || cols < 1 || cols > 26 ||
		strings.HasPrefix(parts[0], "+") || strings.HasPrefix(parts[1], "+") {
		return bad("rows and cols must be integers within 1-99 and 1-26")
	}
	n := rows * cols
	if len(parts[2]) != n {
		return bad("want one counter digit per cell")
	}
	o := OTPString{Rows: rows, Cols: cols, Uses: make([]int, n), Cells: make([]string, n)}
	for i := 0; i < n; i++ {
		c := parts[2][i]
		if c < '0' || c > '9' {
			return bad("counters must be decimal digits")
		}
		o.Uses[i] = int(c - '0')
	}
	card := parts[3]
	if len(card) == 0 || len(card)%n != 0 {
		return bad("card length is not a multiple of the cell count")
	}
	width := len(card) / n
	for i := range o.Cells {
		o.Cells[i] = card[i*width : (i+1)*width]
	}
	if len(parts) == 5 {
		if parts[4] == "" {
			return bad("empty challenge")
		}
		o.Challenge = parts[4]
	}
	return o, nil
}
