package bootstrap

import (
	"log/slog"
	"net/http"

	"github.com/otpcard/otpcard/adapters/console"
	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/application/audit"
	appconsole "github.com/otpcard/otpcard/application/console"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appdirectory "github.com/otpcard/otpcard/application/directory"
)

// newSignIn is the console's sign-in (API.md 12): links and sessions in the database.
func newSignIn(db *Database) *appconsole.SignIn {
	store := postgres.NewConsoleStore(db.DB)
	return appconsole.NewSignIn(store, store, clock)
}

// newConsoleHandler builds the help-desk console's pages. It is built after the JSON API's
// handler, which sets gin's release mode for the process.
func newConsoleHandler(db *Database, dir appdirectory.UseCases, cred appcredential.UseCases, aud audit.UseCases,
	logger *slog.Logger) (http.Handler, error) {
	return console.NewHandler(console.Deps{SignIn: newSignIn(db), Directory: dir, Credential: cred, Audit: aud, Now: clock, Logger: logger})
}
