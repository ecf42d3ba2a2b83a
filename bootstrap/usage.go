package bootstrap

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

const usage = `usage: otpcard [command] [-h]

commands:
  serve        run the service (the default)
  migrate      apply database migrations and exit
  token        mint an HS256 token with the configured secret (otpcard token -h)
  healthcheck  exit 0 when the local service is ready (for container health checks)
  events       events rewind SUBSCRIBER: hand a subscriber the history still in the outbox
  lifecycle    lifecycle run: run the lifecycle job once, now
  rollout      rollout watch JOB: follow a rollout job's progress until it ends
  console      print a one-time sign-in link to the help-desk console (otpcard console -h)
  version      print the version, the Go version and the source revision (also --version)
  help         print this text; otpcard help COMMAND (or otpcard COMMAND -h) describes one

Configuration comes from OTPCARD_* environment variables; see the README.
`

const serveUsage = `usage: otpcard serve

Runs the service until SIGINT or SIGTERM. Without OTPCARD_DATABASE_URL it starts an embedded
PostgreSQL in OTPCARD_DATA_DIR (./.otpcard) and listens on 127.0.0.1:8080 only; with it, it waits
up to OTPCARD_DATABASE_START_TIMEOUT (30s) for that database and listens on :8080, every
interface. OTPCARD_HTTP_ADDR sets the address; the first line on stdout names the one really
bound: otpcard listening on URL.
`

const migrateUsage = `usage: otpcard migrate

Applies the database migrations (to OTPCARD_DATABASE_URL, or to the embedded database) and exits.
otpcard serve migrates too; this is for deployments that migrate in a separate step.
`

const tokenUsage = `usage: otpcard token [flags]

Mints a token signed with the HS256 secret (OTPCARD_JWT_HS256_SECRET, or the one generated into
OTPCARD_DATA_DIR) and prints it on stdout. Example: otpcard token --role Root

flags:
`

const healthcheckUsage = `usage: otpcard healthcheck

Exits 0 when GET /readyz on the local port of OTPCARD_HTTP_ADDR answers 200, 1 otherwise: the
health check of images without a shell or curl.
`

const versionUsage = `usage: otpcard version

Prints otpcard's version, the Go version it was built with and, when the build recorded it, the
source revision.
`

// commandUsage is the usage text of a command, and whether the command exists.
func commandUsage(cmd string) (string, bool) {
	switch cmd {
	case "serve":
		return serveUsage, true
	case "migrate":
		return migrateUsage, true
	case "token":
		return tokenUsage, true
	case "healthcheck":
		return healthcheckUsage, true
	case "version":
		return versionUsage, true
	case "events":
		return eventsUsage, true
	case "lifecycle":
		return lifecycleUsage, true
	case "rollout":
		return rolloutUsage, true
	case "console":
		return consoleUsage, true
	}
	return "", false
}

// help answers `otpcard help` and `otpcard help COMMAND`.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if _, known := commandUsage(args[0]); !known || len(args) > 1 {
		fmt.Fprintf(stderr, "otpcard help: unknown command %q\n%s", strings.Join(args, " "), usage)
		return exitUsage
	}
	printCommandUsage(stdout, args[0])
	return exitOK
}

// printCommandUsage writes a command's usage; token's lists its flags too.
func printCommandUsage(w io.Writer, cmd string) {
	text, _ := commandUsage(cmd)
	fmt.Fprint(w, text)
	if cmd == "token" {
		fs, _ := tokenFlagSet(w)
		fs.PrintDefaults()
	}
}

// asksForHelp reports whether -h, -help or --help is among args (before a "--").
func asksForHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// usageError is a command line that the flag package rejected and has already explained.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// noArguments rejects flags and arguments for a command that takes none, with one line and the
// command's usage on stderr; it reports whether args is empty.
func noArguments(cmd string, args []string, stderr io.Writer) bool {
	text, _ := commandUsage(cmd)
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, text) }
	if err := fs.Parse(args); err != nil {
		return false // "flag provided but not defined: -x" and the usage are printed
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otpcard %s: unexpected argument %q\n%s", cmd, fs.Arg(0), text)
		return false
	}
	return true
}
