package credentialtest_test

import (
	"testing"

	"github.com/otpcard/otpcard/application/credential/credentialtest"
	"github.com/otpcard/otpcard/domain/event"
)

// memoryHarness is a fresh in-memory credential module.
func memoryHarness(*testing.T) credentialtest.Harness {
	m := credentialtest.NewMemory()
	return credentialtest.Harness{Cards: m.CardStore(), Policies: m.PolicyStore(),
		Recorded: func(*testing.T) []event.Event { return m.Recorded() }}
}

func TestCardStoreContract(t *testing.T) { credentialtest.RunCardStoreContract(t, memoryHarness) }

func TestPolicyStoreContract(t *testing.T) { credentialtest.RunPolicyStoreContract(t, memoryHarness) }
