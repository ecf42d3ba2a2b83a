package postgres_test

import (
	"testing"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/domain/event"
)

// credentialHarness runs the credential module's contract suites on the postgres stores.
func credentialHarness(t *testing.T) func(t *testing.T) credentialtest.Harness {
	t.Helper()
	fresh := contractDB(t)
	return func(t *testing.T) credentialtest.Harness {
		db := fresh(t)
		return credentialtest.Harness{Cards: postgres.NewCardStore(db), Policies: postgres.NewPolicyStore(db),
			Recorded: func(t *testing.T) []event.Event { return recordedEvents(t, db) }}
	}
}

func TestCardStoreContract(t *testing.T) {
	credentialtest.RunCardStoreContract(t, credentialHarness(t))
}

func TestPolicyStoreContract(t *testing.T) {
	credentialtest.RunPolicyStoreContract(t, credentialHarness(t))
}
