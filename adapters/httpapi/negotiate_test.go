package httpapi

import "testing"

// TestPrefersPDF: the printable card only when the Accept header prefers it (RFC 9110 rules),
// never when q=0 excludes it; media types compare case-insensitively.
func TestPrefersPDF(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"", false},
		{"*/*", false},
		{"application/json", false},
		{"application/pdf", true},
		{"APPLICATION/PDF", true},
		{"Application/Pdf; charset=binary", true},
		{"application/pdf;q=0", false},
		{"application/pdf; q=0.0", false},
		{"application/pdf;q=0, */*", false},
		{"application/pdf, application/json", true},
		{"application/json, application/pdf", false},
		{"application/json;q=0.5, application/pdf", true},
		{"application/pdf;q=0.5, application/json", false},
		{"application/pdf;q=0.9, */*;q=0.1", true},
		{"application/*", false},
		{"application/*, application/pdf;q=0", false},
		{"text/html", false},
		{"application/pdf;q=bogus", false},
		{"application/pdf;q=2", false},
		{"*/*, application/pdf", true},
	}
	for _, tt := range tests {
		if got := prefersPDF(tt.accept); got != tt.want {
			t.Errorf("prefersPDF(%q): got %v, want %v", tt.accept, got, tt.want)
		}
	}
}
