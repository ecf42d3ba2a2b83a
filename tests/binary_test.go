package tests

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/tests/client"
)

// buildBinary builds otpcard for the test; tests that run the binary themselves are skipped
// against an external target.
func buildBinary(t *testing.T) string {
	t.Helper()
	needOwnInstance(t, "the otpcard binary built and run by the test")
	bin := filepath.Join(t.TempDir(), "otpcard")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, module)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary runs the otpcard binary as its users do, in one subtest per behaviour: start-up on the
// embedded default, configuration errors, help and version, signals, the banner, and start-up
// against a database that is late, unreachable or refuses. The binary is built once for all of
// them (a race build takes seconds to link, each time); they skip against an external target.
func TestBinary(t *testing.T) {
	bin := buildBinary(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, bin string)
	}{
		{"BinaryEmbeddedDefault", binaryEmbeddedDefault},
		{"BinaryRejectsBadConfiguration", binaryRejectsBadConfiguration},
		{"BinaryHelpAndVersion", binaryHelpAndVersion},
		{"BinaryStopsOnSIGTERMRightAfterBanner", binaryStopsOnSIGTERMRightAfterBanner},
		{"BinaryBannerSaysEveryInterface", binaryBannerSaysEveryInterface},
		{"StartupWaitsForLateDatabase", startupWaitsForLateDatabase},
		{"StartupGivesUpOnUnreachableDatabase", startupGivesUpOnUnreachableDatabase},
		{"StartupFailsAtOnceOnPermanentDatabaseErrors", startupFailsAtOnceOnPermanentDatabaseErrors},
		{"StartupNamesBadJWKSFile", startupNamesBadJWKSFile},
		{"StartupNamesBadHTTPAddr", startupNamesBadHTTPAddr},
		{"StartupFailureStopsEmbeddedDatabase", startupFailureStopsEmbeddedDatabase},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, bin) })
	}
}

// cleanEnv is the process environment without otpcard's variables.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OTPCARD_") && !strings.HasPrefix(kv, "OTEL_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// binaryEmbeddedDefault runs the real binary as a new user would: no database URL, so it
// starts its own PostgreSQL cluster, generates its secrets, prints where it listens, serves a
// token minted by `otpcard token`, and stops everything on SIGTERM.
func binaryEmbeddedDefault(t *testing.T, bin string) {
	dataDir := filepath.Join(reachableTempDir(t), "data") // inside it, not in a fallback under /var/tmp
	env := cleanEnv("OTPCARD_HTTP_ADDR=127.0.0.1:0", "OTPCARD_DATA_DIR="+dataDir, "OTPCARD_LOG_LEVEL=warn")

	cmd := exec.Command(bin)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var baseURL string
	var printed []string
	deadline := time.After(90 * time.Second)
	for baseURL == "" || len(printed) < 3 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("otpcard exited early; stdout %q, stderr %s", printed, stderr.String())
			}
			printed = append(printed, line)
			if rest, ok := strings.CutPrefix(line, "otpcard listening on "); ok {
				baseURL = strings.Fields(rest)[0] // the URL ends at the first space
			}
		case <-deadline:
			t.Fatalf("otpcard did not start in time; stdout %q, stderr %s", printed, stderr.String())
		}
	}
	if !strings.Contains(strings.Join(printed, "\n"), "token --role Root") {
		t.Errorf("got start-up lines %q, want them to say how to mint a token", printed)
	}
	for _, name := range []string{"jwt-hs256-secret", "cell-pepper"} {
		fi, err := os.Stat(filepath.Join(dataDir, name))
		if err != nil {
			t.Fatalf("generated secret %s: %v", name, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode: got %v, want 0600", name, fi.Mode().Perm())
		}
	}

	tokenCmd := exec.Command(bin, "token", "--role", "Root")
	tokenCmd.Env = env
	out, err := tokenCmd.Output()
	if err != nil {
		t.Fatalf("otpcard token: %v", err)
	}
	tok := strings.TrimSpace(string(out))

	api := newAPI(baseURL, false)
	api.As(tok).CreateClient(t, client.ClientCreate{ExtID: "bin", Name: "Binary"}).Want(t, http.StatusCreated)
	api.Readyz(t).Want(t, http.StatusOK)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("otpcard exit after SIGTERM: %v; stderr %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("otpcard did not stop within 30 s of SIGTERM")
	}
	if _, err := http.Get(baseURL + "/healthz"); err == nil {
		t.Error("the service still answers after SIGTERM")
	}
	if strings.Contains(stderr.String(), tok) {
		t.Error("the token appears in the logs")
	}

	// A second start reuses the cluster and the secrets: the old token still works.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	again := exec.CommandContext(ctx, bin, "migrate")
	again.Env = env
	if out, err := again.CombinedOutput(); err != nil || !strings.Contains(string(out), "up to date") {
		t.Fatalf("otpcard migrate on the reused cluster: %v\n%s", err, out)
	}
}

// binaryRejectsBadConfiguration checks one clear line per bad variable.
func binaryRejectsBadConfiguration(t *testing.T, bin string) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = cleanEnv("OTPCARD_DATABASE_URL=mysql://x", "OTPCARD_RATE_LIMIT=maybe", "OTPCARD_JWT_HS256_SECRET=short",
		"OTPCARD_DATA_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("otpcard started with a bad configuration:\n%s", out)
	}
	for _, name := range []string{"OTPCARD_DATABASE_URL", "OTPCARD_RATE_LIMIT", "OTPCARD_JWT_HS256_SECRET", "OTPCARD_CELL_PEPPER"} {
		n := 0
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, name+":") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("got %d lines naming %s, want 1:\n%s", n, name, out)
		}
	}
}

// runBinary runs bin with args and env for at most a minute; it returns the exit code and the
// whole of stdout and stderr.
func runBinary(t *testing.T, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("otpcard %s did not exit within a minute; stdout %q, stderr %q", strings.Join(args, " "), stdout.String(), stderr.String())
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatalf("run otpcard %s: %v", strings.Join(args, " "), err)
	}
	return 0, stdout.String(), stderr.String()
}

// binaryHelpAndVersion checks that asking for help prints the usage and does nothing else:
// the environment names a database that makes any real start fail, so a command that went on to
// serve or migrate would exit 1, not 0. Unknown flags are a usage error (exit 2), and version
// reports the revision the build recorded.
func binaryHelpAndVersion(t *testing.T, bin string) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := cleanEnv("OTPCARD_DATABASE_URL=mysql://never", "OTPCARD_DATA_DIR="+dataDir)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "usage: otpcard [command]"},
		{[]string{"-h"}, "usage: otpcard [command]"},
		{[]string{"help"}, "usage: otpcard [command]"},
		{[]string{"serve", "--help"}, "usage: otpcard serve"},
		{[]string{"migrate", "--help"}, "usage: otpcard migrate"},
		{[]string{"migrate", "-h"}, "usage: otpcard migrate"},
		{[]string{"token", "--help"}, "usage: otpcard token"},
	} {
		code, stdout, stderr := runBinary(t, bin, env, tc.args...)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, tc.want) {
			t.Errorf("otpcard %s: got exit %d, stdout %q, stderr %q; want 0, %q and nothing on stderr",
				strings.Join(tc.args, " "), code, stdout, stderr, tc.want)
		}
	}
	for _, args := range [][]string{{"serve", "--bogus"}, {"migrate", "--bogus"}} {
		code, stdout, stderr := runBinary(t, bin, env, args...)
		want := "flag provided but not defined: -bogus\nusage: otpcard " + args[0] + "\n"
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, want) {
			t.Errorf("otpcard %s: got exit %d, stdout %q, stderr %q; want 2 and %q", strings.Join(args, " "), code, stdout, stderr, want)
		}
	}
	if _, err := os.Stat(dataDir); err == nil {
		t.Error("the data directory exists after help and usage errors; want nothing created")
	}

	code, stdout, stderr := runBinary(t, bin, env, "version")
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	wantRevision := "revision: unknown"
	for _, line := range strings.Split(string(info), "\n") {
		if _, rev, ok := strings.Cut(line, "vcs.revision="); ok {
			wantRevision = "revision: " + strings.TrimSpace(rev)
		}
	}
	goVersion := strings.Fields(strings.SplitN(string(info), "\n", 2)[0])[1] // "bin: go1.x"
	if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "otpcard ") ||
		!strings.Contains(stdout, "\ngo: "+goVersion+" ") || !strings.Contains(stdout, "\n"+wantRevision) {
		t.Errorf("otpcard version: got exit %d, stdout %q, stderr %q; want 0 and the version, %s and %q",
			code, stdout, stderr, goVersion, wantRevision)
	}
}

// startedBinary is an otpcard serve process whose stdout lines arrive on lines.
type startedBinary struct {
	cmd    *exec.Cmd
	lines  chan string // closed when stdout ends
	stderr *bytes.Buffer
}

// startBinary starts `otpcard serve`; the process is killed when the test ends.
func startBinary(t *testing.T, bin string, env []string) *startedBinary {
	t.Helper()
	b := &startedBinary{cmd: exec.Command(bin, "serve"), lines: make(chan string, 64), stderr: &bytes.Buffer{}}
	b.cmd.Env = env
	b.cmd.Stderr = b.stderr
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.cmd.Process.Kill() })
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.lines <- sc.Text()
		}
		close(b.lines)
	}()
	return b
}

// banner waits up to limit for the start banner and returns the URL it names and the lines
// printed up to it.
func (b *startedBinary) banner(t *testing.T, limit time.Duration) (string, []string) {
	t.Helper()
	deadline := time.After(limit)
	var printed []string
	for {
		select {
		case line, ok := <-b.lines:
			if !ok {
				t.Fatalf("otpcard exited before its banner; stdout %q, stderr:\n%s", printed, b.stderr.String())
			}
			printed = append(printed, line)
			if rest, ok := strings.CutPrefix(line, "otpcard listening on "); ok {
				return strings.Fields(rest)[0], printed // the URL ends at the first space
			}
		case <-deadline:
			t.Fatalf("no banner within %s; stderr:\n%s", limit, b.stderr.String())
		}
	}
}

// stop sends SIGTERM and expects a clean exit within 30 s.
func (b *startedBinary) stop(t *testing.T) {
	t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for range b.lines {
		}
		done <- b.cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("otpcard exit after SIGTERM: got %v, want exit 0; stderr:\n%s", err, b.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("otpcard did not stop within 30 s of SIGTERM; stderr:\n%s", b.stderr.String())
	}
}

// binaryStopsOnSIGTERMRightAfterBanner sends SIGTERM the moment the banner appears, as a
// supervisor stopping a service it has just started does: otpcard must stop, not miss it. The
// window in which otpcard used to lose the signal lasted microseconds after the banner, so the
// test starts and stops it 20 times (about a second each), which caught the lost signal in both
// runs tried before the fix (3 times did not).
func binaryStopsOnSIGTERMRightAfterBanner(t *testing.T, bin string) {
	for range 20 {
		env := startupEnv(t, pgtest.URL(t))
		b := startBinary(t, bin, env)
		b.banner(t, time.Minute)
		b.stop(t)
	}
}

// binaryBannerSaysEveryInterface: listening on every interface (":0" here, as ":8080" with a
// database URL), the banner says so instead of passing the listener off as a loopback one, and
// its URL works.
func binaryBannerSaysEveryInterface(t *testing.T, bin string) {
	b := startBinary(t, bin, startupEnv(t, pgtest.URL(t), "OTPCARD_HTTP_ADDR=:0"))
	url, printed := b.banner(t, time.Minute)
	line := printed[len(printed)-1]
	port := strings.TrimPrefix(url, "http://0.0.0.0:")
	if !strings.HasPrefix(url, "http://0.0.0.0:") || (line != "otpcard listening on "+url+" (every interface, IPv4 and IPv6)" &&
		line != "otpcard listening on "+url+" (every IPv4 interface)") {
		t.Errorf("got banner %q, want otpcard listening on http://0.0.0.0:PORT and (every interface ...)", line)
	}
	newAPI(url, false).Healthz(t).Want(t, http.StatusOK) // the banner's URL works
	// The hint's curl command uses the loopback address, which works on any system.
	select {
	case <-b.lines: // the token hint
	case <-time.After(10 * time.Second):
	}
	select {
	case line := <-b.lines:
		if want := " http://127.0.0.1:" + port + "/"; !strings.HasPrefix(line, "then: curl") || !strings.Contains(line, want) {
			t.Errorf("got %q, want then: curl and %s", line, want)
		}
	case <-time.After(10 * time.Second):
		t.Error("got no curl hint after the banner")
	}
	b.stop(t)
}
