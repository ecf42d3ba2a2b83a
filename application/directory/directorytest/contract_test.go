package directorytest_test

import (
	"testing"

	"github.com/otpcard/otpcard/application/directory/directorytest"
	"github.com/otpcard/otpcard/domain/event"
)

// memoryHarness is a fresh in-memory directory.
func memoryHarness(*testing.T) directorytest.Harness {
	m := directorytest.NewMemory()
	return directorytest.Harness{Clients: m.ClientStore(), Users: m.UserStore(),
		Recorded: func(*testing.T) []event.Event { return m.Recorded() }}
}

func TestClientStoreContract(t *testing.T) { directorytest.RunClientStoreContract(t, memoryHarness) }

func TestUserStoreContract(t *testing.T) { directorytest.RunUserStoreContract(t, memoryHarness) }
