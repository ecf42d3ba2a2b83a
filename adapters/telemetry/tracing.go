package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// TracerProvider returns the provider every instrumented component should take its tracer from.
func (t *Telemetry) TracerProvider() trace.TracerProvider { return t.tracerProvider }

// Propagator returns the W3C tracecontext and baggage propagator used for incoming and outgoing
// requests.
func (t *Telemetry) Propagator() propagation.TextMapPropagator { return t.propagator }

func newPropagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// newTracerProvider always creates a working provider, so spans exist and their ids reach the
// logs even when nothing is exported. When traces are exported, the sampler comes from
// OTEL_TRACES_SAMPLER through the SDK default and the batch processor reads OTEL_BSP_*. When they
// are not, no span is recorded: each still carries a trace id (an incoming traceparent's, or a
// new one) for the logs, but the attributes, timings and events that nobody would receive are
// never collected; on the login path that work was about a sixth of the service's CPU (bunotel
// walks the stack of every query for its code attributes).
func newTracerProvider(ctx context.Context, res *resource.Resource, logger *slog.Logger) (*sdktrace.TracerProvider, error) {
	export, err := tracesExportEnabled()
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if export {
		// otlptracehttp reads OTEL_EXPORTER_OTLP_* (endpoint, headers, TLS, timeout) itself.
		exporter, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("create OTLP/HTTP trace exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exporter))
		logger.Info("exporting traces", "exporter", "otlp", "protocol", "http")
	} else {
		logger.Debug("not exporting traces", "hint", "set OTEL_TRACES_EXPORTER=otlp and OTEL_EXPORTER_OTLP_ENDPOINT")
		opts = append(opts, sdktrace.WithSampler(sdktrace.NeverSample()))
	}
	return sdktrace.NewTracerProvider(opts...), nil
}

// tracesExportEnabled reads OTEL_TRACES_EXPORTER. Unlike the specification's default ("otlp"),
// an unset variable exports only when an OTLP endpoint is configured: a service started without
// any OTEL_* setting should not retry against localhost:4318 forever.
func tracesExportEnabled() (bool, error) {
	var export bool
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER"))); v {
	case "none":
		return false, nil
	case "otlp":
		export = true
	case "":
		export = os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER: unsupported value %q (want otlp or none)", v)
	}
	if export {
		if err := checkOTLPProtocol(); err != nil {
			return false, err
		}
	}
	return export, nil
}

// checkOTLPProtocol rejects a protocol the HTTP exporter cannot speak. Without this check,
// OTEL_EXPORTER_OTLP_PROTOCOL=grpc would send HTTP requests to a gRPC port and lose every span
// in silence.
func checkOTLPProtocol() error {
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		v := strings.TrimSpace(os.Getenv(name))
		switch v {
		case "":
			continue
		case "http/protobuf", "http/json":
			return nil
		default:
			return fmt.Errorf("%s: unsupported value %q (want http/protobuf or http/json)", name, v)
		}
	}
	return nil
}
