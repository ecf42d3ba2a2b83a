package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/otpcard/otpcard/bootstrap"
)

// operator is an identity provider's user whose ID token carries the claims an admin token does.
type operator struct {
	sub     string
	roles   []string
	clients []string
}

func (o operator) ID() string { return o.sub }

func (o operator) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": o.sub})
}

func (o operator) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &struct {
		*mockoidc.IDTokenClaims
		Roles   []string `json:"roles"`
		Clients []string `json:"clients"`
	}{base, o.roles, o.clients}, nil
}

// TestConsoleSignInWithOIDC: with an OpenID provider configured, the sign-in page offers it; the
// console sends the operator there with a state, a nonce and a PKCE challenge (S256), and the
// callback with the provider's code starts a session for the ID token's subject, roles and
// clients; a callback whose state is not the browser's is a 400 page; `otpcard console` prints
// no link then and exits 2 with one line.
func TestConsoleSignInWithOIDC(t *testing.T) {
	needOwnInstance(t, "the service is configured with a provider of the test's")
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = idp.Shutdown() })
	cfg := idp.Config()
	env := map[string]string{"OTPCARD_CONSOLE_OIDC_ISSUER": cfg.Issuer, "OTPCARD_CONSOLE_OIDC_CLIENT_ID": cfg.ClientID,
		"OTPCARD_CONSOLE_OIDC_CLIENT_SECRET": cfg.ClientSecret}
	s := startServiceWith(t, io.Discard, env)
	base := s.api.BaseURL()

	if _, page := consoleGet(t, base+"/console/", ""); !strings.Contains(page, `href="/console/sign-in/oidc"`) || strings.Contains(page, "otpcard console --role") {
		t.Fatalf("sign-in page %.300s: want the provider's button, not the command line", page)
	}
	if resp, _ := consoleGet(t, base+"/console/sign-in?link=x", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("links with OIDC configured: %d, want 404 (no link signs in then)", resp.StatusCode)
	}
	start := func() (*url.URL, string) {
		t.Helper()
		resp, _ := consoleGet(t, base+"/console/sign-in/oidc", "")
		to, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(to.String(), idp.AuthorizationEndpoint()) {
			t.Fatalf("start: %d to %q, want 302 to the provider", resp.StatusCode, resp.Header.Get("Location"))
		}
		var pending string
		for _, c := range resp.Cookies() {
			if c.Name == "__Host-otpcard-oidc" && c.Secure && c.HttpOnly {
				pending = c.Name + "=" + c.Value
			}
		}
		q := to.Query()
		if pending == "" || q.Get("state") == "" || q.Get("nonce") == "" || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
			t.Fatalf("start: cookie %q, query %v; want a pending sign-in cookie, state, nonce and an S256 challenge", pending, q)
		}
		return to, pending
	}
	authorize := func(to *url.URL) url.Values {
		t.Helper()
		resp, _ := consoleGet(t, to.String(), "")
		back, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || back.Query().Get("code") == "" {
			t.Fatalf("provider: %d to %q, want 302 back with a code", resp.StatusCode, resp.Header.Get("Location"))
		}
		return back.Query()
	}

	idp.QueueUser(operator{sub: "olivia", roles: []string{"Helpdesk"}, clients: []string{"bank-x"}})
	to, pending := start()
	back := authorize(to)
	resp, _ := consoleGet(t, base+"/console/callback?"+back.Encode(), pending)
	var session string
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-otpcard-console" && c.Value != "" {
			session = c.Name + "=" + c.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" || session == "" {
		t.Fatalf("callback: %d to %q with cookie %q, want 303 to /console/ and a session", resp.StatusCode, resp.Header.Get("Location"), session)
	}
	if _, page := consoleGet(t, base+"/console/", session); !strings.Contains(page, "olivia") || !strings.Contains(page, "bank-x") || !strings.Contains(page, "Helpdesk") {
		t.Errorf("home after OIDC: %.400s; want olivia, Helpdesk, bank-x", page)
	}

	// An empty data room stays empty (never every client), and a null clients claim is refused,
	// as for an admin token.
	signIn := func(op operator) (*http.Response, string) {
		t.Helper()
		idp.QueueUser(op)
		to, pending := start()
		resp, _ := consoleGet(t, base+"/console/callback?"+authorize(to).Encode(), pending)
		for _, c := range resp.Cookies() {
			if c.Name == "__Host-otpcard-console" && c.Value != "" {
				return resp, c.Name + "=" + c.Value
			}
		}
		return resp, ""
	}
	resp, empty := signIn(operator{sub: "nobody-room", roles: []string{"Root"}, clients: []string{}})
	if empty == "" {
		t.Fatalf("an operator with an empty data room did not sign in: %d", resp.StatusCode)
	}
	if resp, _ := consoleGet(t, base+"/console/search?client=bank-x&q=a", empty); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an empty data room searched a client: %d, want the 403 page", resp.StatusCode)
	}
	if resp, cookie := signIn(operator{sub: "null-room", roles: []string{"Root"}}); resp.StatusCode != http.StatusForbidden || cookie != "" {
		t.Errorf("a null clients claim: %d with cookie %q, want a 403 page and no session", resp.StatusCode, cookie)
	}

	to, pending = start()
	back = authorize(to)
	back.Set("state", "not-the-state")
	if resp, body := consoleGet(t, base+"/console/callback?"+back.Encode(), pending); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "cannot be finished") {
		t.Errorf("callback with another state: %d, want the 400 page", resp.StatusCode)
	}

	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("OTPCARD_DATA_DIR", t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := bootstrap.Main(t.Context(), []string{"console"}, &stdout, &stderr); code != 2 || stdout.Len() != 0 ||
		strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "OTPCARD_CONSOLE_OIDC_ISSUER") {
		t.Errorf("otpcard console with OIDC: exit %d, stdout %q, stderr %q; want 2 and one line", code, stdout.String(), stderr.String())
	}
}
