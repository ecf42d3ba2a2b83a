package postgres_test

import (
	"testing"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/application/directory/directorytest"
	"github.com/otpcard/otpcard/domain/event"
)

// directoryHarness runs the directory's contract suites on the postgres stores.
func directoryHarness(t *testing.T) func(t *testing.T) directorytest.Harness {
	t.Helper()
	fresh := contractDB(t)
	return func(t *testing.T) directorytest.Harness {
		db := fresh(t)
		return directorytest.Harness{Clients: postgres.NewClientStore(db), Users: postgres.NewUserStore(db),
			Recorded: func(t *testing.T) []event.Event { return recordedEvents(t, db) }}
	}
}

func TestClientStoreContract(t *testing.T) {
	directorytest.RunClientStoreContract(t, directoryHarness(t))
}

func TestUserStoreContract(t *testing.T) {
	directorytest.RunUserStoreContract(t, directoryHarness(t))
}
