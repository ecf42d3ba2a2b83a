package postgres_test

import (
	"testing"

	"github.com/otpcard/otpcard/adapters/postgres"
	"github.com/otpcard/otpcard/application/notify/notifytest"
)

func TestNotifyStoreContract(t *testing.T) {
	fresh := contractDB(t)
	notifytest.RunStoreContract(t, func(t *testing.T) notifytest.Harness {
		s := postgres.NewNotifyStore(fresh(t))
		return notifytest.Harness{Recipients: s, Deliveries: s}
	})
}
