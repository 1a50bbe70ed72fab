package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/sso-credproc/sso-credproc/internal/ssofake"
	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso/awssdk"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

// visitingTTY is the user's terminal: when the sign-in URL shows up on it,
// the "user" opens it (following the redirect to the loopback listener).
type visitingTTY struct {
	t    *testing.T
	mu   sync.Mutex
	buf  bytes.Buffer
	base string
}

func (v *visitingTTY) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.buf.Write(p)
	line := string(p)
	i := strings.Index(line, v.base+"/authorize?")
	if i < 0 {
		i = strings.Index(line, v.base+"/device?")
	}
	if i >= 0 {
		u := strings.Fields(line[i:])[0]
		go func() {
			resp, err := http.Get(u)
			if err != nil {
				v.t.Errorf("visit: %v", err)
				return
			}
			resp.Body.Close()
		}()
	}
	return len(p), nil
}

func (v *visitingTTY) String() string { v.mu.Lock(); defer v.mu.Unlock(); return v.buf.String() }

type harness struct {
	t     *testing.T
	srv   *ssofake.Server
	env   map[string]string
	store keychain.Store
	tty   *visitingTTY
	locks string
}

func newHarness(t *testing.T, extraConfig string) *harness {
	srv := ssofake.New(ssofake.Options{})
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	text := "[profile dev-sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n" + extraConfig +
		"\n[sso-session corp]\nsso_start_url = " + srv.URL + "/start\nsso_region = eu-west-1\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return &harness{
		t: t, srv: srv,
		env: map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_ENDPOINT_URL_SSO_OIDC": srv.URL, "AWS_ENDPOINT_URL_SSO": srv.URL, "HOME": dir,
			"DISPLAY": ":0"}, // a desktop session unless a test says otherwise
		store: keychain.New(keychain.NewMemory(0), keychain.Service, 0),
		tty:   &visitingTTY{t: t, base: srv.URL},
		locks: filepath.Join(dir, "locks"),
	}
}

// run runs the command; renew selects sso-credproc-renew's wiring (with the
// SDK), else sso-credproc's (warm path only, handoff returns 99).
func (h *harness) run(renew bool, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	e := Env{
		Args:    args,
		Getenv:  func(k string) string { return h.env[k] },
		Stdout:  &out,
		Stderr:  &errb,
		TTY:     func() io.Writer { return h.tty },
		Store:   h.store,
		Handoff: func() int { return 99 },
	}
	if renew {
		e.Handoff = nil
		e.LockDir = func() string { return h.locks }
		e.NewSSO = func(p *profile.Profile) tokencache.SSO {
			return awssdk.New(awssdk.Config{Region: p.Region, OIDCEndpoint: p.OIDCEndpoint, PortalEndpoint: p.PortalEndpoint})
		}
	}
	code = Run(context.Background(), e)
	return code, out.String(), errb.String()
}

func TestSignInShowsURLOnTerminalAndWarmPathServes(t *testing.T) {
	h := newHarness(t, "")
	code, stdout, stderr := h.run(true, "--profile", "dev-sso", "--no-browser")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got["Version"] != float64(1) || got["AccountId"] != "111122223333" {
		t.Fatalf("stdout %q", stdout)
	}
	// The URL went to stderr and, because stderr may be captured, to the terminal.
	if !strings.Contains(stderr, h.srv.URL+"/authorize?") || !strings.Contains(h.tty.String(), h.srv.URL+"/authorize?") {
		t.Errorf("URL missing: stderr %q, tty %q", stderr, h.tty.String())
	}
	if strings.Contains(stderr, "AccessKeyId") || strings.Contains(h.tty.String(), "AccessKeyId") {
		t.Error("credentials leaked to stderr or the terminal")
	}

	// sso-credproc's warm path prints the same without handing over.
	code, again, stderr := h.run(false, "--profile", "dev-sso")
	if code != 0 || again != stdout || stderr != "" {
		t.Fatalf("warm: exit %d, stdout %q, stderr %q", code, again, stderr)
	}
	if n := h.srv.Count("GetRoleCredentials"); n != 1 {
		t.Errorf("GetRoleCredentials = %d", n)
	}
}

func TestWarmPathHandsOverOnMiss(t *testing.T) {
	h := newHarness(t, "")
	code, stdout, _ := h.run(false, "--profile", "dev-sso")
	if code != 99 || stdout != "" {
		t.Fatalf("exit %d, stdout %q: a miss must be handed over", code, stdout)
	}
	if len(h.srv.Counts()) != 0 {
		t.Errorf("the warm path made requests: %v", h.srv.Counts())
	}
}

func TestPolicyFromConfigAndFlags(t *testing.T) {
	h := newHarness(t, "sso_credproc_min_credential_ttl = 2h\n")
	if code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser"); code != 0 {
		t.Fatal(stderr)
	}
	// 1 h credentials are not fresh under a 2 h minimum from the config...
	if code, _, _ := h.run(false, "--profile", "dev-sso"); code != 99 {
		t.Errorf("config key ignored: exit %d", code)
	}
	// ...but the flag wins over the config.
	if code, _, stderr := h.run(false, "--profile", "dev-sso", "--min-credential-ttl", "10m"); code != 0 {
		t.Errorf("flag ignored: exit %d %s", code, stderr)
	}
}

func TestBadPolicyValue(t *testing.T) {
	h := newHarness(t, "sso_credproc_login_timeout = soon\n")
	code, stdout, stderr := h.run(false, "--profile", "dev-sso")
	if code == 0 || stdout != "" || !strings.Contains(stderr, "sso_credproc_login_timeout") || !strings.Contains(stderr, "[profile dev-sso]") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{"900": "15m0s", "90s": "1m30s", " 15m ": "15m0s"} {
		d, err := parseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	if _, err := parseDuration("soon"); err == nil {
		t.Error("parseDuration(soon) did not fail")
	}
}

func TestHelpAndVersion(t *testing.T) {
	h := newHarness(t, "")
	code, stdout, stderr := h.run(false, "--help")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "credential_process") || !strings.Contains(stderr, "-login-timeout") {
		t.Errorf("--help: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, stdout, stderr = h.run(false, "--version")
	if code != 0 || stdout != "" || !strings.HasPrefix(stderr, "sso-credproc ") {
		t.Errorf("--version: exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestNoDisplay(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		goos string
		env  func(string) string
		want bool
	}{
		{"linux", env(), true},
		{"freebsd", env("SSH_CONNECTION", "1.2.3.4 5 6.7.8.9 22"), true},
		{"linux", env("DISPLAY", ":0"), false},
		{"linux", env("WAYLAND_DISPLAY", "wayland-0"), false},
		{"linux", env("BROWSER", "w3m"), false},
		{"linux", env("WSL_DISTRO_NAME", "Ubuntu"), false},
		{"darwin", env(), false},
		{"windows", env(), false},
	} {
		if got := noDisplay(tc.goos, tc.env); got != tc.want {
			t.Errorf("noDisplay(%s, …) = %v, want %v", tc.goos, got, tc.want)
		}
	}
}

func TestHeadlessSignsInWithDeviceCode(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the headless rule is for Linux sessions")
	}
	h := newHarness(t, "")
	delete(h.env, "DISPLAY")
	code, _, stderr := h.run(true, "--profile", "dev-sso", "--no-browser", "--login-timeout", "30s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if h.srv.Count("StartDeviceAuthorization") != 1 || h.srv.Count("Authorize") != 0 {
		t.Errorf("calls %v: without a display the device code is used", h.srv.Counts())
	}
}
