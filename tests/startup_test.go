package tests

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
)

// retryLogMessage is the log line of each failed attempt to reach the database at start.
const retryLogMessage = "database not reachable yet, retrying"

// startupEnv is the environment of a binary that uses the database at dbURL, with its logs at
// warn level (so that only the retries and problems show) and extra variables last.
func startupEnv(t *testing.T, dbURL string, extra ...string) []string {
	t.Helper()
	pepper := make([]byte, 32)
	if _, err := rand.Read(pepper); err != nil {
		t.Fatal(err)
	}
	env := cleanEnv("OTPCARD_DATABASE_URL="+dbURL, "OTPCARD_CELL_PEPPER="+base64.StdEncoding.EncodeToString(pepper),
		"OTPCARD_JWT_HS256_SECRET="+testSecret, "OTPCARD_HTTP_ADDR=127.0.0.1:0",
		"OTPCARD_DATA_DIR="+filepath.Join(t.TempDir(), "data"), "OTPCARD_LOG_LEVEL=warn")
	return append(env, extra...)
}

// withHost returns raw with its host and port replaced.
func withHost(t *testing.T, raw, hostPort string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = hostPort
	return u.String()
}

// passwordOf is the password in a database URL.
func passwordOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := u.User.Password()
	if !ok || p == "" {
		t.Fatalf("the URL %s has no password", u.Redacted())
	}
	return p
}

// closedPort is a loopback port on which nothing listens (for now).
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// failedStart runs `otpcard serve`, which must fail with exit code 1 within limit. It checks
// that no part of an fx error chain and none of the secrets appear in the output, and returns
// the lines of stderr that are not JSON log records (what the operator is told) and the
// messages of those that are.
func failedStart(t *testing.T, bin string, env []string, limit time.Duration, secrets ...string) (told, logged []string) {
	t.Helper()
	began := time.Now()
	code, stdout, stderr := runBinary(t, bin, env, "serve")
	if took := time.Since(began); code != 1 || took > limit {
		t.Fatalf("otpcard serve: got exit %d after %s, want 1 within %s; stdout %q, stderr %q", code, took, limit, stdout, stderr)
	}
	if strings.Contains(stdout, "listening") {
		t.Errorf("got stdout %q, want no start banner", stdout)
	}
	// Phrases of fx's and dig's error chains, none of which may reach an operator.
	for _, marker := range []string{"could not build", "failed to build", "received non-nil error",
		"missing dependencies", "[Fx]", "fx.", "dig.", "bootstrap.new", "OnStart hook", "goroutine "} {
		if strings.Contains(stderr, marker) {
			t.Errorf("stderr contains %q, part of an fx error chain:\n%s", marker, stderr)
		}
	}
	for _, secret := range secrets {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("the output shows the secret %q:\n%s%s", secret, stdout, stderr)
		}
	}
	for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		var record struct{ Msg string }
		if json.Unmarshal([]byte(line), &record) == nil {
			logged = append(logged, record.Msg)
		} else {
			told = append(told, line)
		}
	}
	return told, logged
}

// oneLine is the only line of told, naming the variable as otpcard's error; it fails the test
// unless there is exactly one.
func oneLine(t *testing.T, told []string) string {
	t.Helper()
	if len(told) != 1 || !strings.HasPrefix(told[0], "otpcard: OTPCARD_") {
		t.Fatalf("got %q on stderr besides the logs, want one line: otpcard: and the variable to fix", told)
	}
	return told[0]
}

// failsInOneLine is failedStart of a setting that no retry can mend: the one line told begins with
// want, and nothing is logged.
func failsInOneLine(t *testing.T, bin string, env []string, limit time.Duration, want string, secrets ...string) {
	t.Helper()
	told, logs := failedStart(t, bin, env, limit, secrets...)
	if got := oneLine(t, told); !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(logs) != 0 {
		t.Errorf("got log lines %q, want none", logs)
	}
}

// failsAsInvalid is failedStart of a configuration that LoadConfig refuses: told is exactly want.
func failsAsInvalid(t *testing.T, bin string, env []string, limit time.Duration, want []string, secrets ...string) {
	t.Helper()
	told, _ := failedStart(t, bin, env, limit, secrets...)
	if strings.Join(told, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", told, want)
	}
}

// startupWaitsForLateDatabase starts otpcard before its database, as compose or Kubernetes
// may: it retries, logging one line per attempt, and starts once the database answers.
func startupWaitsForLateDatabase(t *testing.T, bin string) {
	real := pgtest.URL(t)
	late := closedPort(t)
	b := startBinary(t, bin, startupEnv(t, withHost(t, real, late), "OTPCARD_DATABASE_START_TIMEOUT=2m"))

	time.Sleep(2 * time.Second) // several attempts fail meanwhile
	select {
	case line, ok := <-b.lines:
		if !ok {
			t.Fatalf("otpcard exited while its database was down, want it to wait; stderr:\n%s", b.stderr.String())
		}
		t.Fatalf("got %q before the database was up, want nothing yet", line)
	default:
	}
	// The database comes up: a proxy on the port otpcard tries, to the real server.
	ln, err := net.Listen("tcp", late)
	if err != nil {
		t.Fatalf("listen on the database's port at last: %v", err)
	}
	_, port, _ := net.SplitHostPort(hostPortOf(t, real))
	p := &freezingProxy{ln: ln, target: net.JoinHostPort("127.0.0.1", port), open: make(chan struct{})}
	close(p.open)
	p.wg.Go(p.serve)
	t.Cleanup(p.close)

	b.banner(t, 90*time.Second)
	b.stop(t)
	retries := 0
	for _, line := range strings.Split(strings.TrimSpace(b.stderr.String()), "\n") {
		var record struct{ Msg, Error string }
		if json.Unmarshal([]byte(line), &record) == nil && record.Msg == retryLogMessage {
			retries++
			if !strings.Contains(record.Error, "connection refused") {
				t.Errorf("got retry reason %q, want the refused connection", record.Error)
			}
		}
	}
	if retries < 2 || retries > 10 { // pauses of 250 ms doubling to 2 s: about 4 attempts in 2 s
		t.Errorf("got %d retry log lines in 2 s, want a few, one per attempt; stderr:\n%s", retries, b.stderr.String())
	}
	if strings.Contains(b.stderr.String(), passwordOf(t, real)) {
		t.Errorf("the logs show the database password:\n%s", b.stderr.String())
	}
}

// hostPortOf is the host:port of a database URL.
func hostPortOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// startupGivesUpOnUnreachableDatabase: after OTPCARD_DATABASE_START_TIMEOUT of attempts the
// start ends in one line naming OTPCARD_DATABASE_URL, the address and the reason.
func startupGivesUpOnUnreachableDatabase(t *testing.T, bin string) {
	const password = "never-shown-Pa55word"
	addr := closedPort(t)
	env := startupEnv(t, "postgres://otpcard:"+password+"@"+addr+"/otpcard?sslmode=disable",
		"OTPCARD_DATABASE_START_TIMEOUT=2s")
	began := time.Now()
	told, logs := failedStart(t, bin, env, 20*time.Second, password)
	last := oneLine(t, told)
	if took := time.Since(began); took < 2*time.Second {
		t.Errorf("gave up after %s, want OTPCARD_DATABASE_START_TIMEOUT (2s) of attempts", took)
	}
	want := "otpcard: OTPCARD_DATABASE_URL: no PostgreSQL answered at " + addr + " within 2s (OTPCARD_DATABASE_START_TIMEOUT): "
	if !strings.HasPrefix(last, want) || !strings.HasSuffix(last, "connection refused") {
		t.Errorf("got %q, want %q and the refused connection", last, want)
	}
	if len(logs) < 2 {
		t.Errorf("got log lines %q, want one per failed attempt", logs)
	}
	for _, msg := range logs {
		if msg != retryLogMessage {
			t.Errorf("got log line %q, want only %q", msg, retryLogMessage)
		}
	}
}

// startupFailsAtOnceOnPermanentDatabaseErrors: a password the server refuses, a database it
// does not have and a URL that cannot be parsed will not get better by waiting.
func startupFailsAtOnceOnPermanentDatabaseErrors(t *testing.T, bin string) {
	real := pgtest.URL(t)
	u, err := url.Parse(real)
	if err != nil {
		t.Fatal(err)
	}
	const wrong = "wrong-Pa55word-never-shown"
	wrongPassword := *u
	wrongPassword.User = url.UserPassword(u.User.Username(), wrong)
	unknownDatabase := *u
	unknownDatabase.Path = "/no_such_database"
	for _, tc := range []struct {
		name, url, want string
	}{
		{"wrong password", wrongPassword.String(),
			"otpcard: OTPCARD_DATABASE_URL: PostgreSQL at " + u.Host + " refused the connection: password authentication failed"},
		{"unknown database", unknownDatabase.String(),
			"otpcard: OTPCARD_DATABASE_URL: PostgreSQL at " + u.Host + ` refused the connection: database "no_such_database" does not exist (SQLSTATE 3D000)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := startupEnv(t, tc.url, "OTPCARD_DATABASE_START_TIMEOUT=2m")
			failsInOneLine(t, bin, env, 15*time.Second, tc.want, wrong, passwordOf(t, real))
		})
	}
	t.Run("malformed URL", func(t *testing.T) {
		env := startupEnv(t, "postgres://otpcard:"+wrong+"@localhost:port/otpcard", "OTPCARD_DATABASE_START_TIMEOUT=2m")
		failsAsInvalid(t, bin, env, 15*time.Second, []string{"otpcard: invalid configuration:",
			"OTPCARD_DATABASE_URL: is not a usable PostgreSQL URL such as postgres://user:password@host:5432/otpcard " +
				"(the value is not shown: it may hold a password): invalid port"}, wrong)
	})
}

// startupNamesBadJWKSFile: a key file that is missing, is not JSON or holds no key otpcard
// can use ends the start in one line naming OTPCARD_JWT_JWKS_FILE.
func startupNamesBadJWKSFile(t *testing.T, bin string) {
	dbURL := pgtest.URL(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	missing := filepath.Join(dir, "missing.json")
	garbage := write("garbage.json", "not json at all")
	symmetric := write("symmetric.json", `{"keys": [{"kty": "oct", "kid": "k1", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}]}`)
	for _, tc := range []struct{ name, file, want string }{
		{"missing", missing, "otpcard: OTPCARD_JWT_JWKS_FILE: read jwks file: open " + missing + ": no such file or directory"},
		{"garbage", garbage, "otpcard: OTPCARD_JWT_JWKS_FILE: jwks file " + garbage + ": parse jwks: invalid character"},
		{"no usable key", symmetric, "otpcard: OTPCARD_JWT_JWKS_FILE: jwks file " + symmetric + ": parse jwks: no usable RS256, ES256 or EdDSA key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failsInOneLine(t, bin, startupEnv(t, dbURL, "OTPCARD_JWT_JWKS_FILE="+tc.file), 30*time.Second, tc.want)
		})
	}
	t.Run("unreachable JWKS URL", func(t *testing.T) {
		told, _ := failedStart(t, bin, startupEnv(t, dbURL, "OTPCARD_JWT_JWKS_URL=http://127.0.0.1:1/jwks.json"), 30*time.Second)
		if got, want := oneLine(t, told), "otpcard: OTPCARD_JWT_JWKS_URL: "; !strings.HasPrefix(got, want) {
			t.Errorf("got %q, want it to start with %q", got, want)
		}
	})
}

// startupNamesBadHTTPAddr: an address otpcard cannot listen on (a port in use, an address
// of another machine, a port that is no number) ends the start in one line naming
// OTPCARD_HTTP_ADDR, after the database has been opened and migrated, and with everything that
// had started stopped again.
func startupNamesBadHTTPAddr(t *testing.T, bin string) {
	dbURL := pgtest.URL(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct{ name, addr, want string }{
		{"port in use", taken.Addr().String(),
			"otpcard: OTPCARD_HTTP_ADDR: cannot listen on " + taken.Addr().String() + ": bind: address already in use"},
		{"address of another machine", "192.0.2.1:8080", // TEST-NET-1, never local
			"otpcard: OTPCARD_HTTP_ADDR: cannot listen on 192.0.2.1:8080: bind: cannot assign requested address"},
		{"port no number", "127.0.0.1:eighty", "otpcard: OTPCARD_HTTP_ADDR: cannot listen on 127.0.0.1:eighty: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failsInOneLine(t, bin, startupEnv(t, dbURL, "OTPCARD_HTTP_ADDR="+tc.addr), 30*time.Second, tc.want)
		})
	}
	t.Run("not an address", func(t *testing.T) {
		failsAsInvalid(t, bin, startupEnv(t, dbURL, "OTPCARD_HTTP_ADDR=8080"), 30*time.Second, []string{"otpcard: invalid configuration:",
			`OTPCARD_HTTP_ADDR: "8080" is not a listen address such as :8080 or 127.0.0.1:8080`})
	})
}

// startupFailureStopsEmbeddedDatabase: when a part built after the embedded database fails
// (here the identity provider's keys cannot be fetched), otpcard says so in one line and stops
// the cluster it started instead of leaving a PostgreSQL server running behind it.
func startupFailureStopsEmbeddedDatabase(t *testing.T, bin string) {
	dataDir := filepath.Join(reachableTempDir(t), "data")
	idp := closedPort(t)
	env := cleanEnv("OTPCARD_DATA_DIR="+dataDir, "OTPCARD_HTTP_ADDR=127.0.0.1:0", "OTPCARD_LOG_LEVEL=warn",
		"OTPCARD_JWT_JWKS_URL=http://"+idp+"/jwks")
	told, _ := failedStart(t, bin, env, 2*time.Minute)
	want := `otpcard: OTPCARD_JWT_JWKS_URL: fetch jwks: Get "http://` + idp + `/jwks": dial tcp ` + idp + ": connect: connection refused"
	if len(told) != 1 || told[0] != want {
		t.Errorf("got %q on stderr besides the logs, want the one line %q", told, want)
	}
	pidFile := filepath.Join(dataDir, "postgres", "data", "postmaster.pid")
	if _, err := os.Stat(filepath.Dir(pidFile)); err != nil {
		t.Fatalf("the embedded cluster was never created (%v); the test proves nothing", err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return // stopped: PostgreSQL removes its pid file when it shuts down
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if pid > 0 && syscall.Kill(pid, 0) == nil {
		_ = syscall.Kill(pid, syscall.SIGTERM) // the test's own leftover; nothing else to stop it
		t.Errorf("the embedded PostgreSQL (pid %d) still runs after the failed start", pid)
	}
}
