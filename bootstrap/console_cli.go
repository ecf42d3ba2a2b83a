package bootstrap

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/otpcard/otpcard/adapters/telemetry"
	"github.com/otpcard/otpcard/domain/console"
)

const consoleUsage = `usage: otpcard console [--role R] [--permission P] [--client C] [--sub S]

Prints a one-time link that signs a local operator in to the help-desk console
(OTPCARD_CONSOLE_URL, default http://127.0.0.1:8080/console/): valid for 5 minutes, once, and only
when opened on this machine. --role (default Helpdesk), --permission and --client (the data room)
are repeatable and read like an admin token's claims; --sub names the operator (default
console-operator).
`

// consoleCommand runs `otpcard console`.
func consoleCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, consoleUsage) }
	var roles, permissions, clients repeated
	fs.Var(&roles, "role", "a role of the operator (repeatable; default Helpdesk)")
	fs.Var(&permissions, "permission", "a permission of the operator (repeatable)")
	fs.Var(&clients, "client", "a client of the operator's data room (repeatable; none: all clients)")
	sub := fs.String("sub", "console-operator", "the operator's name, as events record it")
	if err := fs.Parse(args); err != nil {
		return &usageError{err}
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "otpcard console: unexpected arguments %q\n%s", fs.Args(), consoleUsage)
		return &usageError{errors.New("console: unexpected arguments")}
	}
	if len(roles) == 0 {
		roles = repeated{"Helpdesk"}
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if cfg.ConsoleOIDCIssuer != "" {
		fmt.Fprintf(stderr, "otpcard console: operators sign in through %s (OTPCARD_CONSOLE_OIDC_ISSUER); no sign-in link is printed\n", cfg.ConsoleOIDCIssuer)
		return &usageError{errors.New("console: OIDC is configured")}
	}
	return withDatabase(ctx, cfg, stderr, func(d *Database, _ *telemetry.Telemetry) error {
		secret, err := newSignIn(d).IssueLink(ctx, console.Grant{Subject: *sub, Roles: roles, Permissions: permissions, Clients: clients})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%ssign-in?link=%s\n", strings.TrimSuffix(cfg.ConsoleURL, "/")+"/", secret)
		return nil
	})
}

// repeated is a repeatable string flag.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }
