package tests

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The HTTP tests run against the service they start in-process, or against a running otpcard
// named by OTPCARD_TEST_BASE_URL: the user's Compose stack, a staging instance, the embedded
// default. This file reads that target and keeps the ids of a run apart from every other run's.

// The variables that point the tests at a running otpcard instead of one they start themselves.
const (
	envBaseURL  = "OTPCARD_TEST_BASE_URL"         // e.g. http://127.0.0.1:8080
	envSecret   = "OTPCARD_TEST_JWT_HS256_SECRET" // the target's OTPCARD_JWT_HS256_SECRET
	envIssuer   = "OTPCARD_TEST_JWT_ISSUER"       // the target's OTPCARD_JWT_ISSUER, default otpcard
	envAudience = "OTPCARD_TEST_JWT_AUDIENCE"     // the target's OTPCARD_JWT_AUDIENCE, default otpcard
)

// The target and the key, issuer and audience of the tokens the tests mint: read once per test
// binary from the environment (test infrastructure, not service state). Without
// OTPCARD_TEST_BASE_URL each test starts the service in-process with testSecret.
var (
	targetURL  = strings.TrimRight(os.Getenv(envBaseURL), "/")
	testSecret = fromTarget(envSecret, "tests-hs256-secret-0123456789abcdef-0123")
	issuer     = fromTarget(envIssuer, "otpcard")
	audience   = fromTarget(envAudience, "otpcard")
)

// fromTarget is the variable's value when the tests run against an external target and it is
// set, else def (the in-process service's setting).
func fromTarget(name, def string) string {
	if v := os.Getenv(name); targetURL != "" && v != "" {
		return v
	}
	return def
}

// awaitTarget checks the external target's configuration and waits until its /readyz answers 200.
func awaitTarget(base string, wait time.Duration) error {
	if os.Getenv(envSecret) == "" {
		return fmt.Errorf("%s is required too: the target's OTPCARD_JWT_HS256_SECRET", envSecret)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(wait)
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /readyz: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not ready after %v: %w", base, wait, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// runID is drawn once per test binary and ends every id the tests create (see uid).
var runID = func() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

// uid makes an id (extId, name, loginId) unique to this run of the test binary, name-<runID>, so
// that runs can repeat and run side by side against one shared instance. Ids derived from one
// that already carries the run's suffix stay as they are.
func uid(name string) string {
	if strings.Contains(name, runID) {
		return name
	}
	return name + "-" + runID
}

// needOwnInstance skips the test against an external target: it needs an instance of its own,
// configured or observed as need says.
func needOwnInstance(t *testing.T, need string) {
	t.Helper()
	if targetURL != "" {
		t.Skipf("needs its own instance with %s; skipped against %s", need, envBaseURL)
	}
}
