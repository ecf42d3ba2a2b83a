package bootstrap

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"strings"
	"testing"
)

// runMain runs the command line in-process and returns its exit code, stdout and stderr.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// refuseToStart makes any attempt to start, migrate or mint fail at once with exit code 1, so
// that a command which does more than print its usage is caught instead of starting a database.
func refuseToStart(t *testing.T) {
	t.Helper()
	t.Setenv("OTPCARD_DATABASE_URL", "mysql://never")
	t.Setenv("OTPCARD_DATA_DIR", t.TempDir())
}

func TestMainHelpPrintsUsageAndDoesNothingElse(t *testing.T) {
	refuseToStart(t)
	for _, tc := range []struct {
		args []string
		want string // the usage's first line
	}{
		{[]string{"--help"}, "usage: otpcard [command]"},
		{[]string{"-h"}, "usage: otpcard [command]"},
		{[]string{"-help"}, "usage: otpcard [command]"},
		{[]string{"help"}, "usage: otpcard [command]"},
		{[]string{"serve", "--help"}, "usage: otpcard serve"},
		{[]string{"serve", "-h"}, "usage: otpcard serve"},
		{[]string{"help", "serve"}, "usage: otpcard serve"},
		{[]string{"migrate", "--help"}, "usage: otpcard migrate"},
		{[]string{"migrate", "-h"}, "usage: otpcard migrate"},
		{[]string{"token", "--help"}, "usage: otpcard token"},
		{[]string{"token", "--role", "--help"}, "usage: otpcard token"},
		{[]string{"token", "--role", "Root", "-h"}, "usage: otpcard token"},
		{[]string{"healthcheck", "--help"}, "usage: otpcard healthcheck"},
		{[]string{"version", "--help"}, "usage: otpcard version"},
	} {
		code, stdout, stderr := runMain(t, tc.args...)
		if code != 0 || stderr != "" {
			t.Errorf("otpcard %s: got exit %d, stderr %q; want 0 and nothing on stderr", strings.Join(tc.args, " "), code, stderr)
		}
		if first, _, _ := strings.Cut(stdout, "\n"); !strings.HasPrefix(first, tc.want) {
			t.Errorf("otpcard %s: got first line %q, want %q", strings.Join(tc.args, " "), first, tc.want)
		}
	}
	_, stdout, _ := runMain(t, "token", "--help")
	if !strings.Contains(stdout, "-role") || !strings.Contains(stdout, "-ttl") {
		t.Errorf("otpcard token --help: got %q, want the flags listed", stdout)
	}
	_, stdout, _ = runMain(t, "help")
	for _, cmd := range []string{"serve", "migrate", "token", "healthcheck", "version", "help"} {
		if !strings.Contains(stdout, "\n  "+cmd+" ") {
			t.Errorf("otpcard help: got %q, want it to list %s", stdout, cmd)
		}
	}
}

func TestMainRejectsUnknownFlagsAndArguments(t *testing.T) {
	refuseToStart(t)
	for _, tc := range []struct {
		args      []string
		firstLine string
		usage     string
	}{
		{[]string{"--bogus"}, "flag provided but not defined: -bogus", "usage: otpcard serve"},
		{[]string{"serve", "--bogus"}, "flag provided but not defined: -bogus", "usage: otpcard serve"},
		{[]string{"serve", "now"}, `otpcard serve: unexpected argument "now"`, "usage: otpcard serve"},
		{[]string{"migrate", "--dry-run"}, "flag provided but not defined: -dry-run", "usage: otpcard migrate"},
		{[]string{"migrate", "up"}, `otpcard migrate: unexpected argument "up"`, "usage: otpcard migrate"},
		{[]string{"token", "--bogus"}, "flag provided but not defined: -bogus", "usage: otpcard token"},
		{[]string{"version", "--short"}, "flag provided but not defined: -short", "usage: otpcard version"},
		{[]string{"bogus"}, `otpcard: unknown command "bogus"`, "usage: otpcard [command]"},
		{[]string{"help", "bogus"}, `otpcard help: unknown command "bogus"`, "usage: otpcard [command]"},
	} {
		code, stdout, stderr := runMain(t, tc.args...)
		name := "otpcard " + strings.Join(tc.args, " ")
		if code != 2 || stdout != "" {
			t.Errorf("%s: got exit %d, stdout %q; want 2 and nothing on stdout", name, code, stdout)
		}
		lines := strings.Split(stderr, "\n")
		if lines[0] != tc.firstLine || len(lines) < 2 || !strings.HasPrefix(lines[1], tc.usage) {
			t.Errorf("%s: got stderr %q, want %q and then %q", name, stderr, tc.firstLine, tc.usage)
		}
	}
}

func TestMainVersion(t *testing.T) {
	refuseToStart(t)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runMain(t, args...)
		if code != 0 || stderr != "" {
			t.Fatalf("otpcard %s: got exit %d, stderr %q; want 0 and nothing on stderr", args[0], code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if len(lines) != 3 || lines[0] != "otpcard "+version || !strings.HasPrefix(lines[1], "go: "+runtime.Version()+" ") ||
			!strings.HasPrefix(lines[2], "revision: ") {
			t.Errorf("otpcard %s: got %q, want the version, the Go version and the revision on three lines", args[0], stdout)
		}
	}
}

// TestListeningOnSaysWhenEveryInterfaceListens: the banner's URL works with curl, and a
// wildcard listener is not passed off as a loopback one.
func TestListeningOnSaysWhenEveryInterfaceListens(t *testing.T) {
	for _, tc := range []struct {
		addr *net.TCPAddr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "http://0.0.0.0:8080 (every interface, IPv4 and IPv6)"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://0.0.0.0:8080 (every IPv4 interface)"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8443}, "http://[::1]:8443"},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 80}, "http://192.0.2.7:80"},
	} {
		if got := listeningOn(tc.addr); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.addr, got, tc.want)
		}
	}
}
