// Package httpapi is otpcard's HTTP adapter: the nevisIDM-compatible REST API on gin. routes.go
// lists every route; handlers decode, call one use case and encode; problem.go is the one place
// that maps errors to HTTP.
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/otpcard/otpcard/application/audit"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/access"
)

// Authenticator turns tokens into principals.
type Authenticator interface {
	// Admin verifies an Authorization: Bearer token; any error means 401.
	Admin(ctx context.Context, raw string) (access.Principal, error)
	// SelfAdmin verifies an X-Token token; any error means 401.
	SelfAdmin(ctx context.Context, raw string) (access.Principal, error)
}

// Deps is what the HTTP adapter serves: each module's use cases, whole (a route takes from its
// module's value the use case it calls), and the platform around them.
type Deps struct {
	Auth       Authenticator
	Directory  appdirectory.UseCases
	Credential appcredential.UseCases
	Audit      *audit.ListAuditEvents
	// PrintCard renders a freshly issued card as a PDF (Accept: application/pdf).
	PrintCard      Printer
	Ready          func(ctx context.Context) error
	Metrics        http.Handler
	Logger         *slog.Logger
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Propagator     propagation.TextMapPropagator
	// RateLimits are the limits of API.md section 6.1; the zero value switches them off.
	RateLimits RateLimits
}

type server struct {
	Deps
	logger *slog.Logger
	limits rateLimiters
}

// NewHandler builds the HTTP handler of the whole API.
func NewHandler(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{Deps: d, logger: d.Logger, limits: newRateLimiters(d.RateLimits)}
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	engine.RedirectTrailingSlash = false
	engine.RedirectFixedPath = false
	engine.ContextWithFallback = true
	s.routes(engine)
	return engine
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
