package bootstrap

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := LoadConfig(envOf(nil))
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if cfg.HTTPAddr != "127.0.0.1:8080" || cfg.DataDir != "./.otpcard" || !cfg.Embedded() || cfg.JWTIssuer != "otpcard" ||
		cfg.JWTAudience != "otpcard" || cfg.SelfAdminMaxAuthAge != 15*time.Minute || !cfg.RateLimit || cfg.LogFormat != "json" ||
		cfg.DatabaseMaxConns != max(8, 4*runtime.GOMAXPROCS(0)) {
		t.Errorf("got %+v, want API.md's defaults", cfg)
	}
}

// TestLoadConfigListensOnLoopbackWhenEmbedded: the embedded default, with its generated
// Root-capable secret, listens on the loopback interface unless told otherwise; a deployment
// with a database URL listens on every interface.
func TestLoadConfigListensOnLoopbackWhenEmbedded(t *testing.T) {
	pepper := "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{nil, "127.0.0.1:8080"},
		{map[string]string{"OTPCARD_HTTP_ADDR": ":9090"}, ":9090"},
		{map[string]string{"OTPCARD_DATABASE_URL": "postgres://db/otpcard", "OTPCARD_CELL_PEPPER": pepper}, ":8080"},
		{map[string]string{"OTPCARD_DATABASE_URL": "postgres://db/otpcard", "OTPCARD_CELL_PEPPER": pepper,
			"OTPCARD_HTTP_ADDR": "127.0.0.1:9090"}, "127.0.0.1:9090"},
	} {
		cfg, err := LoadConfig(envOf(tc.env))
		if err != nil || cfg.HTTPAddr != tc.want {
			t.Errorf("%v: got %q, %v; want %q", tc.env, cfg.HTTPAddr, err, tc.want)
		}
	}
}

func TestLoadConfigNamesEveryBadVariable(t *testing.T) {
	bad := map[string]string{
		"OTPCARD_HTTP_ADDR":                     "nonsense",
		"OTPCARD_DATABASE_URL":                  "mysql://x",
		"OTPCARD_DATABASE_MAX_CONNS":            "1",
		"OTPCARD_DATABASE_START_TIMEOUT":        "soon",
		"OTPCARD_JWT_HS256_SECRET":              "short",
		"OTPCARD_JWT_JWKS_URL":                  "ftp://x",
		"OTPCARD_CELL_PEPPER":                   "!!!",
		"OTPCARD_SELFADMIN_MAX_AUTH_AGE":        "soon",
		"OTPCARD_RATE_LIMIT":                    "maybe",
		"OTPCARD_TRUSTED_PROXIES":               "10.0.0.0/8,nothing",
		"OTPCARD_RATE_LIMIT_LOGIN_PER_MINUTE":   "0",
		"OTPCARD_RATE_LIMIT_ISSUE_PER_MINUTE":   "ten",
		"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "-5",
		"OTPCARD_LOG_LEVEL":                     "loud",
		"OTPCARD_LOG_FORMAT":                    "xml",
		"OTPCARD_LIFECYCLE_INTERVAL":            "500ms",
		"OTPCARD_SMTP_URL":                      "http://mail.example.com",
		"OTPCARD_SMTP_FROM":                     "not an address",
		"OTPCARD_NOTIFY_TEMPLATES":              "/nonexistent/templates",
	}
	_, err := LoadConfig(envOf(bad))
	if err == nil {
		t.Fatal("got no error, want one per bad variable")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(bad) {
		t.Errorf("got %d lines, want %d:\n%v", len(lines), len(bad), err)
	}
	for name := range bad {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestLoadConfigLifecycleInterval(t *testing.T) {
	cfg, err := LoadConfig(envOf(nil))
	if err != nil || cfg.LifecycleInterval != time.Hour {
		t.Errorf("default: got %s, %v; want 1h, nil", cfg.LifecycleInterval, err)
	}
	for v, want := range map[string]time.Duration{"1s": time.Second, "15m": 15 * time.Minute, "24h": 24 * time.Hour} {
		cfg, err := LoadConfig(envOf(map[string]string{"OTPCARD_LIFECYCLE_INTERVAL": v}))
		if err != nil || cfg.LifecycleInterval != want {
			t.Errorf("%q: got %s, %v; want %s, nil", v, cfg.LifecycleInterval, err, want)
		}
	}
	for _, v := range []string{"999ms", "0", "-1h", "60", "hourly"} {
		_, err := LoadConfig(envOf(map[string]string{"OTPCARD_LIFECYCLE_INTERVAL": v}))
		if err == nil || !strings.Contains(err.Error(), "OTPCARD_LIFECYCLE_INTERVAL:") {
			t.Errorf("%q: got %v, want an error naming OTPCARD_LIFECYCLE_INTERVAL", v, err)
		}
	}
	if tick := lifecycleTick(time.Hour); tick != time.Minute {
		t.Errorf("tick of 1h: %s, want 1m", tick)
	}
	if tick := lifecycleTick(time.Second); tick != time.Second {
		t.Errorf("tick of 1s: %s, want 1s", tick)
	}
}

func TestLoadConfigSMTP(t *testing.T) {
	cfg, err := LoadConfig(envOf(map[string]string{"OTPCARD_SMTP_URL": "smtps://u:p@mail.example.com",
		"OTPCARD_SMTP_FROM": "Example Bank <otpcard@bank.example>"}))
	if err != nil || cfg.SMTPURL != "smtps://u:p@mail.example.com" || cfg.SMTPFrom != "Example Bank <otpcard@bank.example>" {
		t.Errorf("got %q %q, %v", cfg.SMTPURL, cfg.SMTPFrom, err)
	}
	if cfg, err := LoadConfig(envOf(nil)); err != nil || cfg.SMTPURL != "" {
		t.Errorf("default: got %q, %v; want notices off", cfg.SMTPURL, err)
	}
	_, err = LoadConfig(envOf(map[string]string{"OTPCARD_SMTP_URL": "smtp://mail.example.com"}))
	if err == nil || !strings.Contains(err.Error(), "OTPCARD_SMTP_FROM:") {
		t.Errorf("a URL without From: got %v, want an error naming OTPCARD_SMTP_FROM", err)
	}
}

func TestLoadConfigDatabaseMaxConns(t *testing.T) {
	cfg, err := LoadConfig(envOf(map[string]string{"OTPCARD_DATABASE_MAX_CONNS": "8"}))
	if err != nil || cfg.DatabaseMaxConns != 8 {
		t.Errorf("got %d, %v; want 8, nil", cfg.DatabaseMaxConns, err)
	}
	for _, v := range []string{"-1", "0", "1", "1001", "many"} {
		if _, err := LoadConfig(envOf(map[string]string{"OTPCARD_DATABASE_MAX_CONNS": v})); err == nil {
			t.Errorf("%q: got no error", v)
		}
	}
}

func TestLoadConfigDatabaseStartTimeout(t *testing.T) {
	cfg, err := LoadConfig(envOf(nil))
	if err != nil || cfg.DatabaseStartTimeout != 30*time.Second {
		t.Errorf("default: got %s, %v; want 30s, nil", cfg.DatabaseStartTimeout, err)
	}
	for v, want := range map[string]time.Duration{"2m": 2 * time.Minute, "0": 0, "1.5s": 1500 * time.Millisecond} {
		cfg, err := LoadConfig(envOf(map[string]string{"OTPCARD_DATABASE_START_TIMEOUT": v}))
		if err != nil || cfg.DatabaseStartTimeout != want {
			t.Errorf("%q: got %s, %v; want %s, nil", v, cfg.DatabaseStartTimeout, err, want)
		}
	}
	for _, v := range []string{"30", "-1s", "soon"} {
		_, err := LoadConfig(envOf(map[string]string{"OTPCARD_DATABASE_START_TIMEOUT": v}))
		if err == nil || !strings.HasPrefix(err.Error(), "OTPCARD_DATABASE_START_TIMEOUT: ") {
			t.Errorf("%q: got %v, want an error naming OTPCARD_DATABASE_START_TIMEOUT", v, err)
		}
	}
}

// TestLoadConfigDatabaseURLNeverShowsPassword: the driver reads the URL before any connection;
// what it finds wrong is said without the password, even where the driver's own masking fails.
func TestLoadConfigDatabaseURLNeverShowsPassword(t *testing.T) {
	pepper := "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="
	for _, tc := range []struct{ url, password, reason string }{
		{"postgres://otpcard:Pa55-secret@localhost:port/otpcard", "Pa55-secret", "invalid port"},
		{"postgres://otpcard:Pa55/secret@localhost/otpcard", "Pa55/secret", "invalid port"},
		{"postgresql://otpcard:Pa55-secret@db/otpcard?sslmode=sometimes", "Pa55-secret", "sslmode is invalid"},
		{"postgres://otpcard:Pa55%zzsecret@db/otpcard", "Pa55%zzsecret", "invalid percent-encoded token in password"},
	} {
		_, err := LoadConfig(envOf(map[string]string{"OTPCARD_DATABASE_URL": tc.url, "OTPCARD_CELL_PEPPER": pepper}))
		if err == nil {
			t.Errorf("%s: got no error", tc.reason)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "OTPCARD_DATABASE_URL: is not a usable PostgreSQL URL") || !strings.Contains(msg, tc.reason) ||
			strings.Contains(msg, "\n") {
			t.Errorf("got %q, want one line naming OTPCARD_DATABASE_URL and %q", msg, tc.reason)
		}
		if strings.Contains(msg, tc.password) || strings.Contains(msg, "secret") {
			t.Errorf("got %q, which shows the password", msg)
		}
	}
	if _, err := LoadConfig(envOf(map[string]string{"OTPCARD_DATABASE_URL": "postgres://u:p@db:5432/x?sslmode=disable",
		"OTPCARD_CELL_PEPPER": pepper})); err != nil {
		t.Errorf("a good URL: got %v, want no error", err)
	}
}

func TestLoadConfigPepperRequiredWithDatabaseURL(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{"OTPCARD_DATABASE_URL": "postgres://localhost/x"}))
	if err == nil || !strings.HasPrefix(err.Error(), "OTPCARD_CELL_PEPPER:") {
		t.Fatalf("got %v, want an OTPCARD_CELL_PEPPER error", err)
	}
}

func TestLoadConfigTrustedProxies(t *testing.T) {
	cfg, err := LoadConfig(envOf(map[string]string{"OTPCARD_TRUSTED_PROXIES": "10.1.2.3, 192.168.0.0/16,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cfg.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.1.2.3/32 192.168.0.0/16 ::1/128" {
		t.Errorf("got %v", got)
	}
}

func TestEnsureSecretsGeneratesOnceAndKeeps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := Config{DataDir: dir}
	if err := cfg.EnsureSecrets(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.JWTHS256Secret) < 32 || len(cfg.CellPepper) < 32 {
		t.Fatalf("got secret %d bytes, pepper %d bytes, want at least 32 each", len(cfg.JWTHS256Secret), len(cfg.CellPepper))
	}
	for _, name := range []string{jwtSecretFile, cellPepperFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: got %v %v, want mode 0600", name, fi, err)
		}
	}
	again := Config{DataDir: dir}
	if err := again.EnsureSecrets(); err != nil {
		t.Fatal(err)
	}
	if string(again.JWTHS256Secret) != string(cfg.JWTHS256Secret) || string(again.CellPepper) != string(cfg.CellPepper) {
		t.Error("a second start generated new secrets; want the stored ones")
	}
	configured := Config{DataDir: t.TempDir(), JWTJWKSFile: "/keys.json", CellPepper: make([]byte, 32)}
	if err := configured.EnsureSecrets(); err != nil {
		t.Fatal(err)
	}
	if configured.JWTHS256Secret != nil {
		t.Error("generated an HS256 secret although a JWKS is configured")
	}
}
