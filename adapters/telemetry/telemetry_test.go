package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/otpcard/otpcard/adapters/telemetry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// otelEnv lists every variable these tests touch; clearEnv unsets them so the host's own
// settings cannot leak in.
var otelEnv = []string{
	"OTEL_TRACES_EXPORTER",
	"OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_PROTOCOL",
	"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	"OTEL_TRACES_SAMPLER",
	"OTEL_TRACES_SAMPLER_ARG",
	"OTEL_SERVICE_NAME",
	"OTEL_RESOURCE_ATTRIBUTES",
	"OTEL_SDK_DISABLED",
}

func clearEnv(t *testing.T) {
	t.Helper()
	for _, name := range otelEnv {
		t.Setenv(name, "") // restores the original value after the test
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

func newTelemetry(t *testing.T) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(t.Context(), telemetry.Config{ServiceName: "otpcard-test", ServiceVersion: "1.2.3"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return tel
}

// Without an exporter, spans carry trace ids (for the logs) but record nothing.
func TestNewWithoutEnvCreatesSpans(t *testing.T) {
	clearEnv(t)
	tel := newTelemetry(t)

	_, span := tel.TracerProvider().Tracer("test").Start(t.Context(), "op")
	defer span.End()
	sc := span.SpanContext()
	if !sc.IsValid() {
		t.Fatalf("got invalid span context %+v, want valid trace and span ids", sc)
	}
	if sc.IsSampled() || span.IsRecording() {
		t.Errorf("got sampled=%v recording=%v, want neither when nothing is exported", sc.IsSampled(), span.IsRecording())
	}
	_, child := tel.TracerProvider().Tracer("test").Start(trace.ContextWithSpan(t.Context(), span), "child")
	defer child.End()
	if child.SpanContext().TraceID() != sc.TraceID() {
		t.Errorf("child trace id %s, want its parent's %s", child.SpanContext().TraceID(), sc.TraceID())
	}
}

// With an exporter, the SDK's default sampler (parentbased_always_on) records every span.
func TestNewWithExporterRecordsSpans(t *testing.T) {
	clearEnv(t)
	collector := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(collector.Close)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	tel := newTelemetry(t)
	_, span := tel.TracerProvider().Tracer("test").Start(t.Context(), "op")
	if !span.SpanContext().IsSampled() || !span.IsRecording() {
		t.Errorf("got sampled=%v recording=%v, want both", span.SpanContext().IsSampled(), span.IsRecording())
	}
	span.End()
}

func TestNewRejectsBadEnv(t *testing.T) {
	for _, tc := range []struct {
		name, value string
	}{
		{"OTEL_TRACES_EXPORTER", "bogus"},
		{"OTEL_TRACES_EXPORTER", "jaeger"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
		{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"},
		{"OTEL_RESOURCE_ATTRIBUTES", "not-a-pair"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
			t.Setenv(tc.name, tc.value)
			tel, err := telemetry.New(t.Context(), telemetry.Config{ServiceName: "otpcard-test"})
			if err == nil {
				_ = tel.Shutdown(context.Background())
				t.Fatalf("got nil error, want an error naming %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.name) {
				t.Errorf("got error %q, want it to name %s", err, tc.name)
			}
		})
	}
}

// collector is an OTLP/HTTP endpoint that records the requests it receives.
type collector struct {
	mu       sync.Mutex
	requests []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	c.mu.Lock()
	c.requests = append(c.requests, r.Method+" "+r.URL.Path)
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK)
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.requests...)
}

func TestTraceExportFollowsEnv(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    func(url string) map[string]string
		export bool
	}{
		{"exporter otlp with base endpoint", func(url string) map[string]string {
			return map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": url}
		}, true},
		{"exporter unset with base endpoint", func(url string) map[string]string {
			return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": url}
		}, true},
		{"exporter unset with traces endpoint", func(url string) map[string]string {
			return map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": url + "/v1/traces"}
		}, true},
		{"exporter otlp with explicit protocol", func(url string) map[string]string {
			return map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": url, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}
		}, true},
		{"exporter none with endpoint", func(url string) map[string]string {
			return map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": url}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			var c collector
			srv := httptest.NewServer(&c)
			defer srv.Close()
			for k, v := range tc.env(srv.URL) {
				t.Setenv(k, v)
			}

			tel, err := telemetry.New(t.Context(), telemetry.Config{ServiceName: "otpcard-test"})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			_, span := tel.TracerProvider().Tracer("test").Start(t.Context(), "op")
			span.End()
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			got := c.got()
			if tc.export && !contains(got, "POST /v1/traces") {
				t.Errorf("got requests %q, want one POST /v1/traces", got)
			}
			if !tc.export && len(got) != 0 {
				t.Errorf("got requests %q, want none", got)
			}
		})
	}
}

func TestShutdownTwice(t *testing.T) {
	clearEnv(t)
	tel, err := telemetry.New(t.Context(), telemetry.Config{ServiceName: "otpcard-test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for i := range 2 {
		if err := tel.Shutdown(t.Context()); err != nil {
			t.Errorf("Shutdown #%d: got %v, want nil", i+1, err)
		}
	}
}

func TestPropagatorFields(t *testing.T) {
	clearEnv(t)
	tel := newTelemetry(t)
	got := strings.Join(tel.Propagator().Fields(), ",")
	for _, want := range []string{"traceparent", "baggage"} {
		if !strings.Contains(got, want) {
			t.Errorf("got propagator fields %q, want %q among them", got, want)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
