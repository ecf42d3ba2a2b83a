package bootstrap

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/agecrypt"
	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/adapters/jwtauth"
	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/adapters/telemetry"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appdirectory "github.com/otpcard/otpcard/application/directory"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/directory"
)

// version is reported in telemetry.
const version = "0.1.0"

// clock is the time every use case sees: UTC, at the microsecond precision PostgreSQL keeps, so
// a response equals what a later read returns.
func clock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Modules is the whole fx graph of the service for cfg; logOut receives the logs.
func Modules(cfg Config, logOut io.Writer) fx.Option {
	return fx.Options(
		fx.Supply(cfg),
		fx.Provide(func() *slog.Logger { return newLogger(cfg, logOut) }),
		platformModule,
		directoryModule,
		credentialModule,
		printingModule,
		rolloutModule,
		lifecycleModule,
		notifyModule(cfg),
		auditModule,
		eventsModule(cfg),
		httpModule,
	)
}

var platformModule = fx.Module("platform",
	fx.Provide(newTelemetry, newDatabase, newTracer),
)

// directoryModule is the directory: clients and users.
var directoryModule = fx.Module("directory",
	fx.Provide(newDirectory),
	servedOverHTTP[appdirectory.UseCases](),
	recordsEvents(directory.EventTypes),
)

// directoryDeps are the directory's dependents: every module that provides one asDependent.
type directoryDeps struct {
	fx.In
	DB         *Database
	Tracer     trace.Tracer
	Dependents []appdirectory.Dependents `group:"dependents"`
}

func newDirectory(d directoryDeps) appdirectory.UseCases {
	return appdirectory.New(appdirectory.Deps{Clients: postgres.NewClientStore(d.DB.DB), Users: postgres.NewUserStore(d.DB.DB),
		Dependents: d.Dependents, Recipients: agecrypt.Recipients{}, Now: clock, Tracer: d.Tracer})
}

// asDependent adds a constructor's result to the modules that take part in the directory's
// changes (appdirectory.Dependents), one line in the module that provides it.
func asDependent(constructor any) any {
	return fx.Annotate(constructor, fx.As(new(appdirectory.Dependents)), fx.ResultTags(`group:"dependents"`))
}

// credentialModule is the credential module: OTP cards and their policies, and its side of the
// seam with the directory.
var credentialModule = fx.Module("credential",
	fx.Provide(newCellHasher, newCredential),
	fx.Provide(asDependent(newDirectorySeam)),
	servedOverHTTP[appcredential.UseCases](),
	recordsEvents(credential.EventTypes),
)

func newCredential(cfg Config, db *Database, hasher *cellhash.Hasher, tracer trace.Tracer) appcredential.UseCases {
	return appcredential.New(appcredential.Deps{Cards: postgres.NewCardStore(db.DB), Policies: postgres.NewPolicyStore(db.DB),
		Hasher: hasher, Verifier: hasher, Now: clock, Tracer: tracer, MaxAuthAge: cfg.SelfAdminMaxAuthAge})
}

func newDirectorySeam(db *Database) *appcredential.DirectorySeam {
	return appcredential.NewDirectorySeam(postgres.NewPolicyStore(db.DB), postgres.NewCardStore(db.DB), clock)
}

func newLogger(cfg Config, out io.Writer) *slog.Logger {
	if out == nil {
		out = os.Stderr
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewJSONHandler(out, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(out, opts)
	}
	return slog.New(telemetry.NewLogHandler(h))
}

func newTelemetry(lc fx.Lifecycle, logger *slog.Logger) (*telemetry.Telemetry, error) {
	t, err := telemetry.New(context.Background(), telemetry.Config{
		ServiceName: "otpcard", ServiceVersion: version, Logger: logger})
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(t.Shutdown))
	return t, nil
}

func newTracer(t *telemetry.Telemetry) trace.Tracer {
	return t.TracerProvider().Tracer("github.com/otpcard/otpcard/application")
}

func newCellHasher(cfg Config) (*cellhash.Hasher, error) {
	return cellhash.New(cfg.CellPepper, cellhash.DefaultParams(), 0)
}

// newVerifier checks the token keys. The JWKS file was read before the start; what can still fail
// here is fetching OTPCARD_JWT_JWKS_URL, which the start then names.
func newVerifier(cfg Config) (*jwtauth.Verifier, error) {
	v, err := jwtauth.New(context.Background(), jwtauth.Config{
		Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, HS256Secret: cfg.JWTHS256Secret,
		JWKSFile: cfg.JWTJWKSFile, JWKSURL: cfg.JWTJWKSURL,
	})
	if err != nil && cfg.JWTJWKSURL != "" {
		return nil, &VariableError{Variable: "OTPCARD_JWT_JWKS_URL", Err: err}
	}
	return v, err
}
