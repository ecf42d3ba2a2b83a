package tests

import (
	"encoding/base64"
	"regexp"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// defaultOTP is the grammar of a default card in clear: 12 rows, 14 cols, 168 counters, 168
// cells of 4 crockford32 characters, and no challenge.
var defaultOTP = regexp.MustCompile(`^12\|14\|[0-9]{168}\|[0-9A-HJKMNP-TV-Z]{672}$`)

// maskedOTP is the same card masked.
var maskedOTP = regexp.MustCompile(`^12\|14\|[0-9]{168}\|\*{672}$`)
