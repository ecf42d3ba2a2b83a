package bootstrap

import (
	"net/http"
	"strings"

	"github.com/otpcard/otpcard/adapters/console"
	"github.com/otpcard/otpcard/adapters/postgres"
	appconsole "github.com/otpcard/otpcard/application/console"
)

// newSignIn is the console's sign-in (API.md 12): links and sessions in the database.
func newSignIn(db *Database) *appconsole.SignIn {
	store := postgres.NewConsoleStore(db.DB)
	return appconsole.NewSignIn(store, store, clock)
}

// newConsoleHandler builds the help-desk console's pages over the modules' use cases. It is
// built after the JSON API's handler, which sets gin's release mode for the process.
func newConsoleHandler(d handlerDeps) (http.Handler, error) {
	return console.NewHandler(console.Deps{SignIn: newSignIn(d.DB), Directory: d.Directory, Credential: d.Credential,
		Audit: d.Audit, Rollout: d.Rollout, Printing: d.Printing, Now: clock, Logger: d.Logger,
		OIDC: console.OIDC{Issuer: d.Config.ConsoleOIDCIssuer, ClientID: d.Config.ConsoleOIDCClientID,
			ClientSecret: d.Config.ConsoleOIDCClientSecret, RedirectURL: strings.TrimSuffix(d.Config.ConsoleURL, "/") + "/callback"}})
}
