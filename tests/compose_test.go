package tests

import (
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/otpcard/otpcard/bootstrap"
)

// composeFile is the subset of the Compose specification docker-compose.yml may use; decoding is
// strict, so an unknown or misspelt key fails the test.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string                       `yaml:"image"`
	Build       any                          `yaml:"build"`
	Environment map[string]string            `yaml:"environment"`
	Ports       []string                     `yaml:"ports"`
	Volumes     []string                     `yaml:"volumes"`
	DependsOn   map[string]map[string]string `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	Restart  string   `yaml:"restart"`
	Profiles []string `yaml:"profiles"`
	Command  []string `yaml:"command"`
}

// interpolation is Compose's ${NAME:-default}.
var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+):-([^}]*)\}`)

// resolved replaces interpolations by their defaults, as Compose does with an empty environment.
func resolved(v string) string { return interpolation.ReplaceAllString(v, "$2") }

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// configVariables lists the OTPCARD_ variables the binary reads.
func configVariables(t *testing.T) []string {
	t.Helper()
	var names []string
	bootstrap.LoadConfig(func(name string) (string, bool) {
		names = append(names, name)
		return "", false
	})
	if len(names) < 10 {
		t.Fatalf("got %d configuration variables, want the whole table", len(names))
	}
	return names
}

// TestComposeMatchesTheBinary checks docker-compose.yml against what otpcard reads and serves:
// every variable is one the binary knows and its value is accepted, the database URL reaches the
// postgres service with its credentials, ports and health checks line up, and traces go to the
// viewer's OTLP port.
func TestComposeMatchesTheBinary(t *testing.T) {
	f := loadCompose(t)
	app, ok := f.Services["otpcard"]
	pg, okPG := f.Services["postgres"]
	viewer, okViewer := f.Services["jaeger"]
	if !ok || !okPG || !okViewer {
		t.Fatalf("got services %v, want otpcard, postgres and jaeger", slices.Sorted(mapKeys(f.Services)))
	}
	known := configVariables(t)
	otel := []string{"OTEL_SERVICE_NAME", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER"}
	env := map[string]string{}
	for name, v := range app.Environment {
		if !slices.Contains(known, name) && !slices.Contains(otel, name) {
			t.Errorf("otpcard environment sets %s, which the binary does not read", name)
		}
		env[name] = resolved(v)
	}
	cfg, err := bootstrap.LoadConfig(func(name string) (string, bool) { v, ok := env[name]; return v, ok })
	if err != nil {
		t.Fatalf("the compose environment is not a valid configuration:\n%v", err)
	}
	if cfg.Embedded() {
		t.Fatal("compose must set OTPCARD_DATABASE_URL: the image has no PostgreSQL binaries")
	}

	db, err := url.Parse(cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := db.User.Password()
	if db.Hostname() != "postgres" || db.Port() != "5432" || db.User.Username() != pg.Environment["POSTGRES_USER"] ||
		pass != pg.Environment["POSTGRES_PASSWORD"] || strings.TrimPrefix(db.Path, "/") != pg.Environment["POSTGRES_DB"] {
		t.Errorf("OTPCARD_DATABASE_URL %q does not match the postgres service %v", cfg.DatabaseURL, pg.Environment)
	}
	if app.DependsOn["postgres"]["condition"] != "service_healthy" {
		t.Errorf("otpcard depends_on postgres: got %v, want condition service_healthy", app.DependsOn["postgres"])
	}
	if pg.Healthcheck == nil || !slices.Contains(pg.Healthcheck.Test, "pg_isready") ||
		!slices.Contains(pg.Healthcheck.Test, pg.Environment["POSTGRES_USER"]) {
		t.Errorf("postgres healthcheck: got %+v, want pg_isready for its user", pg.Healthcheck)
	}

	_, port, _ := net.SplitHostPort(cfg.HTTPAddr)
	if !slices.ContainsFunc(app.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+port) }) {
		t.Errorf("otpcard ports %v do not publish the listen port %s", app.Ports, port)
	}
	if app.Healthcheck == nil || strings.Join(app.Healthcheck.Test, " ") != "CMD /otpcard healthcheck" {
		t.Errorf("otpcard healthcheck: got %+v, want [CMD /otpcard healthcheck]", app.Healthcheck)
	}

	endpoint, err := url.Parse(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
	if err != nil || endpoint.Hostname() != "jaeger" {
		t.Fatalf("OTEL_EXPORTER_OTLP_ENDPOINT: got %q, want the jaeger service", env["OTEL_EXPORTER_OTLP_ENDPOINT"])
	}
	if endpoint.Port() != "4318" || env["OTEL_EXPORTER_OTLP_PROTOCOL"] != "http/protobuf" || env["OTEL_TRACES_EXPORTER"] != "otlp" {
		t.Errorf("traces: got endpoint %s protocol %q exporter %q, want OTLP/HTTP on 4318", endpoint, env["OTEL_EXPORTER_OTLP_PROTOCOL"], env["OTEL_TRACES_EXPORTER"])
	}
	if viewer.Environment["COLLECTOR_OTLP_ENABLED"] != "true" || !slices.Contains(viewer.Ports, "4318:4318") {
		t.Errorf("jaeger: got env %v ports %v, want OTLP enabled on 4318", viewer.Environment, viewer.Ports)
	}
}

// TestDockerfileRunsTheBinaryUnprivileged reads the Dockerfile's final stage.
func TestDockerfileRunsTheBinaryUnprivileged(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(data), "\nFROM ")
	final := stages[len(stages)-1]
	for _, want := range []string{"USER nonroot", `HEALTHCHECK`, `"/otpcard", "healthcheck"`, `ENTRYPOINT ["/otpcard"]`, "CGO_ENABLED=0"} {
		if !strings.Contains(final, want) && !strings.Contains(string(data), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if len(stages) < 2 {
		t.Error("Dockerfile: want a multi-stage build")
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
