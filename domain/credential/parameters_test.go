package credential_test

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/domain/credential"
)

func TestDefaultParameters(t *testing.T) {
	want := credential.Parameters{
		Layout:              credential.Layout{Rows: 12, Cols: 14, CellLength: 4, Charset: credential.CharsetCrockford32},
		CredentialLifetime:  315360000000 * time.Millisecond,
		MaxCredFailureCount: 3,
		TmpLockingThreshold: 2,
		TmpLockingDuration:  60000 * time.Millisecond,
		TmpLockingMode:      credential.LockingStrict,
		LowOnChallenges:     20,
		CellReuse:           false,
		ChallengeSize:       1,
		SortChallenge:       false,
		FallbackAllowed:     true,
		FallbackPeriod:      14 * 24 * time.Hour,
		RenewWhenLow:        true,
		CloseToExpiry:       10 * 24 * time.Hour,
	}
	if got := credential.DefaultParameters(); got != want {
		t.Errorf("DefaultParameters: got %+v, want %+v", got, want)
	}
	for _, raw := range []map[string]string{nil, {}} {
		got, err := credential.ParseParameters(raw)
		if err != nil || got != want {
			t.Errorf("ParseParameters(%v): got %+v, %v; want %+v, nil", raw, got, err, want)
		}
	}
}

func TestDefaultParametersMap(t *testing.T) {
	want := map[string]string{
		"rows": "12", "cols": "14", "cellLength": "4", "cellCharset": "crockford32",
		"coordinateCardFormat": "false", "credentialLifetime": "315360000000", "maxCredFailureCount": "3",
		"tmpLockingThreshold": "2", "tmpLockingDuration": "60000", "tmpLockingMode": "strict",
		"lowOnChallengesThreshold": "20", "cellReuse": "false", "challengeSize": "1", "sortChallenge": "false",
		"fallbackAllowed": "true", "fallbackTransitionPeriod": "14", "renewWhenLowOnChallenges": "true",
		"closeToExpirationThreshold": "10", "renewWhenCloseToExpiration": "false",
	}
	if got := credential.DefaultParameters().Map(); !maps.Equal(got, want) {
		t.Errorf("Map: got %v, want %v", got, want)
	}
	names := credential.ParameterNames()
	if got, want := slices.Sorted(slices.Values(names)), slices.Sorted(maps.Keys(want)); !slices.Equal(got, want) {
		t.Errorf("ParameterNames: got %v, want %v", got, want)
	}
	names[0] = "changed"
	if got := credential.ParameterNames(); got[0] == "changed" {
		t.Errorf("ParameterNames: got a shared slice, want a copy")
	}
}

func TestParseParametersBounds(t *testing.T) {
	hundredYears := "3153600000000" // 100*365 days in ms, the largest lifetime accepted
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"rows", "1", true}, {"rows", "99", true}, {"rows", "0", false}, {"rows", "100", false},
		{"rows", "", false}, {"rows", "abc", false}, {"rows", "1.5", false}, {"rows", "-1", false},
		{"cols", "1", true}, {"cols", "26", true}, {"cols", "0", false}, {"cols", "27", false},
		{"cellLength", "4", true}, {"cellLength", "12", true}, {"cellLength", "1", false},
		{"cellLength", "13", false}, {"cellLength", "3", false}, {"cellLength", "2", false},
		{"cellCharset", "crockford32", true}, {"cellCharset", "hex", false},
		{"cellCharset", "Digits", false}, {"cellCharset", "", false},
		{"coordinateCardFormat", "true", true}, {"coordinateCardFormat", "false", true},
		{"coordinateCardFormat", "TRUE", false}, {"coordinateCardFormat", "1", false},
		{"coordinateCardFormat", "yes", false}, {"coordinateCardFormat", "", false},
		{"credentialLifetime", "1", true}, {"credentialLifetime", hundredYears, true},
		{"credentialLifetime", "3153600000001", false}, {"credentialLifetime", "0", false},
		{"credentialLifetime", "-1", false}, {"credentialLifetime", "1e3", false},
		{"credentialLifetime", "", false}, {"credentialLifetime", "99999999999999999999", false},
		{"maxCredFailureCount", "1", true}, {"maxCredFailureCount", "100", true},
		{"maxCredFailureCount", "0", false}, {"maxCredFailureCount", "101", false},
		{"tmpLockingThreshold", "-1", true}, {"tmpLockingThreshold", "1", true},
		{"tmpLockingThreshold", "99", true}, {"tmpLockingThreshold", "0", false},
		{"tmpLockingThreshold", "-2", false}, {"tmpLockingThreshold", "100", false},
		{"tmpLockingDuration", "1000", true}, {"tmpLockingDuration", "86400000", true},
		{"tmpLockingDuration", "999", false}, {"tmpLockingDuration", "86400001", false},
		{"tmpLockingMode", "strict", true}, {"tmpLockingMode", "threshold", true},
		{"tmpLockingMode", "Strict", false}, {"tmpLockingMode", "", false},
		{"lowOnChallengesThreshold", "0", true}, {"lowOnChallengesThreshold", "9999", true},
		{"lowOnChallengesThreshold", "-1", false}, {"lowOnChallengesThreshold", "10000", false},
		{"cellReuse", "true", true}, {"cellReuse", "false", true}, {"cellReuse", "yes", false},
		{"challengeSize", "1", true}, {"challengeSize", "4", true}, {"challengeSize", "0", false},
		{"challengeSize", "5", false}, {"challengeSize", "-1", false},
		{"sortChallenge", "true", true}, {"sortChallenge", "false", true}, {"sortChallenge", "1", false},
		{"fallbackAllowed", "false", true}, {"fallbackAllowed", "no", false},
		{"fallbackTransitionPeriod", "0", true}, {"fallbackTransitionPeriod", "365", true},
		{"fallbackTransitionPeriod", "366", false}, {"fallbackTransitionPeriod", "-1", false},
		{"renewWhenLowOnChallenges", "false", true}, {"renewWhenLowOnChallenges", "", false},
		{"closeToExpirationThreshold", "0", true}, {"closeToExpirationThreshold", "365", true},
		{"closeToExpirationThreshold", "366", false}, {"closeToExpirationThreshold", "1.5", false},
		{"renewWhenCloseToExpiration", "true", true}, {"renewWhenCloseToExpiration", "True", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			p, err := credential.ParseParameters(map[string]string{tt.name: tt.value})
			if tt.ok {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if got := p.Map()[tt.name]; got != tt.value {
					t.Errorf("Map()[%s]: got %q, want %q", tt.name, got, tt.value)
				}
				return
			}
			var pv *credential.PolicyViolationError
			if !errors.As(err, &pv) || pv.Parameter != tt.name {
				t.Fatalf("got error %v, want a PolicyViolationError on %s", err, tt.name)
			}
			if !errors.Is(err, credential.ErrPolicyViolation) {
				t.Errorf("got error %v, want one wrapping ErrPolicyViolation", err)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("message %q: got no parameter name, want %q in it", err.Error(), tt.name)
			}
		})
	}
}

func TestParseParametersTmpLockingThresholdZero(t *testing.T) {
	_, err := credential.ParseParameters(map[string]string{"tmpLockingThreshold": "0"})
	var pv *credential.PolicyViolationError
	if !errors.As(err, &pv) || pv.Reason != "must be -1 (off) or 1-99" {
		t.Fatalf("got %v, want the reason \"must be -1 (off) or 1-99\"", err)
	}
	p, err := credential.ParseParameters(map[string]string{"tmpLockingThreshold": "-1"})
	if err != nil || p.TmpLockingThreshold != -1 {
		t.Fatalf("-1: got %d, %v; want -1, nil", p.TmpLockingThreshold, err)
	}
}

func TestParseParametersUnknownName(t *testing.T) {
	for _, name := range []string{"rowz", "Rows", "", "lowOnChallenges", "AccessControl.Root"} {
		_, err := credential.ParseParameters(map[string]string{"rows": "12", name: "1"})
		var pv *credential.PolicyViolationError
		if !errors.As(err, &pv) || pv.Parameter != name || pv.Reason != "unknown parameter" {
			t.Errorf("%q: got %v, want an unknown parameter PolicyViolationError naming it", name, err)
		}
	}
}

func TestParseParametersNamesTheSameParameterEveryTime(t *testing.T) {
	raw := map[string]string{"rows": "0", "cols": "0", "maxCredFailureCount": "0", "tmpLockingMode": "x"}
	for range 20 {
		_, err := credential.ParseParameters(raw)
		var pv *credential.PolicyViolationError
		if !errors.As(err, &pv) || pv.Parameter != "cols" {
			t.Fatalf("got %v, want the first bad parameter in name order (cols)", err)
		}
	}
}

func TestParseParametersCellBits(t *testing.T) {
	tests := []struct {
		charset, length string
		ok              bool
	}{
		{"digits", "2", false},
		{"digits", "5", false}, // 16.6 bits
		{"digits", "6", true},  // 19.93 bits
		{"digits", "12", true},
		{"crockford32", "3", false}, // 15 bits
		{"crockford32", "4", true},  // 20 bits
	}
	for _, tt := range tests {
		t.Run(tt.charset+"x"+tt.length, func(t *testing.T) {
			p, err := credential.ParseParameters(map[string]string{"cellCharset": tt.charset, "cellLength": tt.length})
			if tt.ok {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if got := p.Validate(); got != nil {
					t.Errorf("Validate: got %v, want nil", got)
				}
				return
			}
			var pv *credential.PolicyViolationError
			if !errors.As(err, &pv) || pv.Parameter != "cellLength" {
				t.Fatalf("got %v, want a PolicyViolationError on cellLength", err)
			}
		})
	}
	if credential.MinCellBits != 19.9 {
		t.Errorf("MinCellBits: got %v, want 19.9", credential.MinCellBits)
	}
}

func TestParametersValidateDirectly(t *testing.T) {
	p := credential.DefaultParameters()
	p.Layout.Charset = credential.CharsetDigits // four digits: 13.3 bits
	var pv *credential.PolicyViolationError
	if err := p.Validate(); !errors.As(err, &pv) || pv.Parameter != "cellLength" {
		t.Errorf("four digits: got %v, want a PolicyViolationError on cellLength", err)
	}
	p.Layout.Rows = 0
	if err := p.Validate(); !errors.As(err, &pv) || pv.Parameter != "rows" {
		t.Errorf("rows 0: got %v, want a PolicyViolationError on rows", err)
	}
}

func TestParametersMapRoundTrip(t *testing.T) {
	tests := []credential.Parameters{
		credential.DefaultParameters(),
		{
			Layout:              credential.Layout{Rows: 3, Cols: 26, CellLength: 6, Charset: credential.CharsetDigits, Coordinate: true},
			CredentialLifetime:  90 * 24 * time.Hour,
			MaxCredFailureCount: 100, TmpLockingThreshold: -1, TmpLockingDuration: 86400000 * time.Millisecond,
			TmpLockingMode: credential.LockingThreshold, LowOnChallenges: 0, CellReuse: true,
			ChallengeSize: 4, SortChallenge: true, FallbackAllowed: false, FallbackPeriod: 0,
			RenewWhenLow: false, CloseToExpiry: 365 * 24 * time.Hour, RenewWhenCloseToExpiry: true,
		},
		{
			Layout:              credential.Layout{Rows: 99, Cols: 1, CellLength: 12, Charset: credential.CharsetCrockford32},
			CredentialLifetime:  time.Millisecond,
			MaxCredFailureCount: 1, TmpLockingThreshold: 99, TmpLockingDuration: time.Second,
			TmpLockingMode: credential.LockingStrict, LowOnChallenges: 9999,
			ChallengeSize: 1, FallbackAllowed: true, FallbackPeriod: 365 * 24 * time.Hour,
		},
	}
	for i, want := range tests {
		got, err := credential.ParseParameters(want.Map())
		if err != nil || got != want {
			t.Errorf("case %d: got %+v, %v; want %+v, nil", i, got, err, want)
		}
	}
}

// TestChallengeSizeFitsTheCard: a challenge cannot ask more distinct cells than the card has.
func TestChallengeSizeFitsTheCard(t *testing.T) {
	_, err := credential.ParseParameters(map[string]string{"rows": "1", "cols": "3", "cellLength": "6",
		"cellCharset": "digits", "challengeSize": "4"})
	var pv *credential.PolicyViolationError
	if !errors.As(err, &pv) || pv.Parameter != "challengeSize" {
		t.Fatalf("challengeSize 4 on a card of 3 cells: got %v, want a violation of challengeSize", err)
	}
	if _, err := credential.ParseParameters(map[string]string{"rows": "1", "cols": "3", "cellLength": "6",
		"cellCharset": "digits", "challengeSize": "3"}); err != nil {
		t.Fatalf("challengeSize 3 on a card of 3 cells: got %v, want nil", err)
	}
}
