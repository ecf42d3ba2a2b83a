package tests

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// tjStrings lists the strings a PDF's uncompressed content shows with Tj, in order.
var tjString = regexp.MustCompile(`\(((?:[^()\\]|\\.)*)\)\s*Tj`)

// crockfordCell is one default cell.
var crockfordCell = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}$`)

func pdfTexts(body []byte) []string {
	var out []string
	for _, m := range tjString.FindAllSubmatch(body, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// cellFromPDF returns the value printed for a cell of a default card: the renderer prints the
// 168 labels, then the 168 values, both in row-major order.
func cellFromPDF(t *testing.T, texts []string, label string) string {
	t.Helper()
	first := -1
	for i, s := range texts {
		if s == "001" {
			first = i
			break
		}
	}
	idx, err := defaultLayout.ParseLabel(label)
	if err != nil || first < 0 || first+2*168 > len(texts) || texts[first+idx] != label {
		t.Fatalf("label %q not printed in the PDF where expected", label)
	}
	return texts[first+168+idx]
}

// TestReplaceAsPDF asks for the new card as a printable PDF: one page whose text holds every new
// cell (proved by logging in with a cell read from it), while the service keeps only verifiers.
func TestReplaceAsPDF(t *testing.T) {
	s := startService(t)
	f := s.newFixture(t, "pdf")
	tok := rootToken(t)
	r := s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{},
		headers: map[string]string{"Accept": "application/pdf"}})
	mustStatus(t, r, http.StatusOK)
	if got := r.header.Get("Content-Type"); got != "application/pdf" {
		t.Fatalf("Content-Type: got %q, want application/pdf", got)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	if !bytes.HasPrefix(r.body, []byte("%PDF-")) || !bytes.Contains(r.body[len(r.body)-16:], []byte("%%EOF")) {
		t.Fatalf("body is not a PDF: %.40q...", r.body)
	}
	if n := bytes.Count(r.body, []byte("/Type /Page\n")) + bytes.Count(r.body, []byte("/Type /Page ")); n != 1 {
		if !bytes.Contains(r.body, []byte("/Count 1")) {
			t.Errorf("got %d pages, want 1", n)
		}
	}
	texts := pdfTexts(r.body)
	if !strings.Contains(strings.Join(texts, " "), f.card) {
		t.Errorf("the PDF does not name the card %s", f.card)
	}
	values := 0
	for _, s := range texts {
		if crockfordCell.MatchString(s) {
			values++
		}
	}
	if values < 168 {
		t.Errorf("got %d printed cell values, want 168", values)
	}

	card := s.do(request{method: "GET", path: s.cardPath(f), bearer: tok}).json(t)
	if card["version"] != f.version+1 || !maskedOTP.MatchString(card["otp"].(string)) {
		t.Fatalf("card after the PDF replace: got version %v otp %.30v..., want version %v and masked", card["version"], card["otp"], f.version+1)
	}
	label := s.challenge(t, f, tok)
	if got := statusCodeOf(t, s.login(t, f, tok, label, cellFromPDF(t, texts, label))); got != 5 {
		t.Fatalf("login with the cell printed on the PDF: got statusCode %d, want 5", got)
	}

	// Create answers a PDF too, with its Location.
	second := uid("pdf-second")
	r = s.do(request{method: "POST", path: s.cardsPath(f), bearer: tok, body: map[string]any{"extId": second},
		headers: map[string]string{"Accept": "application/pdf"}})
	mustStatus(t, r, http.StatusCreated)
	if r.header.Get("Content-Type") != "application/pdf" || !strings.HasSuffix(r.header.Get("Location"), "/"+second) {
		t.Errorf("create as PDF: got %q, Location %q", r.header.Get("Content-Type"), r.header.Get("Location"))
	}
	// JSON stays the default.
	r = s.do(request{method: "POST", path: s.replacePath(f), bearer: tok, body: map[string]any{},
		headers: map[string]string{"Accept": "*/*"}})
	mustStatus(t, r, http.StatusOK)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("Accept */*: got %q, want JSON", r.header.Get("Content-Type"))
	}
}
