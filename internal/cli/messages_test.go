package cli

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// With no display and no BROWSER the device code is used, and no browser
// is tried: the URL is shown for another machine's browser.
func TestHeadlessTriesNoBrowser(t *testing.T) {
	h := newHarness(t, "")
	delete(h.env, "DISPLAY")
	code, _, stderr := h.run(true, "--profile", "dev-sso", "--login-timeout", "30s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "could not open a browser") || strings.Contains(stderr, "a browser was opened") {
		t.Errorf("a browser was tried: %q", stderr)
	}
	if !strings.Contains(stderr, "open this URL in a browser") {
		t.Errorf("no URL for the user: %q", stderr)
	}
}

// --no-browser keeps the loopback redirect: the user is told that the URL
// works only on this machine, and what to use elsewhere.
func TestNoBrowserSaysLoopbackIsLocal(t *testing.T) {
	h := newHarness(t, "")
	code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "works only in a browser on this machine") || !strings.Contains(stderr, "--use-device-code") {
		t.Errorf("stderr %q", stderr)
	}
	if !strings.Contains(stderr, "signed in to "+h.srv.URL+"/start") || !strings.Contains(stderr, "valid until") {
		t.Errorf("no signed-in notice: %q", stderr)
	}
}

// An endpoint that does not answer: which one, why, and what to check.
func TestUnreachableEndpointMessage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	h := newHarness(t, "")
	h.env["AWS_ENDPOINT_URL_SSO_OIDC"] = closed
	code, stdout, stderr := h.run(true, "--profile", "dev-sso", "--no-browser")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code == 0 || stdout != "" || len(lines) != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if want := "cannot reach " + closed + ": connection refused"; !strings.Contains(lines[0], want) || strings.Contains(lines[0], "attempts") {
		t.Errorf("error %q, want …%s", lines[0], want)
	}
	if !strings.Contains(lines[1], "proxy") || !strings.Contains(lines[1], "AWS_ENDPOINT_URL_SSO_OIDC") {
		t.Errorf("hint %q", lines[1])
	}
}

// The caller went away during a sign-in: stdout and stderr are closed,
// and the terminal is told that the sign-in goes on.
func TestDetachDuringSignIn(t *testing.T) {
	var stderr, tty bytes.Buffer
	u := &ui{err: &stderr, tty: func() io.Writer { return &tty }}
	u.notify("signing in to https://x/start (waiting up to 5m0s)")
	u.signingIn(time.Now().Add(5 * time.Minute))
	closed := 0
	u.detach(func() error { closed++; return errors.New("ignored") })
	u.detach(func() error { closed++; return nil }) // once only
	u.notify("signed in to https://x/start")
	if closed != 1 {
		t.Errorf("stdio closed %d times", closed)
	}
	if strings.Contains(stderr.String(), "signed in") || strings.Contains(stderr.String(), "stopped waiting") {
		t.Errorf("wrote to stderr after detaching: %q", stderr.String())
	}
	if !strings.Contains(tty.String(), "stopped waiting") || !strings.Contains(tty.String(), "signed in to") {
		t.Errorf("terminal %q", tty.String())
	}
}
