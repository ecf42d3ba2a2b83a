package credential

import "fmt"

// State is the life-cycle state of a credential, with nevisIDM's eight names.
type State string

// The eight credential states.
const (
	StateInitial      State = "initial"
	StateActive       State = "active"
	StateTmpLocked    State = "tmp-locked"
	StateFailLocked   State = "fail-locked"
	StateResetCode    State = "reset-code"
	StateAdminChanged State = "admin-changed"
	StateDisabled     State = "disabled"
	StateArchived     State = "archived"
)

var states = []State{StateInitial, StateActive, StateTmpLocked, StateFailLocked,
	StateResetCode, StateAdminChanged, StateDisabled, StateArchived}

// ParseState returns the state with that name, or an error wrapping ErrUnknownState.
func ParseState(name string) (State, error) {
	for _, s := range states {
		if string(s) == name {
			return s, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownState, name)
}

// Reasons recorded in stateChangeReason.
const (
	ReasonInitialized       = "initialized"
	ReasonActivated         = "activated"
	ReasonChangedByAdmin    = "changed-by-admin"
	ReasonUnlock            = "unlock"
	ReasonTooManyFailures   = "too-many-login-failures"
	ReasonTemporarilyLocked = "temporarily-locked"
	ReasonArchivedByAdmin   = "archived"
	ReasonEnabledByAdmin    = "enabled"
	ReasonLockExpired       = "lock-expired"
	// ReasonRenewal: the card retired because its successor took over (nevisIDM's reason).
	ReasonRenewal = "renewal"
)

// creatableStates are the states a new card may start in.
var creatableStates = map[State]bool{StateInitial: true, StateActive: true, StateDisabled: true}
