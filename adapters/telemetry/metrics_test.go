package telemetry_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: got status %d, want 200", rec.Code)
	}
	body, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestMetricsHandlerServesInstrumentsAndRuntime(t *testing.T) {
	clearEnv(t)
	tel := newTelemetry(t)

	counter, err := tel.MeterProvider().Meter("test").Int64Counter("otpcard.test.logins")
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(t.Context(), 3)

	body := scrape(t, tel.MetricsHandler())
	for _, want := range []string{
		"otpcard_test_logins_total",
		"go_goroutines",
		`service_name="otpcard-test"`,
		`service_version="1.2.3"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("got /metrics without %q:\n%s", want, body)
		}
	}
	if !strings.Contains(body, "otpcard_test_logins_total{") || !strings.Contains(body, "} 3\n") {
		t.Errorf("got /metrics without the counter at 3:\n%s", body)
	}
}

func TestEnvOverridesServiceName(t *testing.T) {
	clearEnv(t)
	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
	tel := newTelemetry(t)

	body := scrape(t, tel.MetricsHandler())
	for _, want := range []string{`service_name="from-env"`, `deployment_environment_name="test"`} {
		if !strings.Contains(body, want) {
			t.Errorf("got target_info without %q:\n%s", want, body)
		}
	}
}

func TestTwoInstancesDoNotCollide(t *testing.T) {
	clearEnv(t)
	newTelemetry(t)
	newTelemetry(t) // a global registry would fail here with a duplicate registration
}
