package notifytest_test

import (
	"testing"

	"github.com/otpcard/otpcard/application/notify/notifytest"
)

func TestStoreContract(t *testing.T) {
	notifytest.RunStoreContract(t, func(*testing.T) notifytest.Harness {
		s := notifytest.NewStore()
		return notifytest.Harness{Recipients: s, Deliveries: s}
	})
}
