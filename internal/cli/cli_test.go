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

	"github.com/sso-credproc/sso-credproc/filestore"
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
	fast  tokencache.FastTier // nil: none, as for any Store given
	tty   *visitingTTY
	locks string
}

func newHarness(t *testing.T, extraConfig string) *harness {
	return newHarnessWith(t, extraConfig, ssofake.Options{})
}

func newHarnessWith(t *testing.T, extraConfig string, opts ssofake.Options) *harness {
	srv := ssofake.New(opts)
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
		Args:     args,
		Getenv:   func(k string) string { return h.env[k] },
		Stdout:   &out,
		Stderr:   &errb,
		TTY:      func() io.Writer { return h.tty },
		Store:    h.store,
		Fast:     h.fast,
		Handoff:  func() int { return 99 },
		WarmOnly: true,
	}
	if renew {
		e.Handoff = nil
		e.WarmOnly = false
		e.LockDir = func() string { return h.locks }
		e.NewSSO = func(p *profile.Profile) tokencache.SSO {
			return awssdk.New(awssdk.Config{Region: p.Region, OIDCEndpoint: p.OIDCEndpoint, PortalEndpoint: p.PortalEndpoint})
		}
		e.FileStore = func(getenv func(string) string, notice func(string)) keychain.Store {
			return filestore.FromEnv(getenv, notice)
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

// appendConfig adds lines at the end of the config file, which is the
// [sso-session corp] section.
func (h *harness) appendConfig(text string) {
	h.t.Helper()
	f, err := os.OpenFile(h.env["AWS_CONFIG_FILE"], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		h.t.Fatal(err)
	}
}

// Every bad value is one error line naming where it is, and a hint; none
// reaches the service.
func TestBadValues(t *testing.T) {
	for _, tc := range []struct {
		name            string
		profile, sess   string
		env             map[string]string
		args            []string
		code            int
		errPart, hint   string
		wantConfigNamed bool
	}{
		{name: "duration in the config", profile: "sso_credproc_login_timeout = soon\n", code: 1,
			errPart: `[profile dev-sso]: sso_credproc_login_timeout: "soon" is not a duration`, hint: "90s or 15m", wantConfigNamed: true},
		{name: "use_device_code = yes", profile: "sso_credproc_use_device_code = yes\n", code: 1,
			errPart: `[profile dev-sso]: sso_credproc_use_device_code: "yes" is not true or false`, hint: "true or false", wantConfigNamed: true},
		{name: "use_device_code = banana in the sso-session", sess: "sso_credproc_use_device_code = banana\n", code: 1,
			errPart: `[sso-session corp]: sso_credproc_use_device_code: "banana"`, hint: "true or false", wantConfigNamed: true},
		{name: "a typo in a key", profile: "sso_credproc_login_timout = 5m\n", code: 1,
			errPart: "sso_credproc_login_timout: is not a setting of sso-credproc", hint: "did you mean sso_credproc_login_timeout?", wantConfigNamed: true},
		{name: "sso_account_id = 1234", args: []string{"--profile", "short-account"}, code: 1,
			errPart: `[profile short-account]: sso_account_id: "1234" is not an AWS account id`, hint: "sso_account_id", wantConfigNamed: true},
		{name: "sso_region with an inline comment", args: []string{"--profile", "commented-region"}, code: 1,
			errPart: `[sso-session commented]: sso_region: "us-east-1 ; N. Virginia" is not an AWS region name`, hint: "comments included", wantConfigNamed: true},
		{name: "--login-timeout -1s", args: []string{"--profile", "dev-sso", "--login-timeout", "-1s"}, code: 2,
			errPart: `--login-timeout: "-1s" is negative`, hint: "--login-timeout 5m"},
		{name: "--clock-skew -5m", args: []string{"--profile", "dev-sso", "--clock-skew", "-5m"}, code: 2,
			errPart: `--clock-skew: "-5m" is negative`, hint: "--clock-skew 1m"},
		{name: "--login-timeout soon", args: []string{"--profile", "dev-sso", "--login-timeout", "soon"}, code: 2,
			errPart: `--login-timeout: "soon" is not a duration`, hint: "90s"},
		{name: "--use-device-code=yes", args: []string{"--profile", "dev-sso", "--use-device-code=yes"}, code: 2,
			errPart: `--use-device-code: "yes" is not true or false`, hint: "--use-device-code=false"},
		{name: "--account-id 1234", args: []string{"--profile", "dev-sso", "--account-id", "1234"}, code: 2,
			errPart: `--account-id: "1234" is not an AWS account id`, hint: "--account-id"},
		{name: "--region with a space", args: []string{"--profile", "dev-sso", "--region", "us-east-1 "}, code: 2,
			errPart: `--region: "us-east-1 " is not an AWS region name`, hint: "--region"},
		{name: "--role-name too long", args: []string{"--profile", "dev-sso", "--role-name", strings.Repeat("r", 65)}, code: 2,
			errPart: "--role-name: ", hint: "--role-name"},
		{name: "SSO_CREDPROC_DEBUG=yes", env: map[string]string{"SSO_CREDPROC_DEBUG": "yes"}, code: 2,
			errPart: `SSO_CREDPROC_DEBUG: "yes" is not 1, true, 0 or false`, hint: "SSO_CREDPROC_DEBUG=1"},
		{name: "AWS_USE_FIPS_ENDPOINT=yes", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "yes"}, code: 1,
			errPart: `AWS_USE_FIPS_ENDPOINT: "yes" is not true or false`, hint: "AWS_USE_FIPS_ENDPOINT=true"},
		{name: "unknown flag", args: []string{"--profiel", "x"}, code: 2, errPart: "profiel", hint: "see: sso-credproc --help"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.profile)
			h.appendConfig(tc.sess + "\n[profile short-account]\nsso_session = corp\nsso_account_id = 1234\nsso_role_name = Dev\n" +
				"\n[profile commented-region]\nsso_session = commented\nsso_account_id = 111122223333\nsso_role_name = Dev\n" +
				"[sso-session commented]\nsso_start_url = " + h.srv.URL + "/start\nsso_region = us-east-1 ; N. Virginia\n")
			for k, v := range tc.env {
				h.env[k] = v
			}
			args := tc.args
			if args == nil {
				args = []string{"--profile", "dev-sso"}
			}
			for _, renew := range []bool{false, true} {
				code, stdout, stderr := h.run(renew, args...)
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				if code != tc.code || stdout != "" || len(lines) != 2 {
					t.Fatalf("renew %v: exit %d (want %d), stdout %q, stderr %q", renew, code, tc.code, stdout, stderr)
				}
				if !strings.HasPrefix(lines[0], "sso-credproc: error: ") || !strings.Contains(lines[0], tc.errPart) {
					t.Errorf("error line %q, want it to contain %q", lines[0], tc.errPart)
				}
				if tc.wantConfigNamed != strings.Contains(lines[0], h.env["AWS_CONFIG_FILE"]+": ") {
					t.Errorf("error line %q: names the config file = %v, want %v", lines[0], !tc.wantConfigNamed, tc.wantConfigNamed)
				}
				if !strings.HasPrefix(lines[1], "sso-credproc: hint: ") || !strings.Contains(lines[1], tc.hint) {
					t.Errorf("hint line %q, want it to contain %q", lines[1], tc.hint)
				}
			}
			if len(h.srv.Counts()) != 0 {
				t.Errorf("a bad value reached the service: %v", h.srv.Counts())
			}
		})
	}
}

// A profile with SSO keys whose credential_process runs sso-credproc for
// itself (as aws-sso-util writes them) is served: nothing loops.
func TestSelfPointingProfileServes(t *testing.T) {
	h := newHarness(t, "credential_process = sso-credproc --profile dev-sso\n")
	code, stdout, stderr := h.run(true, "--profile", "dev-sso", "--no-browser")
	if code != 0 || !strings.Contains(stdout, `"AccessKeyId"`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// --use-device-code=false wins over sso_credproc_use_device_code = true,
// which itself works from the sso-session.
func TestUseDeviceCodeFromConfigAndFlag(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		device bool
	}{
		{nil, true},
		{[]string{"--use-device-code=false"}, false},
	} {
		h := newHarness(t, "")
		h.appendConfig("sso_credproc_use_device_code = true\n")
		code, _, stderr := h.run(true, append([]string{"--profile", "dev-sso", "--no-browser"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, stderr)
		}
		device, pkce := h.srv.Count("StartDeviceAuthorization") == 1, h.srv.Count("Authorize") == 1
		if device != tc.device || pkce == tc.device {
			t.Errorf("%v: calls %v, want device code %v", tc.args, h.srv.Counts(), tc.device)
		}
	}
}

func TestDebugFromEnvironment(t *testing.T) {
	for v, want := range map[string]bool{"1": true, "TRUE": true, "true": true, "0": false, "False": false, "": false} {
		h := newHarness(t, "")
		h.env["SSO_CREDPROC_DEBUG"] = v
		code, _, stderr := h.run(false, "--profile", "dev-sso")
		if code != 99 || strings.Contains(stderr, "sso-credproc: debug: ") != want {
			t.Errorf("SSO_CREDPROC_DEBUG=%q: exit %d, stderr %q; want debug lines %v", v, code, stderr, want)
		}
	}
}

// profile.DefaultPolicy is what tokencache documents as its default.
func TestDefaultPolicyMatchesCache(t *testing.T) {
	pol, device := policy(&profile.Profile{Policy: profile.DefaultPolicy})
	if pol != tokencache.DefaultPolicy || device {
		t.Errorf("policy(DefaultPolicy) = %+v, %v; want %+v, false", pol, device, tokencache.DefaultPolicy)
	}
}

func TestHelpAndVersion(t *testing.T) {
	h := newHarness(t, "")
	for _, arg := range []string{"--help", "-h", "-help"} {
		code, stdout, stderr := h.run(false, arg)
		if code != 0 || stderr != "" || !strings.Contains(stdout, "credential_process") {
			t.Errorf("%s: exit %d stdout %q stderr %q", arg, code, stdout, stderr)
		}
		// Each duration flag once, with its default once and right.
		for flag, def := range map[string]string{"login-timeout": "5m", "refresh-window": "15m", "min-credential-ttl": "15m", "clock-skew": "1m"} {
			i := strings.Index(stdout, "  -"+flag+" ")
			if i < 0 || strings.Count(stdout, "  -"+flag+" ") != 1 {
				t.Errorf("%s: -%s not listed once in %q", arg, flag, stdout)
				continue
			}
			entry := stdout[i:]
			if j := strings.Index(entry[3:], "\n  -"); j >= 0 {
				entry = entry[:j+3]
			}
			if strings.Count(entry, "default") != 1 || !strings.Contains(entry, "(duration, default "+def+"; ") {
				t.Errorf("%s: -%s entry %q, want one (duration, default %s; ...)", arg, flag, entry, def)
			}
		}
		if strings.Contains(stdout, "-1ns") {
			t.Errorf("%s: %q", arg, stdout)
		}
	}
	// version and --version: on stdout, in sso-credproc itself.
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, stdout, stderr := h.run(false, args...)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "sso-credproc ") || !strings.Contains(stdout, runtime.Version()) || !strings.Contains(stdout, runtime.GOOS+"/"+runtime.GOARCH) {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, code, stdout, stderr)
		}
	}
}

// Over SSH no browser on this machine reaches the user, on any OS; on
// Linux and the BSDs neither does one without a display. BROWSER says
// otherwise.
func TestNoLocalBrowser(t *testing.T) {
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
	const ssh = "192.0.2.1 50000 192.0.2.2 22"
	for _, tc := range []struct {
		goos string
		env  func(string) string
		want string
	}{
		{"linux", env(), "no display (DISPLAY, WAYLAND_DISPLAY)"},
		{"freebsd", env(), "no display (DISPLAY, WAYLAND_DISPLAY)"},
		{"linux", env("DISPLAY", ":0"), ""},
		{"linux", env("WAYLAND_DISPLAY", "wayland-0"), ""},
		{"linux", env("BROWSER", "w3m"), ""},
		{"linux", env("WSL_DISTRO_NAME", "Ubuntu"), ""},
		{"darwin", env(), ""},
		{"windows", env(), ""},
		// SSH, on every OS, whatever the display (X11 forwarding).
		{"linux", env("SSH_CONNECTION", ssh), "an SSH session (SSH_CONNECTION)"},
		{"freebsd", env("SSH_CONNECTION", ssh), "an SSH session (SSH_CONNECTION)"},
		{"linux", env("SSH_CONNECTION", ssh, "DISPLAY", "localhost:10.0"), "an SSH session (SSH_CONNECTION)"},
		{"linux", env("SSH_TTY", "/dev/pts/0", "WSL_DISTRO_NAME", "Ubuntu"), "an SSH session (SSH_TTY)"},
		{"darwin", env("SSH_CONNECTION", ssh), "an SSH session (SSH_CONNECTION)"},
		{"darwin", env("SSH_TTY", "/dev/ttys001"), "an SSH session (SSH_TTY)"},
		{"windows", env("SSH_CLIENT", "192.0.2.1 50000 22"), "an SSH session (SSH_CLIENT)"},
		{"windows", env("SSH_CONNECTION", ssh), "an SSH session (SSH_CONNECTION)"},
		// BROWSER is the user's word that a browser can be opened.
		{"darwin", env("SSH_CONNECTION", ssh, "BROWSER", "forward-url"), ""},
		{"windows", env("SSH_CONNECTION", ssh, "BROWSER", "forward-url"), ""},
		{"linux", env("SSH_CONNECTION", ssh, "BROWSER", "w3m"), ""},
		{"linux", env("BROWSER", " "), "no display (DISPLAY, WAYLAND_DISPLAY)"},
	} {
		if got := noLocalBrowser(tc.goos, tc.env); got != tc.want {
			t.Errorf("noLocalBrowser(%s, …) = %q, want %q", tc.goos, got, tc.want)
		}
	}
}

// Over SSH the device code is used, on every OS, unless a browser command
// is set (--browser here; BROWSER in TestNoLocalBrowser).
func TestSSHSignsInWithDeviceCode(t *testing.T) {
	h := newHarness(t, "")
	h.env["SSH_CONNECTION"] = "192.0.2.1 50000 192.0.2.2 22" // DISPLAY stays set: X11 forwarding
	code, _, stderr := h.run(true, "--profile", "dev-sso", "--login-timeout", "30s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if h.srv.Count("StartDeviceAuthorization") != 1 || h.srv.Count("Authorize") != 0 {
		t.Errorf("calls %v: over SSH the device code is used", h.srv.Counts())
	}
	if strings.Contains(stderr, "could not open a browser") || strings.Contains(stderr, "a browser was opened") {
		t.Errorf("a browser was tried: %q", stderr)
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

// A lock directory others can write to stops a renewal with one error line
// naming it and a hint line with the command that fixes it.
func TestUnsafeLockDirHint(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the mode check is Unix's")
	}
	h := newHarness(t, "")
	if err := os.Mkdir(h.locks, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(h.locks, 0o770); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := h.run(true, "--profile", "dev-sso", "--no-browser")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code == 0 || stdout != "" || len(lines) != 2 ||
		!strings.Contains(lines[0], "error: lock directory "+h.locks+" is writable by other users (mode 0770)") ||
		!strings.Contains(lines[1], "hint: make it yours alone: chmod 700 "+h.locks+"; then run: sso-credproc --profile dev-sso") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}
