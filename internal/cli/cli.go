// Package cli is sso-credproc's command line.
//
// Who writes where: stdout carries exactly one credential_process JSON
// object, written once at the very end, and nothing else, ever. Everything
// meant for people — sign-in URLs, user codes, warnings, errors, debug lines
// — goes to stderr, and, when stderr is not a terminal (botocore captures it),
// also to the controlling terminal so that the user can see it.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/internal/browser"
	"github.com/sso-credproc/sso-credproc/keychain"
	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

// Env is what the command takes from its surroundings; tests fill it in.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// TTY, when non-nil, is called the first time the user must see
	// something (sign-in URL, user code); what it returns, when non-nil,
	// gets a copy because Stderr may be captured. See OpenTTY.
	TTY func() io.Writer
	// Store overrides the OS keychain (tests).
	Store keychain.Store
	// Now overrides the clock (tests).
	Now func() time.Time
	// NewSSO builds the IAM Identity Center client. When it is nil (the
	// sso-credproc binary, which links no AWS SDK so that its warm path
	// starts fast), a cache miss is handed to Handoff instead.
	NewSSO func(p *profile.Profile) tokencache.SSO
	// LockDir names the directory for lock files; with NewSSO.
	LockDir func() string
	// Handoff runs sso-credproc-renew with the same arguments and returns
	// its exit status (on Unix it replaces this process).
	Handoff func() int
	// ParentGone, when non-nil, is closed when the process that started
	// this one has gone (a caller that gave up waiting). Run then calls
	// Detach, so that the caller's pipes close at once, tells the user on
	// the terminal, and finishes what it was doing (a sign-in the user has
	// started) in the background, within the same deadlines.
	ParentGone <-chan struct{}
	// Detach closes stdout and stderr for good (see ParentGone).
	Detach func() error
}

type options struct {
	profile       string
	ov            profile.Overrides
	useDeviceCode bool
	noBrowser     bool
	debug         bool
	version       bool
	loginTimeout  time.Duration
	refreshWindow time.Duration
	minTTL        time.Duration
	clockSkew     time.Duration
}

const usage = `usage: sso-credproc --profile NAME [flags]

Prints AWS credentials for an IAM Identity Center (AWS SSO) role as the JSON
that credential_process expects. In ~/.aws/config:

  [profile dev]
  credential_process = sso-credproc --profile dev-sso

  [profile dev-sso]
  sso_session = corp
  sso_account_id = 111122223333
  sso_role_name = Developer

  [sso-session corp]
  sso_start_url = https://my-org.awsapps.com/start
  sso_region = eu-west-1

flags:
`

// Run runs the command and returns its exit status.
func Run(ctx context.Context, e Env) int {
	ui := &ui{err: e.Stderr, tty: e.TTY}
	o, err := parseFlags(e.Args, e.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		ui.fail(err, "see: sso-credproc --help")
		return 2
	}
	if o.version {
		fmt.Fprintln(e.Stderr, "sso-credproc", version())
		return 0
	}
	if o.debug || isTrue(e.Getenv("SSO_CREDPROC_DEBUG")) {
		ui.debug = true
	}
	if o.profile == "" && o.ov == (profile.Overrides{}) {
		ui.fail(errors.New("no profile given"), "name the profile that holds the SSO settings: sso-credproc --profile NAME")
		return 2
	}

	p, err := profile.Load(profile.ConfigPath(e.Getenv), o.profile, o.ov, e.Getenv)
	if err != nil {
		ui.fail(err, profileHint(err))
		return 1
	}
	pol, useDevice, err := policy(p, o)
	if err != nil {
		ui.fail(err, "fix the value in "+p.File)
		return 1
	}

	store := e.Store
	if store == nil {
		store = keychain.Open()
	}
	cache := &tokencache.Cache{
		Store:         store,
		Policy:        pol,
		Now:           e.Now,
		UseDeviceCode: useDevice,
		Notify:        ui.notify,
	}
	if !o.noBrowser {
		cache.Browser = &browser.Opener{Getenv: e.Getenv}
	}
	if !useDevice && !p.Legacy() && noDisplay(runtime.GOOS, e.Getenv) {
		// The browser redirect ends on this machine's loopback, which a
		// browser elsewhere (the user's laptop, over SSH) cannot reach;
		// a device code can be approved from anywhere.
		cache.UseDeviceCode = true
		cache.Browser = nil // there is nothing to open it in
		ui.debugf("no display and no BROWSER: signing in with a device code")
	}
	if ui.debug {
		cache.Debugf = ui.debugf
		ui.debugf("profile %q from %s: sso-session %q, start URL %s, region %s, account %s, role %s", p.Name, p.File, p.SessionName, p.StartURL, p.Region, p.AccountID, p.RoleName)
		if p.OIDCEndpoint != "" || p.PortalEndpoint != "" {
			ui.debugf("endpoint overrides: oidc %q, portal %q", p.OIDCEndpoint, p.PortalEndpoint)
		}
	}

	// Whatever happens, the process ends: the sign-in wait, lock waits and
	// network calls all live within this deadline.
	ctx, cancel := context.WithTimeout(ctx, pol.LoginTimeout+2*time.Minute)
	defer cancel()
	t := tokencache.Target{
		Session:   tokencache.Session{Name: p.SessionName, StartURL: p.StartURL, Region: p.Region, Scopes: p.Scopes},
		AccountID: p.AccountID,
		RoleName:  p.RoleName,
	}
	if e.ParentGone != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
				return
			case <-e.ParentGone:
			}
			ui.detach(e.Detach)
		}()
		cache.OnSignIn = ui.signingIn
	}
	var cr *tokencache.Credentials
	if e.NewSSO == nil {
		// The warm path: fresh credentials in the keychain, or hand over.
		cr, err = cache.Cached(ctx, t)
		if err == nil && cr == nil {
			ui.debugf("no fresh role credentials cached; handing over to sso-credproc-renew")
			return e.Handoff()
		}
	} else {
		cache.NewSSO = func() tokencache.SSO { return e.NewSSO(p) }
		cache.Locks = &tokencache.FileLocker{Dir: e.LockDir()}
		cr, err = cache.Credentials(ctx, t)
	}
	if err != nil {
		ui.fail(err, runHint(err, o, p))
		return 1
	}
	out, err := json.Marshal(output{
		Version:         1,
		AccessKeyID:     cr.AccessKeyID,
		SecretAccessKey: cr.SecretAccessKey,
		SessionToken:    cr.SessionToken,
		Expiration:      cr.Expiration.UTC().Format(time.RFC3339),
		AccountID:       cr.AccountID,
	})
	if err != nil {
		ui.fail(err, "")
		return 1
	}
	if _, err := e.Stdout.Write(append(out, '\n')); err != nil {
		ui.fail(fmt.Errorf("write credentials to stdout: %w", err), "")
		return 1
	}
	return 0
}

// output is the credential_process format (Version 1).
type output struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
	AccountID       string `json:"AccountId,omitempty"`
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("sso-credproc", flag.ContinueOnError)
	// The flag package's own messages are replaced by one error line and
	// a hint; only --help prints the usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.profile, "profile", "", "profile in the AWS config file that holds the SSO settings")
	fs.StringVar(&o.ov.SSOSession, "sso-session", "", "sso-session to use (instead of, or overriding, the profile's)")
	fs.StringVar(&o.ov.StartURL, "start-url", "", "IAM Identity Center start URL (legacy style, no sso-session)")
	fs.StringVar(&o.ov.Region, "region", "", "IAM Identity Center (SSO) region")
	fs.StringVar(&o.ov.AccountID, "account-id", "", "AWS account id")
	fs.StringVar(&o.ov.RoleName, "role-name", "", "permission set (role) name")
	fs.BoolVar(&o.useDeviceCode, "use-device-code", false, "sign in with the device-code grant instead of the browser redirect (PKCE)")
	fs.BoolVar(&o.noBrowser, "no-browser", false, "never open a browser; only show the sign-in URL (and code)")
	fs.DurationVar(&o.loginTimeout, "login-timeout", 0, "how long to wait for the sign-in (default 5m; config key sso_credproc_login_timeout)")
	fs.DurationVar(&o.refreshWindow, "refresh-window", 0, "refresh the SSO token this long before it expires (default 15m; sso_credproc_refresh_window)")
	fs.DurationVar(&o.minTTL, "min-credential-ttl", 0, "reuse cached role credentials while more than this remains (default 15m; sso_credproc_min_credential_ttl)")
	fs.DurationVar(&o.clockSkew, "clock-skew", -1, "margin for clock differences in expiry checks (default 1m; sso_credproc_clock_skew)")
	fs.BoolVar(&o.debug, "debug", false, "log decisions to stderr (secrets are never logged)")
	fs.BoolVar(&o.version, "version", false, "print the version to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

// policy merges defaults, the profile's sso_credproc_* keys and the flags.
func policy(p *profile.Profile, o *options) (tokencache.Policy, bool, error) {
	pol := tokencache.DefaultPolicy
	for _, s := range []struct {
		key  string
		flag time.Duration
		set  bool
		dst  *time.Duration
		min  time.Duration
	}{
		{"sso_credproc_login_timeout", o.loginTimeout, o.loginTimeout > 0, &pol.LoginTimeout, time.Second},
		{"sso_credproc_refresh_window", o.refreshWindow, o.refreshWindow > 0, &pol.RefreshWindow, 0},
		{"sso_credproc_min_credential_ttl", o.minTTL, o.minTTL > 0, &pol.MinCredentialTTL, 0},
		{"sso_credproc_clock_skew", o.clockSkew, o.clockSkew >= 0, &pol.ClockSkew, 0},
	} {
		if v, ok := p.Settings[s.key]; ok {
			d, err := parseDuration(v)
			if err != nil || d < s.min {
				section := "profile " + p.Name
				if p.Name == "default" {
					section = "default"
				}
				return pol, false, &profile.Error{File: p.File, Section: section, Key: s.key,
					Msg: fmt.Sprintf("%q is not a duration such as 90s or 15m", v)}
			}
			*s.dst = d
		}
		if s.set {
			*s.dst = s.flag
		}
	}
	useDevice := o.useDeviceCode || isTrue(p.Settings["sso_credproc_use_device_code"])
	return pol, useDevice, nil
}

// noDisplay reports whether this is a Linux (or BSD) session with no
// graphical display and no BROWSER, such as SSH into a server or a
// container, where no browser can open the loopback redirect. WSL opens the
// Windows browser and is not such a session.
func noDisplay(goos string, getenv func(string) string) bool {
	switch goos {
	case "darwin", "windows", "android", "ios":
		return false
	}
	for _, k := range []string{"BROWSER", "DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME"} {
		if getenv(k) != "" {
			return false
		}
	}
	return true
}

// parseDuration takes Go durations ("15m", "90s") or whole seconds ("900").
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(v)
}

func isTrue(v string) bool {
	b, _ := strconv.ParseBool(strings.TrimSpace(v))
	return b
}

// Version is set at build time by install.sh (-ldflags -X).
var Version string

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
