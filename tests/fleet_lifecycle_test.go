package tests

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
	"github.com/otpcard/otpcard/tests/client"
)

// lifecycleFleet creates, in f's client, one card that has expired (a policy with a lifetime of one
// millisecond), one that is close to expiry (30 days of validity, a threshold of 60) and a renewed
// card whose fallback period is over (fallbackTransitionPeriod 0), and returns their keys.
func lifecycleFleet(t *testing.T, s *service, f fixture) (expired, closeToExpiry, renewed client.CardKey) {
	t.Helper()
	api := s.root(t)
	card := func(name string, params map[string]string) client.CardKey {
		p := api.CreatePolicy(t, f.Client, client.PolicyCreate{Name: uid(name), PolicyType: "OTPCardPolicy", Parameters: params}).
			Want(t, http.StatusCreated)
		u := s.addUser(t, f, uid(name))
		key := u.UserKey().Card(uid(name + "-card"))
		api.CreateCard(t, u.UserKey(), client.CredentialCreate{ExtID: key.Card, PolicyExtID: p.ExtID}).Want(t, http.StatusCreated)
		api.DeleteCard(t, u.CardKey).Want(t, http.StatusNoContent) // the user keeps only the card under test
		return key
	}
	expired = card("lc-expired", map[string]string{"credentialLifetime": "1"})
	closeToExpiry = card("lc-close", map[string]string{"credentialLifetime": "2592000000", "closeToExpirationThreshold": "60"})
	renewed = card("lc-renewed", map[string]string{"fallbackTransitionPeriod": "0"})
	api.RenewCard(t, renewed, client.CredentialRenew{}).Want(t, http.StatusCreated)
	time.Sleep(5 * time.Millisecond) // a lifetime of one millisecond: long past by now
	return expired, closeToExpiry, renewed
}

// TestLifecycleRunCommand: `otpcard lifecycle run` against the service's database records
// otp-card.expired and otp-card.close-to-expiration once each, as the actor system, retires the
// renewed card whose fallback period is over, and does nothing the second time (API.md 10.2-10.4).
func TestLifecycleRunCommand(t *testing.T) {
	url, pepper := pgtest.URL(t), make([]byte, 32)
	env := map[string]string{"OTPCARD_DATABASE_URL": url, "OTPCARD_CELL_PEPPER": b64(pepper)}
	s := startServiceWith(t, io.Discard, env)
	f := s.newFixture(t, "lifecycle")
	expired, closeToExpiry, renewed := lifecycleFleet(t, s, f)
	api := s.root(t)
	versions := map[string]int32{}
	for _, k := range []client.CardKey{expired, closeToExpiry} {
		versions[k.Card] = api.GetCard(t, k).Want(t, http.StatusOK).Version
	}

	for k, v := range map[string]string{"OTPCARD_DATABASE_URL": url, "OTPCARD_CELL_PEPPER": b64(pepper),
		"OTPCARD_JWT_HS256_SECRET": testSecret, "OTPCARD_DATA_DIR": t.TempDir(), "OTPCARD_LOG_LEVEL": "warn"} {
		t.Setenv(k, v)
	}
	run := func() string {
		var stdout, stderr bytes.Buffer
		if code := bootstrap.Main(t.Context(), []string{"lifecycle", "run"}, &stdout, &stderr); code != 0 {
			t.Fatalf("otpcard lifecycle run: exit %d, stderr %s", code, stderr.String())
		}
		return stdout.String()
	}
	if out := run(); !strings.Contains(out, "3 user(s) with due cards; 1 close-to-expiration, 1 expired, 1 retired") {
		t.Errorf("first run said %q, want 3 users: 1 close-to-expiration, 1 expired, 1 retired", out)
	}
	if out := run(); !strings.Contains(out, "0 close-to-expiration, 0 expired, 0 retired") {
		t.Errorf("second run said %q, want nothing done", out)
	}

	for typ, card := range map[string]client.CardKey{"otp-card.expired": expired, "otp-card.close-to-expiration": closeToExpiry} {
		items := s.auditEvents(t, client.AuditQuery{CredentialExtID: card.Card, Type: typ}, 1)
		if len(items) != 1 || items[0].Actor.Subject != "system" || items[0].Actor.Mode != "system" || items[0].Data["validTo"] == "" {
			t.Errorf("%s of %s in the audit trail: %+v, want one by the actor system with validTo", typ, card.Card, items)
		}
		if got := api.GetCard(t, card).Want(t, http.StatusOK).Version; got != versions[card.Card] {
			t.Errorf("the announcement moved %s from version %d to %d", card.Card, versions[card.Card], got)
		}
	}
	if got := s.auditEvents(t, client.AuditQuery{CredentialExtID: expired.Card, Type: "otp-card.close-to-expiration"}, 0); len(got) != 0 {
		t.Errorf("a card that expired before the run was told it is close to expiry: %+v", got)
	}
	old := api.GetCard(t, renewed).Want(t, http.StatusOK)
	if old.StateName != "archived" || old.StateChangeReason != "renewal" {
		t.Errorf("renewed card after its fallback period: %s (%s), want archived (renewal)", old.StateName, old.StateChangeReason)
	}
	items := s.auditEvents(t, client.AuditQuery{CredentialExtID: renewed.Card, Type: "otp-card.state-changed"}, 1)
	if len(items) != 1 || items[0].Actor.Mode != "system" || items[0].Data["reason"] != "renewal" {
		t.Errorf("the retirement in the audit trail: %+v, want one state change by system, reason renewal", items)
	}

	var stdout, stderr bytes.Buffer
	if code := bootstrap.Main(t.Context(), []string{"lifecycle", "walk"}, &stdout, &stderr); code != 2 {
		t.Errorf("otpcard lifecycle walk: exit %d, want 2 (usage)", code)
	}
}

// TestLifecycleScheduleCountsInMetrics: with OTPCARD_LIFECYCLE_INTERVAL=1s the service runs the
// job by itself, and /metrics counts the runs and what they did.
func TestLifecycleScheduleCountsInMetrics(t *testing.T) {
	t.Parallel()
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_LIFECYCLE_INTERVAL": "1s"})
	f := s.newFixture(t, "lc-sched")
	expired, _, _ := lifecycleFleet(t, s, f)
	if items := s.auditEvents(t, client.AuditQuery{CredentialExtID: expired.Card, Type: "otp-card.expired"}, 1); len(items) != 1 {
		t.Fatalf("the scheduled job recorded %d otp-card.expired events for the expired card, want 1", len(items))
	}
	// Each card may be handled by another run (the fleet is made while the job runs every
	// second): wait until the counters show all three.
	deadline := time.Now().Add(15 * time.Second)
	for {
		body := string(s.api.Metrics(t).Want(t, http.StatusOK))
		missing := ""
		for _, action := range []string{"expired", "close-to-expiration", "retired"} {
			if metricValue(body, "otpcard_lifecycle_cards_total", `action="`+action+`"`) < 1 {
				missing = action
			}
		}
		if missing == "" {
			for _, name := range []string{"otpcard_lifecycle_last_run_cards{", "otpcard_lifecycle_run_duration_seconds_count{"} {
				if !strings.Contains(body, "\n"+name) {
					t.Errorf("/metrics has no %s...}", name)
				}
			}
			if n := metricValue(body, "otpcard_lifecycle_runs_total", `outcome="succeeded"`); n < 1 {
				t.Errorf("otpcard_lifecycle_runs_total{outcome=\"succeeded\"}: %d, want at least 1", n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("otpcard_lifecycle_cards_total{action=%q} stayed 0", missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// metricValue sums the samples of a metric whose labels contain label, in the Prometheus text.
func metricValue(body, name, label string) int {
	sum := 0
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\{([^}]*)\} ([0-9.e+]+)$`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		if strings.Contains(m[1], label) {
			v, _ := strconv.ParseFloat(m[2], 64)
			sum += int(v)
		}
	}
	return sum
}
