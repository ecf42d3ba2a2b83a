// Package bootstrap wires otpcard together: configuration from the environment, the fx graph of
// adapters and use cases, the process lifecycle and the command line.
package bootstrap

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/otpcard/otpcard/adapters/mail"
)

// Config is otpcard's configuration (API.md section 8), read once at start.
type Config struct {
	HTTPAddr    string
	DatabaseURL string
	DataDir     string
	PGBin       string
	// DatabaseMaxConns bounds the connection pool.
	DatabaseMaxConns int
	// DatabaseStartTimeout is how long a start waits for OTPCARD_DATABASE_URL to answer.
	DatabaseStartTimeout time.Duration

	JWTIssuer      string
	JWTAudience    string
	JWTHS256Secret []byte
	JWTJWKSFile    string
	JWTJWKSURL     string

	CellPepper []byte

	SelfAdminMaxAuthAge time.Duration
	RateLimit           bool
	TrustedProxies      []netip.Prefix
	// Rate limits per minute (API.md section 6.1), used when RateLimit is on.
	RateLimitLoginPerMinute   int
	RateLimitIssuePerMinute   int
	RateLimitAddressPerMinute int

	LogLevel  slog.Level
	LogFormat string

	// SMTPURL, when set, is the mail server of the notify module's notices, sent from SMTPFrom;
	// NotifyTemplates is a directory of templates that replace the built-in ones.
	SMTPURL, SMTPFrom, NotifyTemplates string

	// LifecycleInterval is how often the lifecycle job runs, across all instances (API.md 10.4).
	LifecycleInterval time.Duration
	// RolloutLease is how long an instance holds a rollout job without committing a chunk before
	// another instance may take it over (API.md 11.1).
	RolloutLease time.Duration
	// ConsoleURL is the help-desk console's public base URL (API.md 12).
	ConsoleURL string
	// ConsoleOIDCIssuer, ConsoleOIDCClientID and ConsoleOIDCClientSecret sign operators in to
	// the console through an OpenID provider; without an issuer, `otpcard console` links do.
	ConsoleOIDCIssuer, ConsoleOIDCClientID, ConsoleOIDCClientSecret string
	// PrintBatchRetention is how long a print batch is kept before it is deleted (API.md 11.2).
	PrintBatchRetention time.Duration

	// WebhookURL receives every domain event, signed with WebhookSecret; empty: no webhook.
	WebhookURL    string
	WebhookSecret []byte
}

// VariableError is a start that failed because of one configuration variable: its value, or
// what the value points at (a database that does not answer, a port in use, a key file without
// keys). Its message is one line that begins with the variable's name, which is what the
// operator must see, wherever in the start the error came from.
type VariableError struct {
	Variable string
	Err      error
}

func (e *VariableError) Error() string { return e.Variable + ": " + e.Err.Error() }
func (e *VariableError) Unwrap() error { return e.Err }

// defaultMaxConns sizes the connection pool when OTPCARD_DATABASE_MAX_CONNS is not set: four
// connections per core this process may use, at least eight. More connections than PostgreSQL
// can run at once only queue inside the server: on a 2-core machine, 32 instead of 8 cost a
// quarter of the throughput at concurrency 64 (see docs/performance.md).
func defaultMaxConns() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// Embedded reports whether otpcard runs its own PostgreSQL cluster.
func (c Config) Embedded() bool { return c.DatabaseURL == "" }

// LoadConfig reads the environment through lookup (os.LookupEnv in production). Every bad
// variable adds one line naming it to the returned error.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	get := func(name, def string) string {
		if v, ok := lookup(name); ok && v != "" {
			return v
		}
		return def
	}
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	c := Config{
		DatabaseURL: get("OTPCARD_DATABASE_URL", ""),
		DataDir:     get("OTPCARD_DATA_DIR", "./.otpcard"),
		PGBin:       get("OTPCARD_PG_BIN", ""),
		JWTIssuer:   get("OTPCARD_JWT_ISSUER", "otpcard"),
		JWTAudience: get("OTPCARD_JWT_AUDIENCE", "otpcard"),
		JWTJWKSFile: get("OTPCARD_JWT_JWKS_FILE", ""),
		JWTJWKSURL:  get("OTPCARD_JWT_JWKS_URL", ""),
		LogFormat:   get("OTPCARD_LOG_FORMAT", "json"),
	}
	// The embedded default is a try-out: a fresh database and a generated secret that mints Root
	// tokens, not to be offered to the network unless asked for. With a database URL otpcard
	// runs as a deployment (a container, a pod), where listening on every interface is the point.
	c.HTTPAddr = get("OTPCARD_HTTP_ADDR", ":8080")
	if c.Embedded() {
		c.HTTPAddr = get("OTPCARD_HTTP_ADDR", "127.0.0.1:8080")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("OTPCARD_HTTP_ADDR", "%q is not a listen address such as :8080 or 127.0.0.1:8080", c.HTTPAddr)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("OTPCARD_DATABASE_URL", "must start with postgres:// or postgresql://")
	} else if c.DatabaseURL != "" {
		if problem := databaseURLProblem(c.DatabaseURL); problem != "" {
			bad("OTPCARD_DATABASE_URL", "%s", problem)
		}
	}
	timeout, err := time.ParseDuration(get("OTPCARD_DATABASE_START_TIMEOUT", "30s"))
	if err != nil || timeout < 0 {
		bad("OTPCARD_DATABASE_START_TIMEOUT", "must be a duration such as 30s or 2m (0: a single attempt), not %q",
			get("OTPCARD_DATABASE_START_TIMEOUT", ""))
	}
	c.DatabaseStartTimeout = timeout
	if s := get("OTPCARD_JWT_HS256_SECRET", ""); s != "" {
		if len(s) < 32 {
			bad("OTPCARD_JWT_HS256_SECRET", "must be at least 32 bytes long (it has %d)", len(s))
		}
		c.JWTHS256Secret = []byte(s)
	}
	if c.JWTJWKSURL != "" && !strings.HasPrefix(c.JWTJWKSURL, "https://") && !strings.HasPrefix(c.JWTJWKSURL, "http://") {
		bad("OTPCARD_JWT_JWKS_URL", "must be an http(s) URL")
	}
	if s := get("OTPCARD_CELL_PEPPER", ""); s != "" {
		p, err := base64.StdEncoding.DecodeString(s)
		switch {
		case err != nil:
			bad("OTPCARD_CELL_PEPPER", "must be base64")
		case len(p) < 32:
			bad("OTPCARD_CELL_PEPPER", "must decode to at least 32 bytes (it has %d)", len(p))
		}
		c.CellPepper = p
	} else if c.DatabaseURL != "" {
		bad("OTPCARD_CELL_PEPPER", "is required with OTPCARD_DATABASE_URL (base64 of at least 32 random bytes, e.g. `openssl rand -base64 32`)")
	}
	age, err := time.ParseDuration(get("OTPCARD_SELFADMIN_MAX_AUTH_AGE", "15m"))
	if err != nil || age <= 0 {
		bad("OTPCARD_SELFADMIN_MAX_AUTH_AGE", "must be a positive duration such as 15m")
	}
	c.SelfAdminMaxAuthAge = age
	switch v := get("OTPCARD_RATE_LIMIT", "on"); v {
	case "on":
		c.RateLimit = true
	case "off":
	default:
		bad("OTPCARD_RATE_LIMIT", "must be on or off, not %q", v)
	}
	if v := get("OTPCARD_TRUSTED_PROXIES", ""); v != "" {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if prefix, err := netip.ParsePrefix(part); err == nil {
				c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
			} else if addr, err := netip.ParseAddr(part); err == nil {
				c.TrustedProxies = append(c.TrustedProxies, netip.PrefixFrom(addr, addr.BitLen()))
			} else {
				bad("OTPCARD_TRUSTED_PROXIES", "%q is neither an address nor a CIDR", part)
			}
		}
	}
	c.DatabaseMaxConns = defaultMaxConns()
	if v := get("OTPCARD_DATABASE_MAX_CONNS", ""); v != "" {
		n, err := strconv.Atoi(v)
		// At least 2: the audit trail records a claimed batch of events on a second connection
		// while its claim's transaction holds the first.
		if err != nil || n < 2 || n > 1000 {
			bad("OTPCARD_DATABASE_MAX_CONNS", "must be a whole number of connections from 2 to 1000, not %q", v)
		} else {
			c.DatabaseMaxConns = n
		}
	}
	perMinute := func(name string, def int) int {
		v := get(name, strconv.Itoa(def))
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			bad(name, "must be a positive whole number of requests per minute, not %q", v)
			return def
		}
		return n
	}
	c.RateLimitLoginPerMinute = perMinute("OTPCARD_RATE_LIMIT_LOGIN_PER_MINUTE", 30)
	c.RateLimitIssuePerMinute = perMinute("OTPCARD_RATE_LIMIT_ISSUE_PER_MINUTE", 10)
	c.RateLimitAddressPerMinute = perMinute("OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE", 6000)
	if err := c.LogLevel.UnmarshalText([]byte(get("OTPCARD_LOG_LEVEL", "info"))); err != nil {
		bad("OTPCARD_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if v := get("OTPCARD_WEBHOOK_URL", ""); v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("OTPCARD_WEBHOOK_URL", "must be an http(s) URL")
		}
		c.WebhookURL = v
		secret := get("OTPCARD_WEBHOOK_SECRET", "")
		if len(secret) < 32 {
			bad("OTPCARD_WEBHOOK_SECRET", "is required with OTPCARD_WEBHOOK_URL and must be at least 32 bytes long")
		}
		c.WebhookSecret = []byte(secret)
	}
	if v := get("OTPCARD_SMTP_URL", ""); v != "" {
		if _, _, err := mail.ParseSMTPURL(v); err != nil {
			bad("OTPCARD_SMTP_URL", "%v", err)
		}
		c.SMTPURL = v
		from := get("OTPCARD_SMTP_FROM", "")
		if a, err := netmail.ParseAddress(from); err != nil || a.Address == "" {
			bad("OTPCARD_SMTP_FROM", "is required with OTPCARD_SMTP_URL: the sender's address, such as otpcard@bank.example or \"Example Bank <otpcard@bank.example>\"")
		}
		c.SMTPFrom = from
	}
	if v := get("OTPCARD_NOTIFY_TEMPLATES", ""); v != "" {
		if st, err := os.Stat(v); err != nil || !st.IsDir() {
			bad("OTPCARD_NOTIFY_TEMPLATES", "must be a directory of templates, not %q", v)
		}
		c.NotifyTemplates = v
	}
	interval, err := time.ParseDuration(get("OTPCARD_LIFECYCLE_INTERVAL", "1h"))
	if err != nil || interval < time.Second {
		bad("OTPCARD_LIFECYCLE_INTERVAL", "must be a duration of at least 1s such as 1h or 15m, not %q",
			get("OTPCARD_LIFECYCLE_INTERVAL", ""))
	}
	c.LifecycleInterval = interval
	retention, err := parseRetention(get("OTPCARD_PRINT_BATCH_RETENTION", "7d"))
	if err != nil || retention < time.Minute {
		bad("OTPCARD_PRINT_BATCH_RETENTION", "must be a duration of at least 1m, such as 7d or 36h, not %q",
			get("OTPCARD_PRINT_BATCH_RETENTION", ""))
	}
	c.PrintBatchRetention = retention
	lease, err := time.ParseDuration(get("OTPCARD_ROLLOUT_LEASE", "30s"))
	if err != nil || lease < time.Second {
		bad("OTPCARD_ROLLOUT_LEASE", "must be a duration of at least 1s such as 30s, not %q", get("OTPCARD_ROLLOUT_LEASE", ""))
	}
	c.RolloutLease = lease
	c.ConsoleURL = get("OTPCARD_CONSOLE_URL", "http://127.0.0.1:8080/console/")
	c.ConsoleOIDCIssuer = get("OTPCARD_CONSOLE_OIDC_ISSUER", "")
	c.ConsoleOIDCClientID = get("OTPCARD_CONSOLE_OIDC_CLIENT_ID", "")
	c.ConsoleOIDCClientSecret = get("OTPCARD_CONSOLE_OIDC_CLIENT_SECRET", "")
	if c.ConsoleOIDCIssuer != "" {
		if u, err := url.Parse(c.ConsoleOIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("OTPCARD_CONSOLE_OIDC_ISSUER", "must be the OpenID provider's issuer URL, not %q", c.ConsoleOIDCIssuer)
		}
		if c.ConsoleOIDCClientID == "" {
			bad("OTPCARD_CONSOLE_OIDC_CLIENT_ID", "is required with OTPCARD_CONSOLE_OIDC_ISSUER")
		}
	}
	if u, err := url.Parse(c.ConsoleURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		!strings.HasPrefix(u.Path, "/console") {
		bad("OTPCARD_CONSOLE_URL", "must be the console's http(s) URL ending in /console/, not %q", c.ConsoleURL)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("OTPCARD_LOG_FORMAT", "must be json or text")
	}
	return c, errors.Join(errs...)
}

// databaseURLProblem says what is wrong with a database URL as the driver reads it, or "". The
// driver's message repeats the URL with the password masked on a best-effort basis only, so
// the problem keeps just the driver's reason, and not even that should it contain the password.
func databaseURLProblem(raw string) string {
	_, err := pgconn.ParseConfig(raw)
	if err == nil {
		return ""
	}
	const problem = "is not a usable PostgreSQL URL such as postgres://user:password@host:5432/otpcard (the value is not shown: it may hold a password)"
	msg := err.Error()
	i := strings.LastIndex(msg, "`: ")
	if i < 0 {
		return problem
	}
	reason := msg[i+len("`: "):]
	// The password, as a URL parser that stops at the last @ would see it (pgconn's own parser
	// stops at the first @ or /): the longer candidate is the safer one to look for.
	_, rest, _ := strings.Cut(raw, "://")
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if _, password, found := strings.Cut(rest[:at], ":"); found && password != "" && strings.Contains(reason, password) {
			return problem
		}
	}
	return problem + ": " + reason
}

// parseRetention reads a retention period: a Go duration (36h) or whole days with a d suffix
// (7d), as API.md section 13 writes them.
func parseRetention(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("%q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}
