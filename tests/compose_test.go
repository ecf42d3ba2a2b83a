package tests

import (
	"errors"
	"io/fs"
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
	data := readPackagingFile(t, "../docker-compose.yml")
	var f composeFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// readPackagingFile reads a file of the repository's packaging. The tests image of
// docker-compose.yml runs without them (.dockerignore leaves them out of the build context): there,
// against an external target, the test is skipped.
func readPackagingFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && targetURL != "" {
		t.Skipf("%s is not here (as in the tests image); skipped against %s", path, envBaseURL)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
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

// TestComposeRunsTheTestsAgainstTheService checks the tests service of docker-compose.yml: only
// under the test profile, built from the Dockerfile's tests stage, started once the otpcard service
// is healthy, pointed at its listen port with the same HS256 secret, issuer and audience.
func TestComposeRunsTheTestsAgainstTheService(t *testing.T) {
	f := loadCompose(t)
	tests, ok := f.Services["tests"]
	if !ok {
		t.Fatalf("got services %v, want a tests service", slices.Sorted(mapKeys(f.Services)))
	}
	if !slices.Equal(tests.Profiles, []string{"test"}) {
		t.Errorf("tests profiles: got %v, want [test] (docker compose up alone must not run the tests)", tests.Profiles)
	}
	for name, svc := range f.Services {
		if name != "tests" && len(svc.Profiles) != 0 {
			t.Errorf("%s profiles: got %v, want none: the tests need the whole stack", name, svc.Profiles)
		}
	}
	build, _ := tests.Build.(map[string]any)
	if build["context"] != "." || build["target"] != "tests" {
		t.Errorf("tests build: got %v, want context . and target tests", tests.Build)
	}
	dockerfile := string(readPackagingFile(t, "../Dockerfile"))
	stages := strings.Split(dockerfile, "\nFROM ")
	if !slices.ContainsFunc(stages[:len(stages)-1], func(s string) bool { return strings.Contains(strings.SplitN(s, "\n", 2)[0], " AS tests") }) {
		t.Error("Dockerfile: want a stage named tests before the final stage (which stays the distroless service image)")
	}
	if len(tests.DependsOn) != 1 || tests.DependsOn["otpcard"]["condition"] != "service_healthy" {
		t.Errorf("tests depends_on: got %v, want otpcard with condition service_healthy", tests.DependsOn)
	}
	app := f.Services["otpcard"]
	if app.Healthcheck == nil {
		t.Error("otpcard has no healthcheck to gate the tests on")
	}

	for name := range tests.Environment {
		if !slices.Contains([]string{envBaseURL, envSecret, envIssuer, envAudience}, name) {
			t.Errorf("tests environment sets %s, which the tests do not read", name)
		}
	}
	appEnv := func(name, def string) string {
		if v, ok := app.Environment[name]; ok {
			return resolved(v)
		}
		return def
	}
	cfg, err := bootstrap.LoadConfig(func(name string) (string, bool) { v, ok := app.Environment[name]; return resolved(v), ok })
	if err != nil {
		t.Fatalf("the otpcard environment is not a valid configuration:\n%v", err)
	}
	_, port, _ := net.SplitHostPort(cfg.HTTPAddr)
	base, err := url.Parse(tests.Environment[envBaseURL])
	if err != nil || base.Scheme != "http" || base.Hostname() != "otpcard" || base.Port() != port || strings.Trim(base.Path, "/") != "" {
		t.Errorf("%s: got %q, want http://otpcard:%s, the otpcard service's listen port", envBaseURL, tests.Environment[envBaseURL], port)
	}
	// The same interpolation, so that a secret set in the shell reaches both services.
	if got, want := tests.Environment[envSecret], app.Environment["OTPCARD_JWT_HS256_SECRET"]; got == "" || got != want {
		t.Errorf("%s: got %q, want the otpcard service's OTPCARD_JWT_HS256_SECRET %q", envSecret, got, want)
	}
	for _, v := range [][2]string{{envIssuer, "OTPCARD_JWT_ISSUER"}, {envAudience, "OTPCARD_JWT_AUDIENCE"}} {
		got, ok := tests.Environment[v[0]]
		if !ok {
			got = "otpcard" // the tests' default
		}
		if want := appEnv(v[1], "otpcard"); resolved(got) != want {
			t.Errorf("%s: got %q, want the otpcard service's %s %q", v[0], got, v[1], want)
		}
	}
}

// TestDockerfileRunsTheBinaryUnprivileged reads the Dockerfile's final stage.
func TestDockerfileRunsTheBinaryUnprivileged(t *testing.T) {
	data := readPackagingFile(t, "../Dockerfile")
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
