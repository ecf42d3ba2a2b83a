package credential

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LockingMode decides when failures after a temporary lock lock again (API.md section 6).
type LockingMode string

// The two temporary locking modes.
const (
	LockingStrict    LockingMode = "strict"
	LockingThreshold LockingMode = "threshold"
)

// MinCellBits is the entropy a cell must carry (NIST SP 800-63B look-up secrets).
const MinCellBits = 19.9

// Parameters are the typed parameters of an OTPCardPolicy (API.md section 5.2).
type Parameters struct {
	Layout              Layout
	CredentialLifetime  time.Duration
	MaxCredFailureCount int
	TmpLockingThreshold int // -1: off
	TmpLockingDuration  time.Duration
	TmpLockingMode      LockingMode
	LowOnChallenges     int
	CellReuse           bool
	// ChallengeSize is how many distinct cells one challenge asks (1-4, at most the card's
	// cells); SortChallenge lists them in card order instead of at random (API.md section 6).
	ChallengeSize int
	SortChallenge bool
	// FallbackAllowed keeps a renewed card usable until its successor's first login, or for
	// FallbackPeriod after the renewal (API.md section 10.3).
	FallbackAllowed bool
	FallbackPeriod  time.Duration
	// RenewWhenLow and RenewWhenCloseToExpiry let the lifecycle job renew a card at
	// LowOnChallenges remaining cells, or once it is CloseToExpiry from validity.to (10.4).
	RenewWhenLow           bool
	CloseToExpiry          time.Duration
	RenewWhenCloseToExpiry bool
}

// day is the unit of the day-valued parameters.
const day = 24 * time.Hour

// DefaultParameters returns the defaults of API.md section 5.2.
func DefaultParameters() Parameters {
	return Parameters{
		Layout:              Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: CharsetCrockford32},
		CredentialLifetime:  315360000000 * time.Millisecond,
		MaxCredFailureCount: 3,
		TmpLockingThreshold: 2,
		TmpLockingDuration:  60 * time.Second,
		TmpLockingMode:      LockingStrict,
		LowOnChallenges:     20,
		ChallengeSize:       1,
		FallbackAllowed:     true,
		FallbackPeriod:      14 * day,
		RenewWhenLow:        true,
		CloseToExpiry:       10 * day,
	}
}

// parameterNames lists every parameter name in a stable order.
var parameterNames = []string{"rows", "cols", "cellLength", "cellCharset", "coordinateCardFormat",
	"credentialLifetime", "maxCredFailureCount", "tmpLockingThreshold", "tmpLockingDuration",
	"tmpLockingMode", "lowOnChallengesThreshold", "cellReuse", "challengeSize", "sortChallenge",
	"fallbackAllowed", "fallbackTransitionPeriod", "renewWhenLowOnChallenges", "closeToExpirationThreshold",
	"renewWhenCloseToExpiration"}

// ParseParameters reads a policy's string map on top of the defaults and validates the result.
// Errors wrap ErrPolicyViolation and name the parameter.
func ParseParameters(raw map[string]string) (Parameters, error) {
	p := DefaultParameters()
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		if err := p.set(name, raw[name]); err != nil {
			return Parameters{}, err
		}
	}
	return p, p.Validate()
}

func (p *Parameters) set(name, value string) error {
	var err error
	switch name {
	case "rows":
		p.Layout.Rows, err = intParam(name, value, 1, 99)
	case "cols":
		p.Layout.Cols, err = intParam(name, value, 1, 26)
	case "cellLength":
		p.Layout.CellLength, err = intParam(name, value, 2, 12)
	case "cellCharset":
		p.Layout.Charset, err = ParseCharset(value)
		if err != nil {
			err = &PolicyViolationError{name, "must be digits or crockford32"}
		}
	case "coordinateCardFormat":
		p.Layout.Coordinate, err = boolParam(name, value)
	case "credentialLifetime":
		var ms int64
		ms, err = strconv.ParseInt(value, 10, 64)
		if err != nil || ms <= 0 || value[0] == '+' || value[0] == '0' || ms > int64(100*365*24*time.Hour/time.Millisecond) {
			err = &PolicyViolationError{name, "must be a positive number of milliseconds, at most 100 years"}
		}
		p.CredentialLifetime = time.Duration(ms) * time.Millisecond
	case "maxCredFailureCount":
		p.MaxCredFailureCount, err = intParam(name, value, 1, 100)
	case "tmpLockingThreshold":
		p.TmpLockingThreshold, err = intParam(name, value, -1, 99)
		if err == nil && p.TmpLockingThreshold == 0 {
			err = &PolicyViolationError{name, "must be -1 (off) or 1-99"}
		}
	case "tmpLockingDuration":
		var ms int
		ms, err = intParam(name, value, 1000, 86400000)
		p.TmpLockingDuration = time.Duration(ms) * time.Millisecond
	case "tmpLockingMode":
		p.TmpLockingMode = LockingMode(value)
		if p.TmpLockingMode != LockingStrict && p.TmpLockingMode != LockingThreshold {
			err = &PolicyViolationError{name, "must be strict or threshold"}
		}
	case "lowOnChallengesThreshold":
		p.LowOnChallenges, err = intParam(name, value, 0, 9999)
	case "cellReuse":
		p.CellReuse, err = boolParam(name, value)
	case "challengeSize":
		p.ChallengeSize, err = intParam(name, value, 1, MaxChallengeSize)
	case "sortChallenge":
		p.SortChallenge, err = boolParam(name, value)
	case "fallbackAllowed":
		p.FallbackAllowed, err = boolParam(name, value)
	case "fallbackTransitionPeriod":
		p.FallbackPeriod, err = daysParam(name, value)
	case "renewWhenLowOnChallenges":
		p.RenewWhenLow, err = boolParam(name, value)
	case "closeToExpirationThreshold":
		p.CloseToExpiry, err = daysParam(name, value)
	case "renewWhenCloseToExpiration":
		p.RenewWhenCloseToExpiry, err = boolParam(name, value)
	default:
		err = &PolicyViolationError{name, "unknown parameter"}
	}
	return err
}

// intParam reads an integer in its one canonical spelling: no sign but a minus, no leading zero
// (so neither "05" nor "-0" nor "-01").
func intParam(name, value string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n < lo || n > hi || strings.HasPrefix(value, "+") || (len(value) > 1 && value[0] == '0') ||
		strings.HasPrefix(value, "-0") {
		return 0, &PolicyViolationError{name, fmt.Sprintf("must be an integer from %d to %d", lo, hi)}
	}
	return n, nil
}

// daysParam reads a number of days, 0-365.
func daysParam(name, value string) (time.Duration, error) {
	days, err := intParam(name, value, 0, 365)
	return time.Duration(days) * day, err
}

func boolParam(name, value string) (bool, error) {
	switch value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &PolicyViolationError{name, "must be true or false"}
}

// Validate checks the rules that span parameters, such as the 19.9-bit rule.
func (p Parameters) Validate() error {
	if err := p.Layout.Validate(); err != nil {
		return err
	}
	if bits := float64(p.Layout.CellLength) * p.Layout.Charset.BitsPerChar(); bits < MinCellBits {
		return &PolicyViolationError{"cellLength", fmt.Sprintf(
			"cells of %d %s characters carry %.1f bits, fewer than the %.1f required",
			p.Layout.CellLength, p.Layout.Charset, bits, MinCellBits)}
	}
	if p.ChallengeSize < 1 || p.ChallengeSize > min(MaxChallengeSize, p.Layout.Cells()) {
		return &PolicyViolationError{"challengeSize", fmt.Sprintf(
			"must be from 1 to %d, and at most the card's %d cells", MaxChallengeSize, p.Layout.Cells())}
	}
	return nil
}

// MaxChallengeSize is the most cells one challenge asks.
const MaxChallengeSize = 4

// Map renders the parameters as the policy's string map, every parameter present.
func (p Parameters) Map() map[string]string {
	return map[string]string{
		"rows":                       strconv.Itoa(p.Layout.Rows),
		"cols":                       strconv.Itoa(p.Layout.Cols),
		"cellLength":                 strconv.Itoa(p.Layout.CellLength),
		"cellCharset":                string(p.Layout.Charset),
		"coordinateCardFormat":       strconv.FormatBool(p.Layout.Coordinate),
		"credentialLifetime":         strconv.FormatInt(p.CredentialLifetime.Milliseconds(), 10),
		"maxCredFailureCount":        strconv.Itoa(p.MaxCredFailureCount),
		"tmpLockingThreshold":        strconv.Itoa(p.TmpLockingThreshold),
		"tmpLockingDuration":         strconv.FormatInt(p.TmpLockingDuration.Milliseconds(), 10),
		"tmpLockingMode":             string(p.TmpLockingMode),
		"lowOnChallengesThreshold":   strconv.Itoa(p.LowOnChallenges),
		"cellReuse":                  strconv.FormatBool(p.CellReuse),
		"challengeSize":              strconv.Itoa(p.ChallengeSize),
		"sortChallenge":              strconv.FormatBool(p.SortChallenge),
		"fallbackAllowed":            strconv.FormatBool(p.FallbackAllowed),
		"fallbackTransitionPeriod":   strconv.Itoa(int(p.FallbackPeriod / day)),
		"renewWhenLowOnChallenges":   strconv.FormatBool(p.RenewWhenLow),
		"closeToExpirationThreshold": strconv.Itoa(int(p.CloseToExpiry / day)),
		"renewWhenCloseToExpiration": strconv.FormatBool(p.RenewWhenCloseToExpiry),
	}
}

// ParameterNames lists every known parameter name.
func ParameterNames() []string { return slices.Clone(parameterNames) }
