package main_test

// A real browser signs in: headless Chromium, driven over the DevTools
// protocol, is sent by $BROWSER to the fake's authorize page, where the
// test clicks Allow (or Deny) as a person would; Chromium follows the
// redirect to sso-credproc's loopback listener and shows its page.

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sso-credproc/sso-credproc/internal/callers"
	"github.com/sso-credproc/sso-credproc/internal/ssofake"
)

// chromium starts a headless Chromium for the test and returns a tab's
// context; every action on it ends by the deadline d.
func chromium(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	path, version := callers.Chromium(t)
	t.Logf("caller version: %s", version)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		// Nothing but the loopback pages: no update, sync or QUIC probes
		// to the outside.
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil { // starts the browser, which lives as long as ctx
		t.Fatalf("start chromium: %v", err)
	}
	return tab
}

// page is what the tab shows.
type page struct{ url, title, html, text string }

func (p page) String() string { return p.url + "\n" + p.text }

func show(t *testing.T, tab context.Context) page {
	t.Helper()
	var p page
	var err error
	for _, step := range []struct {
		v *string
		a chromedp.Action[string]
	}{
		{&p.url, chromedp.Location()},
		{&p.title, chromedp.Title()},
		{&p.html, chromedp.OuterHTML(chromedp.CSS("html"))},
		{&p.text, chromedp.Text(chromedp.CSS("body"))},
	} {
		if *step.v, err = chromedp.Run(tab, step.a); err != nil {
			t.Fatalf("read the page: %v", err)
		}
	}
	return p
}

// waitLeave waits until the tab has left host and shows a heading.
func waitLeave(t *testing.T, tab context.Context, host string, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		loc, err := chromedp.Run(tab, chromedp.Location())
		if err == nil && !strings.HasPrefix(loc, host) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the tab is still at %s after %s (%v)", strings.SplitN(loc, "?", 2)[0], d, err)
		}
	}
	if err := chromedp.Do(tab, chromedp.WaitVisible(chromedp.CSS("body > h1"))); err != nil {
		t.Fatalf("the page after the consent page: %v", err)
	}
}

// signInWithChromium starts sso-credproc with $BROWSER handing the URL to
// the test, opens it in Chromium and clicks button (#allow or #deny) on the
// consent page. It returns the page the loopback listener showed, the pages
// seen on the way, and sso-credproc's result.
func signInWithChromium(t *testing.T, w *world, button string) (final page, seen []page, r result) {
	t.Helper()
	tab := chromium(t, 2*time.Minute)
	urls := w.home + "/browser-urls"
	w.setenv("BROWSER=" + urlRecorder(t, w.home, urls))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := w.command(ctx, "--profile", "dev-sso", "--login-timeout", "60s")
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-done
		}
	}()

	authorize := waitURL(t, urls, 30*time.Second)
	if !strings.HasPrefix(authorize, w.srv.URL+"/authorize?") {
		t.Fatalf("$BROWSER was given %q", authorize)
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(authorize),
		chromedp.WaitVisible(chromedp.CSS("#allow")),
		chromedp.WaitVisible(chromedp.CSS("#deny")),
	); err != nil {
		t.Fatalf("open the consent page: %v", err)
	}
	consent := show(t, tab)
	seen = append(seen, consent)
	if consent.title != "Allow access" || !strings.Contains(consent.text, "Allow sso-credproc") {
		t.Errorf("consent page %q:\n%s", consent.title, consent.text)
	}
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(button))); err != nil {
		t.Fatalf("click %s: %v", button, err)
	}
	waitLeave(t, tab, w.srv.URL+"/", 30*time.Second)
	final = show(t, tab)
	seen = append(seen, final)

	select {
	case err := <-done:
		r = result{out.String(), errb.String(), 0}
		if err != nil {
			r.code = -1
			if ee, ok := err.(interface{ ExitCode() int }); ok {
				r.code = ee.ExitCode()
			}
		}
	case <-ctx.Done():
		t.Fatalf("sso-credproc did not end after the browser's answer\nstderr: %s", errb.String())
	}
	if n := len(readURLs(urls)); n != 1 {
		t.Errorf("the browser was opened %d times, want 1", n)
	}
	return final, seen, r
}

// noSecretsInBrowser fails if a secret the fake issued is in a URL or page
// the tab showed.
func (w *world) noSecretsInBrowser(seen []page) {
	w.t.Helper()
	for _, p := range seen {
		for _, s := range w.srv.Secrets() {
			if strings.Contains(p.url, s) || strings.Contains(p.html, s) || strings.Contains(p.title, s) {
				w.t.Errorf("a secret is in the browser's page or URL %s", strings.SplitN(p.url, "?", 2)[0])
			}
		}
	}
}

func TestChromiumSignIn(t *testing.T) {
	callers.Chromium(t)
	w := newWorld(t, ssofake.Options{})
	final, seen, r := signInWithChromium(t, w, "#allow")
	c := w.ok(r)
	if acct, role, ok := w.srv.IssuedTo(c.AccessKeyId); !ok || acct != "111122223333" || role != "Developer" {
		t.Errorf("credentials issued %v to %s/%s", ok, acct, role)
	}
	if !strings.HasPrefix(final.url, "http://127.0.0.1:") || !strings.Contains(final.url, "/oauth/callback?") {
		t.Errorf("the tab ended at %s, want the loopback callback", strings.SplitN(final.url, "?", 2)[0])
	}
	if final.title != "sso-credproc" || !strings.Contains(final.text, "Signed in") || !strings.Contains(final.text, "sso-credproc has your sign-in. You can close this window.") {
		t.Errorf("success page %q:\n%s", final.title, final.text)
	}
	w.noSecretsInBrowser(seen)
	w.noSecretsInBrowser([]page{{url: final.url, html: final.html}})
	w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "Consent": 1, "CreateToken:authorization_code": 1, "GetRoleCredentials": 1})

	// And the next call is served from the keychain.
	before := w.srv.Counts()
	if again := w.ok(w.run("--profile", "dev-sso")); again != c {
		t.Error("the next call printed other credentials")
	}
	w.wantCalls(before)
}

func TestChromiumDeny(t *testing.T) {
	callers.Chromium(t)
	w := newWorld(t, ssofake.Options{})
	final, seen, r := signInWithChromium(t, w, "#deny")
	if r.code == 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q after Deny", r.code, r.stdout)
	}
	first, _, _ := strings.Cut(r.stderr[strings.Index(r.stderr, "sso-credproc: error: "):], "\n")
	if !strings.Contains(first, "access_denied") || !strings.Contains(first, "denied") {
		t.Errorf("error line %q does not say the sign-in was denied\nstderr: %s", first, r.stderr)
	}
	if !strings.Contains(final.text, "Sign-in failed") || strings.Contains(final.text, "Signed in") {
		t.Errorf("the page after Deny:\n%s", final.text)
	}
	w.noSecretsInBrowser(seen)
	// One sign-in attempt, no retries: no token request at all.
	w.wantCalls(map[string]int{"RegisterClient": 1, "Authorize": 1, "Consent": 1, "CreateToken": 0, "GetRoleCredentials": 0})
}
