// Package httpapi is otpcard's HTTP adapter: the nevisIDM-compatible REST API on gin. routes.go
// lists every route; handlers decode, call one use case and encode; problem.go is the one place
// that maps errors to HTTP.
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

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

// Deps is what the HTTP adapter serves: each module's use cases, whole, and the platform around
// them.
type Deps struct {
	Auth Authenticator
	// Modules are the modules' UseCases values (appdirectory.UseCases, ...): routes.go takes
	// each module's value with moduleOf, and each route the use case it calls.
	Modules []any
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
	// directory is the directory's value, for the self-admin gate of authenticate.
	directory appdirectory.UseCases
}

// NewHandler builds the HTTP handler of the whole API.
func NewHandler(d Deps) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{Deps: d, logger: d.Logger, limits: newRateLimiters(d.RateLimits),
		directory: moduleOf[appdirectory.UseCases](d.Modules)}
	engine := gin.New()
	engine.HandleMethodNotAllowed = true
	engine.RedirectTrailingSlash = false
	engine.RedirectFixedPath = false
	engine.ContextWithFallback = true
	s.routes(engine)
	return engine
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// moduleOf is the module value of type M among modules. A handler built without modules (to list
// its routes) gets M's zero value; one built with modules but without M is a wiring mistake.
func moduleOf[M any](modules []any) M {
	var zero M
	for _, m := range modules {
		if v, ok := m.(M); ok {
			return v
		}
	}
	if len(modules) > 0 {
		panic(fmt.Sprintf("httpapi: no module of type %T among the modules served", zero))
	}
	return zero
}
