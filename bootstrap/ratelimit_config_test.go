package bootstrap

import (
	"net/netip"
	"testing"
)

func TestLoadConfigRateLimits(t *testing.T) {
	cfg, err := LoadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := rateLimitsOf(cfg); got.LoginPerMinute != 30 || got.IssuePerMinute != 10 || got.AddressPerMinute != 6000 {
		t.Errorf("defaults: got %+v, want 30, 10 and 6000 a minute (API.md section 6.1)", got)
	}
	cfg, err = LoadConfig(envOf(map[string]string{
		"OTPCARD_RATE_LIMIT_LOGIN_PER_MINUTE": "5", "OTPCARD_RATE_LIMIT_ISSUE_PER_MINUTE": "3",
		"OTPCARD_RATE_LIMIT_ADDRESS_PER_MINUTE": "40", "OTPCARD_TRUSTED_PROXIES": "10.0.0.0/8"}))
	if err != nil {
		t.Fatal(err)
	}
	got := rateLimitsOf(cfg)
	if got.LoginPerMinute != 5 || got.IssuePerMinute != 3 || got.AddressPerMinute != 40 ||
		len(got.TrustedProxies) != 1 || got.TrustedProxies[0] != netip.MustParsePrefix("10.0.0.0/8") {
		t.Errorf("configured: got %+v, want 5, 3, 40 and the trusted proxies", got)
	}
	cfg, err = LoadConfig(envOf(map[string]string{"OTPCARD_RATE_LIMIT": "off", "OTPCARD_RATE_LIMIT_LOGIN_PER_MINUTE": "5"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := rateLimitsOf(cfg); got.LoginPerMinute != 0 || got.IssuePerMinute != 0 || got.AddressPerMinute != 0 {
		t.Errorf("OTPCARD_RATE_LIMIT=off: got %+v, want every limit off", got)
	}
}
