package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/httpapi"
	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/pdfcard"
	"github.com/otpcard/otpcard/adapters/telemetry"
	"github.com/otpcard/otpcard/application/audit"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	appprinting "github.com/otpcard/otpcard/application/printing"
	approllout "github.com/otpcard/otpcard/application/rollout"
)

var httpModule = fx.Module("http",
	fx.Provide(newVerifier, newHandler, newHTTPServer),
	fx.Invoke(func(*HTTPServer) {}),
)

type handlerDeps struct {
	fx.In
	Verifier *jwtauth.Verifier
	// Modules are the UseCases values of the modules served over HTTP (servedOverHTTP).
	Modules []any `group:"http"`
	DB      *Database
	Tel     *telemetry.Telemetry
	Logger  *slog.Logger
	Config  Config
	// Directory and Credential are what the console's pages show.
	Directory  appdirectory.UseCases
	Credential appcredential.UseCases
	Audit      audit.UseCases
	Rollout    approllout.UseCases
	Printing   appprinting.UseCases
}

// newHandler serves the JSON API, and the help-desk console under /console/.
func newHandler(d handlerDeps) (http.Handler, error) {
	api := newAPIHandler(d)
	console, err := newConsoleHandler(d)
	if err != nil {
		return nil, err
	}
	// Dispatched by the path as it came: a ServeMux would clean it (and redirect) before the API's
	// own answers to odd paths.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/console/") {
			console.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	}), nil
}

func newAPIHandler(d handlerDeps) http.Handler {
	return httpapi.NewHandler(httpapi.Deps{
		Auth: d.Verifier, Modules: d.Modules,
		RateLimits: rateLimitsOf(d.Config),
		Ready: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return d.DB.DB.PingContext(ctx)
		},
		PrintCard: printCard,
		Metrics:   d.Tel.MetricsHandler(), Logger: d.Logger,
		TracerProvider: d.Tel.TracerProvider(), MeterProvider: d.Tel.MeterProvider(),
		Propagator: d.Tel.Propagator(),
	})
}

// servedOverHTTP hands a module's UseCases value (of type M) to the HTTP adapter, one line in
// the module's fx.Module.
func servedOverHTTP[M any]() fx.Option {
	return fx.Provide(fx.Annotate(func(m M) any { return m }, fx.ResultTags(`group:"http"`)))
}

// rateLimitsOf turns the configuration into the HTTP adapter's rate limits (API.md section 6.1).
func rateLimitsOf(cfg Config) httpapi.RateLimits {
	if !cfg.RateLimit {
		return httpapi.RateLimits{}
	}
	return httpapi.RateLimits{
		LoginPerMinute: cfg.RateLimitLoginPerMinute, IssuePerMinute: cfg.RateLimitIssuePerMinute,
		AddressPerMinute: cfg.RateLimitAddressPerMinute, TrustedProxies: cfg.TrustedProxies,
	}
}

// HTTPServer serves the API; it listens when the app starts and drains when it stops.
type HTTPServer struct {
	srv    *http.Server
	ln     net.Listener
	logger *slog.Logger
	drain  *drain
}

func newHTTPServer(lc fx.Lifecycle, cfg Config, h http.Handler, logger *slog.Logger) *HTTPServer {
	d := newDrain()
	s := &HTTPServer{logger: logger, drain: d, srv: &http.Server{
		Addr: cfg.HTTPAddr, Handler: d.handler(h), ConnState: d.connState, ConnContext: d.connContext,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		// Header blocks up to 1 MiB reach the handler, which answers those over its own limit
		// (32 KiB) with a 431 problem; beyond this, net/http answers a plain-text 431 itself.
		MaxHeaderBytes: 1 << 20,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}}
	lc.Append(fx.Hook{OnStart: s.start, OnStop: s.stop})
	return s
}

func (s *HTTPServer) start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.srv.Addr)
	if err != nil {
		// The *net.OpError would repeat "listen tcp" and the address; its cause is the news.
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Err != nil {
			err = opErr.Err
		}
		return &VariableError{Variable: "OTPCARD_HTTP_ADDR", Err: fmt.Errorf("cannot listen on %s: %w", s.srv.Addr, err)}
	}
	s.ln = &onceCloseListener{Listener: ln}
	go func() {
		// stop closes the listener before Shutdown: then Serve ends with net.ErrClosed.
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.logger.Error("http server stopped", "error", err.Error())
		}
	}()
	return nil
}

// stop refuses new connections at once, lets every accepted connection deliver its request
// (see drain), then waits for the requests in flight. Answers given meanwhile close their
// connection, so that no keep-alive connection is left to race the shutdown.
func (s *HTTPServer) stop(ctx context.Context) error {
	s.srv.SetKeepAlivesEnabled(false)
	_ = s.ln.Close()
	s.drain.wait(ctx, 5*time.Second)
	return s.srv.Shutdown(ctx)
}

// Addr is the address the server listens on.
func (s *HTTPServer) Addr() net.Addr { return s.ln.Addr() }

// printCard renders a freshly issued card as a one-page PDF.
func printCard(is appcredential.Issued) ([]byte, error) {
	s := is.Card.Snapshot()
	return pdfcard.Render(pdfcard.Sheet{
		ClientExtID: s.ClientExtID, UserExtID: s.UserExtID, CredentialExtID: s.ExtID, Serial: s.Serial.String(),
		Layout: s.Grid.Layout(), Cells: is.Clear, ChallengeSize: is.ChallengeSize,
		ValidFrom: s.ValidFrom, ValidTo: s.ValidTo, IssuedAt: s.LastModified,
	})
}
