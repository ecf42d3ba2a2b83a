// Package telemetry builds the OpenTelemetry tracer and meter providers of the service, the
// Prometheus /metrics handler and a slog handler that stamps log records with trace ids.
//
// Nothing here touches the otel globals: the caller passes the providers and the propagator to
// whatever needs them.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Config names the service in its telemetry. Logger receives the few lines telemetry writes
// about itself (which exporter is in use); nil discards them.
type Config struct {
	ServiceName    string
	ServiceVersion string
	Logger         *slog.Logger
}

// Telemetry owns the tracer and meter providers and the Prometheus registry behind /metrics.
// Create it with New and release it with Shutdown, which flushes spans still buffered.
type Telemetry struct {
	tracerProvider *sdktrace.TracerProvider
	meterProvider  *sdkmetric.MeterProvider
	registry       *prometheus.Registry
	propagator     propagation.TextMapPropagator

	shutdownOnce sync.Once
	shutdownErr  error
}

// New builds the providers. Traces are exported only when the standard OTEL_* variables ask for
// it (see tracing.go); metrics are always served through MetricsHandler. An invalid OTEL_*
// setting is an error that names the variable.
func New(ctx context.Context, cfg Config) (*Telemetry, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	tp, err := newTracerProvider(ctx, res, logger)
	if err != nil {
		return nil, err
	}
	mp, reg, err := newMeterProvider(res)
	if err != nil {
		return nil, errors.Join(err, tp.Shutdown(ctx))
	}
	return &Telemetry{
		tracerProvider: tp,
		meterProvider:  mp,
		registry:       reg,
		propagator:     newPropagator(),
	}, nil
}

// Shutdown flushes buffered spans to the exporter and stops both providers. Later calls return
// the first call's result.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.shutdownOnce.Do(func() {
		var errs []error
		if err := t.tracerProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down tracer provider: %w", err))
		}
		if err := t.meterProvider.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down meter provider: %w", err))
		}
		t.shutdownErr = errors.Join(errs...)
	})
	return t.shutdownErr
}

// newResource describes the service. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are applied
// last, so the environment overrides the names compiled into the binary.
func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	opts := []resource.Option{
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithTelemetrySDK(),
	}
	if cfg.ServiceName != "" {
		opts = append(opts, resource.WithAttributes(semconv.ServiceName(cfg.ServiceName)))
	}
	if cfg.ServiceVersion != "" {
		opts = append(opts, resource.WithAttributes(semconv.ServiceVersion(cfg.ServiceVersion)))
	}
	opts = append(opts, resource.WithFromEnv())
	res, err := resource.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("telemetry resource (check OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME): %w", err)
	}
	return res, nil
}
