package tests

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/otpcard/otpcard/adapters/postgres/pgtest"
	"github.com/otpcard/otpcard/bootstrap"
	"github.com/otpcard/otpcard/tests/client"
)

// consoleLink runs `otpcard console` against the service's database and returns the link it
// printed.
func consoleLink(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := bootstrap.Main(t.Context(), append([]string{"console"}, args...), &stdout, &stderr); code != 0 {
		t.Fatalf("otpcard console: exit %d, stderr %s", code, stderr.String())
	}
	link := strings.TrimSpace(stdout.String())
	if strings.Count(stdout.String(), "\n") != 1 || !strings.Contains(link, "/console/sign-in?link=") {
		t.Fatalf("otpcard console printed %q, want one line with the link", stdout.String())
	}
	return link
}

// consoleService starts the service on a database of its own and points the command line at it
// (otpcard console writes the links there); base is the service's URL.
func consoleService(t *testing.T) (*service, string) {
	t.Helper()
	needOwnInstance(t, "the command line writes the service's database")
	url0, pepper := pgtest.URL(t), make([]byte, 32)
	s := startServiceWith(t, io.Discard, map[string]string{"OTPCARD_DATABASE_URL": url0, "OTPCARD_CELL_PEPPER": b64(pepper)})
	base := s.api.BaseURL()
	for k, v := range map[string]string{"OTPCARD_DATABASE_URL": url0, "OTPCARD_CELL_PEPPER": b64(pepper),
		"OTPCARD_JWT_HS256_SECRET": testSecret, "OTPCARD_DATA_DIR": t.TempDir(), "OTPCARD_LOG_LEVEL": "warn",
		"OTPCARD_CONSOLE_URL": base + "/console/"} {
		t.Setenv(k, v)
	}
	return s, base
}

// consoleSignIn opens a link `otpcard console args...` printed and returns the session's cookie
// as a Cookie header.
func consoleSignIn(t *testing.T, args ...string) string {
	t.Helper()
	resp, _ := consoleGet(t, consoleLink(t, args...), "")
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-otpcard-console" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("the link set no session cookie (status %d)", resp.StatusCode)
	return ""
}

// browser is an HTTP client that keeps no cookies and follows no redirects: the test reads every
// answer as a browser would get it.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func consoleGet(t *testing.T, u, cookie string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	return consoleDo(t, req)
}

func consoleDo(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([A-Za-z0-9_-]+)"`)

// TestConsoleSignInAndOut: `otpcard console` prints a one-time link; opening it sets a __Host-
// session cookie (Secure, HttpOnly, SameSite=Lax, Path /) and redirects to a URL without the
// secret; the link works once; the page names the operator and the data room under a strict CSP;
// sign-out refuses a form without its CSRF token and one from another site, and ends the session.
func TestConsoleSignInAndOut(t *testing.T) {
	_, base := consoleService(t)

	resp, page := consoleGet(t, base+"/console/", "")
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "otpcard console") ||
		!strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
		strings.Contains(page, "<script") || strings.Contains(page, "style=") {
		t.Fatalf("sign-in page: %d, CSP %q, body %.200s", resp.StatusCode, csp, page)
	}

	link := consoleLink(t, "--role", "Helpdesk", "--client", "bank-a", "--sub", "hanna")
	resp, _ = consoleGet(t, link, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Fatalf("opening the link: %d to %q, want 303 to /console/", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-otpcard-console" {
			session = c
		}
	}
	raw := resp.Header.Get("Set-Cookie")
	if session == nil || session.Value == "" || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode ||
		session.Path != "/" || session.Domain != "" || strings.Contains(raw, strings.SplitN(link, "link=", 2)[1]) {
		t.Fatalf("session cookie %q, want __Host-otpcard-console, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, not the link", raw)
	}
	cookie := session.Name + "=" + session.Value
	if again, body := consoleGet(t, link, ""); again.StatusCode != http.StatusForbidden || !strings.Contains(body, "cannot be used") {
		t.Errorf("the link a second time: %d, want a 403 page", again.StatusCode)
	}

	resp, page = consoleGet(t, base+"/console/", cookie)
	m := csrfField.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "hanna") || !strings.Contains(page, "bank-a") ||
		!strings.Contains(page, "Helpdesk") || m == nil || strings.Contains(page, session.Value) {
		t.Fatalf("home page: %d %.400s; want hanna, Helpdesk, bank-a and a CSRF token, never the session's secret", resp.StatusCode, page)
	}
	if _, de := consoleGetLang(t, base+"/console/", cookie, "de-CH,de;q=0.9"); !strings.Contains(de, "Abmelden") {
		t.Errorf("German page: want Abmelden in %.200s", de)
	}

	signOut := func(form url.Values, origin string) int {
		req, err := http.NewRequest(http.MethodPost, base+"/console/sign-out", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		r, _ := consoleDo(t, req)
		return r.StatusCode
	}
	if got := signOut(url.Values{}, base); got != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token: %d, want 403", got)
	}
	if got := signOut(url.Values{"csrf": {m[1]}}, "https://evil.example"); got != http.StatusForbidden {
		t.Errorf("sign-out from another site: %d, want 403", got)
	}
	if resp, page := consoleGet(t, base+"/console/", cookie); resp.StatusCode != http.StatusOK || !strings.Contains(page, "hanna") {
		t.Fatalf("the refused sign-outs ended the session")
	}
	if got := signOut(url.Values{"csrf": {m[1]}}, base); got != http.StatusSeeOther {
		t.Errorf("sign-out: %d, want 303", got)
	}
	if _, page := consoleGet(t, base+"/console/", cookie); strings.Contains(page, "hanna") || !strings.Contains(page, "otpcard console --role") {
		t.Errorf("after sign-out the old cookie still signs in: %.200s", page)
	}
	if resp, _ := consoleGet(t, base+"/console/nope", ""); resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("unknown console page: %d, want a 404 page with the CSP", resp.StatusCode)
	}
}

func consoleGetLang(t *testing.T, u, cookie, lang string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept-Language", lang)
	return consoleDo(t, req)
}

// TestConsoleSearchAndUserPage: an operator signed in for one client finds its users by a prefix
// of their name, loginId or e-mail and by a card's serial (straight to the holder's page), sees a
// user's profile and cards (serial, state, cells left; never a cell), and is refused another
// client's users.
func TestConsoleSearchAndUserPage(t *testing.T) {
	s, base := consoleService(t)
	f := s.newFixture(t, "console")
	other := s.newFixture(t, "console-other")
	api := s.root(t)
	api.PatchUser(t, f.UserKey(), client.UserPatch{Name: &client.UserName{FirstName: "Zoë", FamilyName: "Keller"},
		Contacts: &client.UserContacts{Email: "zoe.keller@bank.example"}}).Want(t, http.StatusOK)
	card := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)

	cookie := consoleSignIn(t, "--client", f.Client, "--sub", "hanna")
	if resp, page := consoleGet(t, base+"/console/", cookie); resp.StatusCode != http.StatusOK || !strings.Contains(page, `value="`+f.Client+`"`) {
		t.Fatalf("home: %d; want the search form with the operator's client", resp.StatusCode)
	}
	for _, q := range []string{"kel", "ZOË", "zoe.k", f.login[:5], f.User} {
		resp, page := consoleGet(t, base+"/console/search?client="+url.QueryEscape(f.Client)+"&q="+url.QueryEscape(q), cookie)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "/console/clients/"+f.Client+"/users/"+f.User) {
			t.Errorf("search %q: %d, want a link to %s in %.300s", q, resp.StatusCode, f.User, page)
		}
	}
	if _, page := consoleGet(t, base+"/console/search?client="+url.QueryEscape(f.Client)+"&q=nobody-like-this", cookie); !strings.Contains(page, "No user matches") {
		t.Errorf("a search that finds nobody says so")
	}
	resp, _ := consoleGet(t, base+"/console/search?client="+url.QueryEscape(f.Client)+"&q="+url.QueryEscape(strings.ToLower(card.SerialNumber)), cookie)
	userPage := "/console/clients/" + f.Client + "/users/" + f.User
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != userPage {
		t.Fatalf("search by serial: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), userPage)
	}
	resp, page := consoleGet(t, base+userPage, cookie)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Zoë Keller") || !strings.Contains(page, card.SerialNumber) ||
		!strings.Contains(page, "zoe.keller@bank.example") || !strings.Contains(page, ">168<") {
		t.Errorf("user page: %d %.600s; want the name, the e-mail, the card's serial and its 168 cells left", resp.StatusCode, page)
	}
	for _, cell := range f.cells {
		if strings.Contains(page, ">"+cell+"<") {
			t.Fatalf("the user page shows a cell")
		}
	}
	if resp, _ := consoleGet(t, base+"/console/clients/"+other.Client+"/users/"+other.User, cookie); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another client's user: %d, want a 403 page", resp.StatusCode)
	}
	if resp, _ := consoleGet(t, base+"/console/search?client="+url.QueryEscape(other.Client)+"&q=a", cookie); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a search in another client: %d, want a 403 page", resp.StatusCode)
	}
	if resp, _ := consoleGet(t, base+"/console/clients/"+f.Client+"/users/nobody", cookie); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown user: %d, want a 404 page", resp.StatusCode)
	}
	if resp, _ := consoleGet(t, base+userPage, ""); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/" {
		t.Errorf("the user page without a session: %d to %q, want 303 to the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestConsoleCardActions: on a user's page an operator disables and enables a card with the
// version the page showed; a form with an older version (the card changed meanwhile) gets the 409
// page that says so and changes nothing; the actions record events with the operator as actor;
// deleting needs CredentialDelete, which a Helpdesk operator has not.
func TestConsoleCardActions(t *testing.T) {
	s, base := consoleService(t)
	f := s.newFixture(t, "console-act")
	api := s.root(t)
	cookie := consoleSignIn(t, "--client", f.Client, "--sub", "hanna")
	userPage := base + "/console/clients/" + f.Client + "/users/" + f.User
	cardPath := "/console/clients/" + f.Client + "/users/" + f.User + "/cards/" + f.Card
	_, page := consoleGet(t, userPage, cookie)
	m := csrfField.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `name="action" value="disable"`) {
		t.Fatalf("user page %.500s: want the CSRF token and a disable button", page)
	}
	post := func(path string, form url.Values) (*http.Response, string) {
		form.Set("csrf", m[1])
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		req.Header.Set("Origin", base)
		return consoleDo(t, req)
	}
	version := api.GetCard(t, f.CardKey).Want(t, http.StatusOK).Version
	v := func(n int32) string { return strconv.Itoa(int(n)) }
	if r, _ := post(cardPath+"/state", url.Values{"action": {"disable"}, "version": {v(version)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d, want 303 back to the user's page", r.StatusCode)
	}
	card := api.GetCard(t, f.CardKey).Want(t, http.StatusOK)
	if card.StateName != "disabled" || card.Version != version+1 {
		t.Fatalf("after disable: %s at version %d, want disabled at %d", card.StateName, card.Version, version+1)
	}
	r, body := post(cardPath+"/state", url.Values{"action": {"enable"}, "version": {v(version)}}) // the page's old version
	if r.StatusCode != http.StatusConflict || !strings.Contains(body, "changed since you opened it") {
		t.Errorf("enable at a stale version: %d, want the 409 page that says the card changed", r.StatusCode)
	}
	if got := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); got.StateName != "disabled" || got.Version != version+1 {
		t.Errorf("the stale enable changed the card: %s at %d", got.StateName, got.Version)
	}
	if r, _ := post(cardPath+"/state", url.Values{"action": {"enable"}, "version": {v(version + 1)}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("enable: %d, want 303", r.StatusCode)
	}
	if _, page := consoleGet(t, userPage+"?done=1", cookie); !strings.Contains(page, "Done.") {
		t.Errorf("the page after an action does not confirm it")
	}
	if r, _ := post(cardPath+"/state", url.Values{"action": {"explode"}, "version": {v(version + 2)}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown action: %d, want 400", r.StatusCode)
	}
	if r, _ := post(cardPath+"/delete", url.Values{"version": {v(version + 2)}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("delete by a Helpdesk operator: %d, want the 403 page", r.StatusCode)
	}
	if r, _ := consoleGet(t, userPage+"/audit", cookie); r.StatusCode != http.StatusForbidden {
		t.Errorf("the audit page for a Helpdesk operator (no AuditView): %d, want the 403 page", r.StatusCode)
	}
	events := s.auditEvents(t, client.AuditQuery{CredentialExtID: f.Card, Type: "otp-card.state-changed"}, 2)
	if len(events) != 2 || events[0].Actor.Subject != "hanna" || events[1].Actor.Subject != "hanna" {
		t.Errorf("state changes in the audit trail: %+v, want two by hanna", events)
	}

	// An operator who may delete cards deletes the card at the version the page showed.
	cookie = consoleSignIn(t, "--role", "Root", "--sub", "root-op")
	_, page = consoleGet(t, userPage, cookie)
	if m = csrfField.FindStringSubmatch(page); m == nil {
		t.Fatal("no CSRF token on the root operator's page")
	}
	// The user's audit trail: what hanna did, newest first (the root operator has AuditView).
	if r, audit := consoleGet(t, userPage+"/audit", cookie); r.StatusCode != http.StatusOK ||
		strings.Count(audit, "otp-card.state-changed") != 2 || !strings.Contains(audit, "hanna (admin)") {
		t.Errorf("audit page: %d %.400s; want the two state changes by hanna", r.StatusCode, audit)
	}
	if r, _ := post(cardPath+"/delete", url.Values{"version": {v(version + 1)}}); r.StatusCode != http.StatusConflict {
		t.Errorf("delete at a stale version: %d, want 409", r.StatusCode)
	}
	if r, _ := post(cardPath+"/delete", url.Values{"version": {v(version + 2)}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d, want 303", r.StatusCode)
	}
	api.GetCard(t, f.CardKey).Want(t, http.StatusNotFound)
}

// TestConsoleJobsAndBatches: a rollout operator sees the client's jobs with their progress (the page
// reloads itself while one runs) and its print batches, never their content; an operator without
// RolloutView is refused.
func TestConsoleJobsAndBatches(t *testing.T) {
	s, base := consoleService(t)
	api := s.root(t)
	c, _ := rolloutClient(t, api, "console-jobs")
	users := []string{c + "-ann", c + "-ben"}
	for _, u := range users {
		addressedUser(t, api, c, u, "en")
	}
	job := waitJob(t, api, c, api.CreateRolloutJob(t, c, client.RolloutJobCreate{Kind: "issue", Users: users}).Want(t, http.StatusAccepted).ID)
	cookie := consoleSignIn(t, "--role", "RolloutOperator", "--client", c, "--sub", "rita")

	resp, page := consoleGet(t, base+"/console/clients/"+c+"/jobs", cookie)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, job.ID) || !strings.Contains(page, "succeeded") ||
		!strings.Contains(page, "2 / 2 (100%)") || strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("jobs page: %d %.600s; want the job, succeeded, 2 / 2, and no reload once it ended", resp.StatusCode, page)
	}
	resp, page = consoleGet(t, base+"/console/clients/"+c+"/batches", cookie)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, job.PrintBatchID) || !strings.Contains(page, "sealed") {
		t.Errorf("batches page: %d %.600s; want the job's sealed batch", resp.StatusCode, page)
	}

	// A long job (many unknown users) is shown running, and the page reloads itself meanwhile.
	many := make([]string, 5000)
	for i := range many {
		many[i] = fmt.Sprintf("%s-nobody-%04d", c, i)
	}
	long := api.CreateRolloutJob(t, c, client.RolloutJobCreate{Kind: "issue", Users: many}).Want(t, http.StatusAccepted)
	_, page = consoleGet(t, base+"/console/clients/"+c+"/jobs", cookie)
	if running := strings.Contains(page, ">running<") || strings.Contains(page, ">queued<"); running && !strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("a running job's page does not reload itself: %.400s", page)
	}
	waitJob(t, api, c, long.ID)

	helpdesk := consoleSignIn(t, "--role", "Helpdesk", "--client", c)
	for _, path := range []string{"/jobs", "/batches"} {
		if resp, _ := consoleGet(t, base+"/console/clients/"+c+path, helpdesk); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s for a Helpdesk operator (no RolloutView): %d, want the 403 page", path, resp.StatusCode)
		}
	}
}
