package bootstrap

import (
	"io"
	"testing"

	"go.uber.org/fx"
)

// TestGraphIsComplete validates the fx graph without running constructors.
func TestGraphIsComplete(t *testing.T) {
	cfg, err := LoadConfig(func(name string) (string, bool) {
		v, ok := map[string]string{
			"OTPCARD_DATABASE_URL":     "postgres://localhost/none",
			"OTPCARD_CELL_PEPPER":      "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
			"OTPCARD_JWT_HS256_SECRET": "0123456789abcdef0123456789abcdef",
		}[name]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.ValidateApp(Modules(cfg, io.Discard), fx.Invoke(func(*HTTPServer) {})); err != nil {
		t.Fatalf("fx graph: %v", err)
	}
}
