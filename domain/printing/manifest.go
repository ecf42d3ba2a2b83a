package printing

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
)

// Manifest is the CSV that goes with a chunk's letters (API.md section 11.2): one row per letter,
// control number, serial, userExtId and page of the chunk's PDF, so that a print shop can check
// that every letter was printed and a bank can trace one. It holds no cell.
func Manifest(letters []Letter) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"controlNumber", "serialNumber", "userExtId", "page"})
	for i, l := range letters {
		_ = w.Write([]string{strconv.Itoa(l.ControlNumber), l.Card.Serial, inert(l.Card.UserExtID), strconv.Itoa(i + 1)})
	}
	w.Flush()
	return b.Bytes()
}

// inert keeps a spreadsheet from reading a value as a formula: one that starts with = + - or @ gets
// a leading apostrophe (an extId may start with a hyphen).
func inert(v string) string {
	if v != "" && strings.ContainsRune("=+-@", rune(v[0])) {
		return "'" + v
	}
	return v
}
