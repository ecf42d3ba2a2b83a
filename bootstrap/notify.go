package bootstrap

import (
	"log/slog"

	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/mail"
	"github.com/otpcard/otpcard/adapters/postgres"
	appnotify "github.com/otpcard/otpcard/application/notify"
)

// notifyModule is the notify module (API.md 11.3). Its copy of the users' addresses follows the
// directory always (so that switching notices on later finds every user); the subscriber that
// e-mails them runs only with OTPCARD_SMTP_URL.
func notifyModule(cfg Config) fx.Option {
	opts := []fx.Option{fx.Provide(asDependent(newNotifyDirectorySeam))}
	if cfg.SMTPURL != "" {
		opts = append(opts, fx.Provide(asSubscriber(newNotifier)))
	}
	return fx.Module("notify", opts...)
}

func newNotifyDirectorySeam(db *Database) *appnotify.DirectorySeam {
	return appnotify.NewDirectorySeam(postgres.NewNotifyStore(db.DB))
}

// newNotifier reads the templates (a broken one stops the start, naming OTPCARD_NOTIFY_TEMPLATES)
// and builds the subscriber.
func newNotifier(cfg Config, db *Database, logger *slog.Logger) (*appnotify.Notifier, error) {
	composer, err := mail.NewComposer(cfg.NotifyTemplates)
	if err != nil {
		return nil, &VariableError{Variable: "OTPCARD_NOTIFY_TEMPLATES", Err: err}
	}
	sender, err := mail.NewSender(cfg.SMTPURL, cfg.SMTPFrom, nil)
	if err != nil {
		return nil, &VariableError{Variable: "OTPCARD_SMTP_URL", Err: err}
	}
	store := postgres.NewNotifyStore(db.DB)
	return appnotify.NewNotifier(appnotify.Deps{Recipients: store, Deliveries: store, Composer: composer, Mailer: sender,
		Now: clock, Logger: logger}), nil
}
