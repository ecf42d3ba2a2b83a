package bootstrap

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/otpcard/otpcard/adapters/agecrypt"
	"github.com/otpcard/otpcard/adapters/cellhash"
	"github.com/otpcard/otpcard/adapters/pdfcard"
	"github.com/otpcard/otpcard/adapters/postgres"
	appcredential "github.com/otpcard/otpcard/application/credential"
	appprinting "github.com/otpcard/otpcard/application/printing"
	"github.com/otpcard/otpcard/domain/credential"
	"github.com/otpcard/otpcard/domain/printing"
)

// printingModule is the printing module (API.md 11.2): print batches, its copies of senders and
// addressees, the lifecycle job's automatic renewals, and the retention of batches.
var printingModule = fx.Module("printing",
	fx.Provide(newPrinter, newPrinting, newAutomaticRenewals),
	fx.Provide(asDependent(newPrintingDirectorySeam)),
	servedOverHTTP[appprinting.UseCases](),
	recordsEvents(printing.EventTypes),
	fx.Invoke(schedulePrintRetention),
)

func newPrintingDirectorySeam(db *Database) *appprinting.DirectorySeam {
	store := postgres.NewPrintStore(db.DB)
	return appprinting.NewDirectorySeam(store, store)
}

func newPrinting(db *Database, tracer trace.Tracer) appprinting.UseCases {
	store := postgres.NewPrintStore(db.DB)
	return appprinting.New(store, store, clock, tracer)
}

// newPrinter builds the printer that the automatic renewals and the rollout jobs write to.
func newPrinter(cfg Config, db *Database) *appprinting.Printer {
	store := postgres.NewPrintStore(db.DB)
	return appprinting.NewPrinter(appprinting.PrinterDeps{Batches: store, Senders: store, Addressees: store,
		Renderer: letterRenderer{}, Encrypter: agecrypt.Recipients{}, Now: clock, Retention: cfg.PrintBatchRetention})
}

// newIssueForPrint is the credential module's bulk issue, for the printing seams.
func newIssueForPrint(db *Database, hasher *cellhash.Hasher) *appcredential.IssueForPrint {
	return appcredential.NewIssueForPrint(appcredential.Deps{Cards: postgres.NewCardStore(db.DB), Hasher: hasher, Now: clock},
		postgres.NewTransactor(db.DB))
}

func newAutomaticRenewals(cfg Config, db *Database, hasher *cellhash.Hasher) appcredential.AutomaticRenewals {
	return appprinting.NewAutomaticRenewals(newIssueForPrint(db, hasher), newPrinter(cfg, db), postgres.NewPrintStore(db.DB))
}

// letterRenderer lays out the printing module's letters with pdfcard: it puts the module's
// card back into the credential module's layout, the one type the renderer draws.
type letterRenderer struct{}

func (letterRenderer) RenderLetters(letters []printing.Letter, created time.Time) ([]byte, error) {
	out := make([]pdfcard.Letter, len(letters))
	for i, l := range letters {
		out[i] = pdfLetter(l)
	}
	return pdfcard.RenderLetters(out, created)
}

func (letterRenderer) CheckLetter(l printing.Letter) error { return pdfcard.CheckLetter(pdfLetter(l)) }

func pdfLetter(l printing.Letter) pdfcard.Letter {
	c := l.Card
	return pdfcard.Letter{Language: l.Language, ClientDisplayName: l.ClientDisplayName, Name: l.Name,
		AddressLines: l.AddressLines, Serial: c.Serial, ValidTo: c.ValidTo,
		Layout: credential.Layout{Rows: c.Rows, Cols: c.Cols, CellLength: c.CellLength,
			Charset: credential.Charset(c.Charset), Coordinate: c.Coordinate},
		Cells: c.Cells, ChallengeSize: c.ChallengeSize, HelpdeskContact: l.HelpdeskContact, ControlNumber: l.ControlNumber}
}

// schedulePrintRetention deletes expired batches once per lifecycle interval, on one instance
// at a time.
func schedulePrintRetention(lc fx.Lifecycle, cfg Config, db *Database, logger *slog.Logger) {
	prune := appprinting.NewPruneBatches(postgres.NewPrintStore(db.DB), clock)
	runs := postgres.NewJobRuns(db.DB)
	every(lc, lifecycleTick(cfg.LifecycleInterval), func(ctx context.Context) {
		var n int
		_, err := runs.Exclusive(ctx, "print-batch-retention", clock(), cfg.LifecycleInterval, func(ctx context.Context) error {
			var err error
			n, err = prune.Do(ctx)
			return err
		})
		switch {
		case ctx.Err() != nil:
		case err != nil:
			logger.Error("print batch retention failed; the next run tries again", "error", err.Error(), "deleted", n)
		case n > 0:
			logger.Info("print batch retention deleted expired batches", "deleted", n)
		}
	})
}
