package pdfcard

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// printable returns the letter with its sender, name, address and contact in what the letter's
// fonts print (Windows-1252): a letter with marks the code page lacks is printed without them
// (Ł as L, ő as o), and a name or address that still holds a character the fonts cannot print
// (東京) is refused rather than printed with dots where letters were, which no post office
// would deliver.
func (l Letter) printable() (Letter, error) {
	for _, field := range []*string{&l.ClientDisplayName, &l.Name, &l.HelpdeskContact} {
		s, ok := inCodePage(*field)
		if !ok {
			return l, fmt.Errorf("%w: a name, address or contact holds characters the letter cannot print", ErrInvalidSheet)
		}
		*field = s
	}
	lines := make([]string, len(l.AddressLines))
	for i, line := range l.AddressLines {
		s, ok := inCodePage(line)
		if !ok {
			return l, fmt.Errorf("%w: a name, address or contact holds characters the letter cannot print", ErrInvalidSheet)
		}
		lines[i] = s
	}
	l.AddressLines = lines
	return l, nil
}

// strokes are the letters whose mark is part of the letter in Unicode (no decomposition).
var strokes = map[rune]string{'Ł': "L", 'ł': "l", 'Đ': "D", 'đ': "d", 'Ħ': "H", 'ħ': "h", 'ı': "i", 'Ŀ': "L", 'ŀ': "l",
	'Ŧ': "T", 'ŧ': "t", 'Ɨ': "I", 'ɨ': "i", 'ĸ': "k"}

// inCodePage writes s in characters of Windows-1252 and reports whether it could.
func inCodePage(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		if _, ok := charmap.Windows1252.EncodeRune(r); ok {
			b.WriteRune(r)
			continue
		}
		if t, ok := strokes[r]; ok {
			b.WriteString(t)
			continue
		}
		base := strings.Map(func(c rune) rune {
			if unicode.Is(unicode.Mn, c) {
				return -1
			}
			return c
		}, norm.NFD.String(string(r)))
		for _, c := range base {
			if _, ok := charmap.Windows1252.EncodeRune(c); !ok {
				return "", false
			}
		}
		if base == "" {
			return "", false
		}
		b.WriteString(base)
	}
	return b.String(), true
}
