package tests

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
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
	t.Parallel()
	_, f, api := startWithFixture(t, "pdf")
	r := api.ReplaceCardPDF(t, f.CardKey, client.CredentialReplace{})
	pdf := r.Want(t, http.StatusOK)
	if got := r.Header.Get("Content-Type"); got != "application/pdf" {
		t.Fatalf("Content-Type: got %q, want application/pdf", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[len(pdf)-16:], []byte("%%EOF")) {
		t.Fatalf("body is not a PDF: %.40q...", pdf)
	}
	if n := bytes.Count(pdf, []byte("/Type /Page\n")) + bytes.Count(pdf, []byte("/Type /Page ")); n != 1 {
		if !bytes.Contains(pdf, []byte("/Count 1")) {
			t.Errorf("got %d pages, want 1", n)
		}
	}
	texts := pdfTexts(pdf)
	if !strings.Contains(strings.Join(texts, " "), f.Card) {
		t.Errorf("the PDF does not name the card %s", f.Card)
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

	card := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	if card.Version != f.version+1 || !maskedOTP.MatchString(card.OTP) {
		t.Fatalf("card after the PDF replace: got version %v otp %.30v..., want version %v and masked", card.Version, card.OTP, f.version+1)
	}
	label := challenge(t, api, f.UserKey())
	if got := logIn(t, api, f.UserKey(), label, cellFromPDF(t, texts, label)); got != 5 {
		t.Fatalf("login with the cell printed on the PDF: got statusCode %d, want 5", got)
	}

	// Create answers a PDF too, with its Location.
	second := uid("pdf-second")
	cr := api.CreateCardPDF(t, f.UserKey(), client.CredentialCreate{ExtID: second})
	cr.WantStatus(t, http.StatusCreated)
	if cr.Header.Get("Content-Type") != "application/pdf" || !strings.HasSuffix(cr.Header.Get("Location"), "/"+second) {
		t.Errorf("create as PDF: got %q, Location %q", cr.Header.Get("Content-Type"), cr.Header.Get("Location"))
	}
	// JSON stays the default.
	jr := api.ReplaceCard(t, f.CardKey, client.CredentialReplace{}, client.Header("Accept", "*/*"))
	jr.WantStatus(t, http.StatusOK)
	if !strings.HasPrefix(jr.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Accept */*: got %q, want JSON", jr.Header.Get("Content-Type"))
	}
}
