package httpapi

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// checkText refuses JSON text that encoding/json would silently rewrite: bytes that are not
// UTF-8, and \u escapes of unpaired UTF-16 surrogates, both of which it turns into U+FFFD, so
// that two different loginIds could be stored as one (API.md section 1: bytes are never silently
// rewritten). It also refuses \u0000, which no PostgreSQL text can hold. body is a JSON document
// the decoder has not judged yet; a malformed one passes here and fails there.
func checkText(body []byte) error {
	if !utf8.Valid(body) {
		return fmt.Errorf("%w: the body is not valid UTF-8", errInvalidData)
	}
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(body):
			if body[i+1] != 'u' {
				i++ // a one-character escape such as \" or \\
				continue
			}
			r, ok := hex4(body, i+2)
			if !ok {
				continue // malformed: the decoder reports it
			}
			i += 5
			switch {
			case r == 0:
				return fmt.Errorf("%w: strings must not contain NUL characters", errInvalidData)
			case utf16.IsSurrogate(r) && r < 0xdc00: // a high surrogate needs a low one next
				low, ok := rune(0), i+2 < len(body) && body[i+1] == '\\' && body[i+2] == 'u'
				if ok {
					low, ok = hex4(body, i+3)
				}
				if !ok || utf16.DecodeRune(r, low) == utf8.RuneError {
					return fmt.Errorf("%w: a string holds an unpaired UTF-16 surrogate", errInvalidData)
				}
				i += 6
			case utf16.IsSurrogate(r):
				return fmt.Errorf("%w: a string holds an unpaired UTF-16 surrogate", errInvalidData)
			}
		}
	}
	return nil
}

// hex4 reads the four hex digits at b[at:at+4].
func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
