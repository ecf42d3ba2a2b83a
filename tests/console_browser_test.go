package tests

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/otpcard/otpcard/tests/client"
)

// chromium finds the browser the console's browser tests drive: Debian's chromium, which .ci/run
// installs when it is missing; elsewhere the test is skipped, saying so.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install -y chromium; .ci/run installs it)")
	return ""
}

// browserContext starts a headless chromium for the test (as root it needs --no-sandbox) and
// bounds the whole test to a minute.
func browserContext(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.Flag("headless", true), chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestConsoleInABrowser drives the console in a real chromium: the operator opens the printed
// sign-in link (the browser keeps the Secure __Host- cookie on http://127.0.0.1), searches a user
// by name, opens the user's page, disables the card with the form's button, sees it done, and
// signs out. With OTPCARD_CONSOLE_SCREENSHOTS set to a directory, the pages are saved there as
// PNG (the README's screenshots come from this test).
func TestConsoleInABrowser(t *testing.T) {
	ctx := browserContext(t)
	s, _ := consoleService(t)
	f := s.newFixture(t, "browser")
	api := s.root(t)
	api.PatchUser(t, f.UserKey(), client.UserPatch{Name: &client.UserName{FirstName: "Zoë", FamilyName: "Keller"}}).Want(t, http.StatusOK)
	link := consoleLink(t, "--client", f.Client, "--sub", "hanna")

	shots := os.Getenv("OTPCARD_CONSOLE_SCREENSHOTS")
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("browser, %s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("browser, text of %s: %v", sel, err)
		}
		return s
	}
	shot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
	}
	do("open the link", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(`form.search`)))
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	home := text(`main`)
	shot("console-home")
	do("search", chromedp.SetValue(chromedp.CSS(`#q`), "kel"), chromedp.Click(chromedp.CSS(`form.search button`)),
		chromedp.WaitVisible(chromedp.CSS(`table`)))
	results := text(`main`)
	shot("console-search")
	do("open the user", chromedp.Click(chromedp.CSS(`tbody a`)), chromedp.WaitVisible(chromedp.CSS(`td.actions`)))
	user := text(`main`)
	shot("console-user")
	do("disable the card", chromedp.Click(chromedp.CSS(`td.actions button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.done`)))
	after := text(`main`)
	do("sign out", chromedp.Click(chromedp.CSS(`form.signout button`)), chromedp.WaitVisible(chromedp.CSS(`pre`)))
	signedOut := text(`main`)
	if strings.Contains(location, "link=") || !strings.Contains(home, "hanna") || !strings.Contains(home, f.Client) {
		t.Errorf("after the link: at %s, page %q; want the home page without the link's secret, naming hanna and %s", location, home, f.Client)
	}
	if !strings.Contains(results, "Zoë Keller") || !strings.Contains(user, f.login) || !strings.Contains(after, "disabled") {
		t.Errorf("search %q, user page %q, after disable %q", results, user, after)
	}
	if got := api.GetCard(t, f.CardKey).Want(t, http.StatusOK); got.StateName != "disabled" {
		t.Errorf("the card is %s, want disabled", got.StateName)
	}
	if !strings.Contains(signedOut, "otpcard console") {
		t.Errorf("after sign-out: %q, want the sign-in page", signedOut)
	}
}
