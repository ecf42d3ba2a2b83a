package httpapi

import (
	"strconv"
	"strings"
)

// acceptance is how much an Accept header wants one media type: its quality and the range that
// gave it (the most specific range that matches, RFC 9110 section 12.5.1).
type acceptance struct {
	q           float64
	specificity int // 3 type/subtype, 2 type/*, 1 */*, 0 no range matched
	index       int // the range's position in the header
}

// accepts reads how much the Accept header wants mediaType ("type/subtype"). Types compare
// case-insensitively; a range whose q is malformed is ignored; q=0 excludes.
func accepts(header, mediaType string) acceptance {
	typ, sub, _ := strings.Cut(strings.ToLower(mediaType), "/")
	best := acceptance{}
	for i, item := range strings.Split(header, ",") {
		params := strings.Split(item, ";")
		rangeType, rangeSub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(params[0])), "/")
		if !ok {
			continue
		}
		var specificity int
		switch {
		case rangeType == typ && rangeSub == sub:
			specificity = 3
		case rangeType == typ && rangeSub == "*":
			specificity = 2
		case rangeType == "*" && rangeSub == "*":
			specificity = 1
		default:
			continue
		}
		q, valid := 1.0, true
		for _, p := range params[1:] {
			name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(name), "q") {
				var err error
				q, err = strconv.ParseFloat(strings.TrimSpace(value), 64)
				valid = err == nil && q >= 0 && q <= 1
			}
		}
		if valid && specificity > best.specificity {
			best = acceptance{q: q, specificity: specificity, index: i}
		}
	}
	return best
}

// prefersPDF decides between the JSON representation (the default) and the printable card: the
// PDF when the Accept header wants it more than JSON, or as much through an equally specific
// range that comes first ("application/pdf, application/json"). A missing header, */*, and a
// PDF excluded with q=0 all give JSON.
func prefersPDF(header string) bool {
	if strings.TrimSpace(header) == "" {
		return false
	}
	pdf, json := accepts(header, mimePDF), accepts(header, mimeJSON)
	switch {
	case pdf.specificity == 0 || pdf.q == 0:
		return false
	case pdf.q != json.q:
		return pdf.q > json.q
	case pdf.specificity != json.specificity:
		return pdf.specificity > json.specificity
	}
	return pdf.index < json.index
}
