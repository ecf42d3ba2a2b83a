package tests

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/tests/client"
)

// paramCase is one row of the parameter table: a parameter set to a value (with extra parameters
// it needs), and the reason a refusal gives, or "" for an accepted value.
type paramCase struct {
	name, value string
	extra       []string
	reason      string
}

// parameterRules is API.md section 5.2, row by row: every bound from both sides and malformed
// values, each refusal with its message.
var parameterRules = []paramCase{
	{"rows", "1", nil, ""},
	{"rows", "99", nil, ""},
	{"rows", "0", nil, "must be an integer from 1 to 99"},
	{"rows", "100", nil, "must be an integer from 1 to 99"},
	{"rows", "2.5", nil, "must be an integer from 1 to 99"},
	{"rows", "", nil, "must be an integer from 1 to 99"},
	{"cols", "1", nil, ""},
	{"cols", "26", nil, ""},
	{"cols", "0", nil, "must be an integer from 1 to 26"},
	{"cols", "27", nil, "must be an integer from 1 to 26"},
	{"cols", "x", nil, "must be an integer from 1 to 26"},
	{"cellLength", "4", nil, ""},
	{"cellLength", "12", nil, ""},
	{"cellLength", "1", nil, "must be an integer from 2 to 12"},
	{"cellLength", "13", nil, "must be an integer from 2 to 12"},
	{"cellCharset", "crockford32", nil, ""},
	{"cellCharset", "digits", []string{"cellLength", "6"}, ""},
	{"cellCharset", "hex", nil, "must be digits or crockford32"},
	{"cellCharset", "Digits", []string{"cellLength", "6"}, "must be digits or crockford32"},
	{"coordinateCardFormat", "true", nil, ""},
	{"coordinateCardFormat", "false", nil, ""},
	{"coordinateCardFormat", "TRUE", nil, "must be true or false"},
	{"coordinateCardFormat", "1", nil, "must be true or false"},
	{"credentialLifetime", "1", nil, ""},
	{"credentialLifetime", "3153600000000", nil, ""},
	{"credentialLifetime", "3153600000001", nil, "must be a positive number of milliseconds, at most 100 years"},
	{"credentialLifetime", "0", nil, "must be a positive number of milliseconds"},
	{"credentialLifetime", "-1", nil, "must be a positive number of milliseconds"},
	{"credentialLifetime", "1e3", nil, "must be a positive number of milliseconds"},
	{"maxCredFailureCount", "1", nil, ""},
	{"maxCredFailureCount", "100", nil, ""},
	{"maxCredFailureCount", "0", nil, "must be an integer from 1 to 100"},
	{"maxCredFailureCount", "101", nil, "must be an integer from 1 to 100"},
	{"tmpLockingThreshold", "-1", nil, ""},
	{"tmpLockingThreshold", "1", nil, ""},
	{"tmpLockingThreshold", "99", nil, ""},
	{"tmpLockingThreshold", "0", nil, "must be -1 (off) or 1-99"},
	{"tmpLockingThreshold", "-2", nil, "must be an integer from -1 to 99"},
	{"tmpLockingThreshold", "100", nil, "must be an integer from -1 to 99"},
	{"tmpLockingDuration", "1000", nil, ""},
	{"tmpLockingDuration", "86400000", nil, ""},
	{"tmpLockingDuration", "999", nil, "must be an integer from 1000 to 86400000"},
	{"tmpLockingDuration", "86400001", nil, "must be an integer from 1000 to 86400000"},
	{"tmpLockingMode", "strict", nil, ""},
	{"tmpLockingMode", "threshold", nil, ""},
	{"tmpLockingMode", "Strict", nil, "must be strict or threshold"},
	{"tmpLockingMode", "loose", nil, "must be strict or threshold"},
	{"lowOnChallengesThreshold", "0", nil, ""},
	{"lowOnChallengesThreshold", "9999", nil, ""},
	{"lowOnChallengesThreshold", "-1", nil, "must be an integer from 0 to 9999"},
	{"lowOnChallengesThreshold", "10000", nil, "must be an integer from 0 to 9999"},
	{"cellReuse", "true", nil, ""},
	{"cellReuse", "false", nil, ""},
	{"cellReuse", "yes", nil, "must be true or false"},
	{"colour", "red", nil, "unknown parameter"},
	{"Rows", "3", nil, "unknown parameter"},
}

// bitRules are the 19.9-bit rule (NIST SP 800-63B look-up secrets): the refusal names cellLength
// and says how many bits the cells carry.
var bitRules = []paramCase{
	{"cellLength", "5", []string{"cellCharset", "digits"}, "cells of 5 digits characters carry 16.6 bits, fewer than the 19.9 required"},
	{"cellLength", "6", []string{"cellCharset", "digits"}, ""},
	{"cellLength", "3", []string{"cellCharset", "crockford32"}, "cells of 3 crockford32 characters carry 15.0 bits, fewer than the 19.9 required"},
	{"cellLength", "4", []string{"cellCharset", "crockford32"}, ""},
	{"cellLength", "2", nil, "carry 10.0 bits"},
	{"cellCharset", "digits", nil, "policy parameter cellLength: cells of 4 digits characters carry 13.3 bits"},
}

func TestPolicyParameterRules(t *testing.T) {
	t.Parallel()
	_, f, api := startWithFixture(t, "pr")
	target := client.PolicyKey{Client: f.Client, Policy: uid("pr-target")}
	api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: target.Policy, Name: "Target"}).Want(t, http.StatusCreated)
	before := api.GetPolicy(t, target).Want(t, http.StatusOK)
	accepted := 0
	for i, c := range append(append([]paramCase{}, parameterRules...), bitRules...) {
		params := map[string]string{c.name: c.value}
		for j := 0; j+1 < len(c.extra); j += 2 {
			params[c.extra[j]] = c.extra[j+1]
		}
		t.Run(fmt.Sprintf("%s=%q", c.name, c.value), func(t *testing.T) {
			r := api.CreatePolicy(t, f.Client, client.PolicyCreate{ExtID: uid(fmt.Sprintf("pr-%d", i)), Name: "p", Parameters: params})
			if c.reason == "" {
				p := r.Want(t, http.StatusCreated)
				accepted++
				want := withParams()
				maps.Copy(want, params)
				if !maps.Equal(p.Parameters, want) {
					t.Errorf("parameters: got %v, want %v", p.Parameters, want)
				}
				return
			}
			for _, r := range []client.Response{r.Response, api.PatchPolicy(t, target, client.PolicyPatch{Parameters: params}).Response} {
				detail := r.WantProblem(t, http.StatusUnprocessableEntity, "errors.policyViolation").Detail
				named := c.name
				if strings.Contains(c.reason, "bits") {
					named = "cellLength"
				}
				if !strings.Contains(detail, "policy parameter "+named+": ") || !strings.Contains(detail, c.reason) {
					t.Errorf("detail: got %q, want it to name %s and say %q", detail, named, c.reason)
				}
			}
		})
	}
	if after := api.GetPolicy(t, target).Want(t, http.StatusOK); !reflect.DeepEqual(after, before) {
		t.Errorf("target after refused PATCHes: got %+v, want it unchanged %+v", after, before)
	}
	if n, want := len(api.ListPolicies(t, f.Client, client.Page{Limit: 1000}).Want(t, http.StatusOK).Items), 2+accepted; n != want {
		t.Errorf("policies stored: got %d, want %d (the default, the target and one per accepted row)", n, want)
	}
}
