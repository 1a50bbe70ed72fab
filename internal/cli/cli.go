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

// options is the command line. The SSO settings and the policy flags
// (--use-device-code, --login-timeout, ...) are in ov, as typed, for
// profile.Load to check and merge with the config file.
type options struct {
	profile   string
	ov        profile.Overrides
	noBrowser bool
	debug     bool // --debug or SSO_CREDPROC_DEBUG
	version   bool
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

The sso_credproc_* keys may also be set on the [sso-session]; the
profile's value wins, and a flag wins over both. Durations are Go
durations (90s, 15m) or whole seconds; booleans are true or false.
SSO_CREDPROC_DEBUG=1 (or true) in the environment is --debug.

flags:
`

// Run runs the command and returns its exit status.
func Run(ctx context.Context, e Env) int {
	ui := &ui{err: e.Stderr, tty: e.TTY}
	o, err := parseFlags(e.Args, e.Stdout, e.Getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		ui.fail(err, flagHint(err))
		return 2
	}
	if o.version {
		fmt.Fprintln(e.Stderr, "sso-credproc", version())
		return 0
	}
	if o.debug {
		ui.debug = true
	}
	if o.profile == "" && !o.ov.Selects() {
		ui.fail(errors.New("no profile given"), "name the profile that holds the SSO settings: sso-credproc --profile NAME")
		return 2
	}

	p, err := profile.Load(profile.ConfigPath(e.Getenv), o.profile, o.ov, e.Getenv)
	if err != nil {
		ui.fail(err, profileHint(err))
		return 1
	}
	pol, useDevice := policy(p)

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
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			// A signal: what the service had issued was stored first.
			ui.fail(errors.New("interrupted"), "")
			return 130
		}
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

// parseFlags reads the command line: args and SSO_CREDPROC_DEBUG. The help
// asked for with -h or --help goes to stdout (flag.ErrHelp is returned);
// errors are for the caller to print. The values of the SSO and policy
// flags are checked by profile (Overrides.Check), the one place that
// interprets settings; an error is then a *profile.Error naming the flag.
func parseFlags(args []string, stdout io.Writer, getenv func(string) string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("sso-credproc", flag.ContinueOnError)
	// The flag package's own messages are replaced by one error line and
	// a hint; only --help prints the usage.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	def := profile.DefaultPolicy
	fs.StringVar(&o.profile, "profile", "", "profile in the AWS config file that holds the SSO settings")
	fs.StringVar(&o.ov.SSOSession, "sso-session", "", "sso-session to use (instead of, or overriding, the profile's)")
	fs.StringVar(&o.ov.StartURL, "start-url", "", "IAM Identity Center start URL (legacy style, no sso-session)")
	fs.StringVar(&o.ov.Region, "region", "", "IAM Identity Center (SSO) region, e.g. eu-west-1")
	fs.StringVar(&o.ov.AccountID, "account-id", "", "AWS account id (12 digits)")
	fs.StringVar(&o.ov.RoleName, "role-name", "", "permission set (role) name")
	fs.Var(textFlag{&o.ov.UseDeviceCode, true}, "use-device-code",
		"sign in with the device code instead of the browser redirect (PKCE) (config key sso_credproc_use_device_code)")
	fs.BoolVar(&o.noBrowser, "no-browser", false, "never open a browser; only show the sign-in URL (and code)")
	for _, d := range []struct {
		dst             **string
		name, what, key string
		def             time.Duration
	}{
		{&o.ov.LoginTimeout, "login-timeout", "how long to wait for the sign-in, 1s to 1h", "sso_credproc_login_timeout", def.LoginTimeout},
		{&o.ov.RefreshWindow, "refresh-window", "refresh the SSO token this long before it expires, up to 24h", "sso_credproc_refresh_window", def.RefreshWindow},
		{&o.ov.MinCredentialTTL, "min-credential-ttl", "reuse cached role credentials while more than this remains, up to 12h", "sso_credproc_min_credential_ttl", def.MinCredentialTTL},
		{&o.ov.ClockSkew, "clock-skew", "margin for clock differences in expiry checks, up to 1h", "sso_credproc_clock_skew", def.ClockSkew},
	} {
		fs.Var(textFlag{dst: d.dst}, d.name, fmt.Sprintf("%s (`duration`, default %s; config key %s)", d.what, shortDuration(d.def), d.key))
	}
	fs.BoolVar(&o.debug, "debug", false, "log decisions to stderr (secrets are never logged)")
	fs.BoolVar(&o.version, "version", false, "print the version to stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	envDebug, err := debugEnv(getenv("SSO_CREDPROC_DEBUG"))
	if err != nil {
		return nil, err
	}
	o.debug = o.debug || envDebug
	if err := o.ov.Check(); err != nil {
		return nil, err
	}
	return o, nil
}

// textFlag records a flag's value as typed, for profile to check; *dst
// stays nil when the flag is not given. With isBool, the flag alone means
// "true" (and --flag=false is allowed), as for a boolean flag.
type textFlag struct {
	dst    **string
	isBool bool
}

func (f textFlag) String() string {
	if f.dst == nil || *f.dst == nil {
		return ""
	}
	return **f.dst
}

func (f textFlag) Set(s string) error { *f.dst = &s; return nil }
func (f textFlag) IsBoolFlag() bool   { return f.isBool }

// debugEnv reads SSO_CREDPROC_DEBUG: 1 or true (any case) turns debug
// logging on; unset, empty, 0 or false leave it off. Anything else is an
// error rather than a guess.
func debugEnv(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, &profile.Error{Key: "SSO_CREDPROC_DEBUG", Msg: fmt.Sprintf("%q is not 1, true, 0 or false", v),
		Hint: "set SSO_CREDPROC_DEBUG=1 to log decisions to stderr, or unset it"}
}

// flagHint is the hint for a command-line error: the *profile.Error's own,
// else a pointer to --help.
func flagHint(err error) string {
	var pe *profile.Error
	if errors.As(err, &pe) && pe.Hint != "" {
		return pe.Hint
	}
	return "see: sso-credproc --help"
}

// shortDuration writes d as "5m" or "1h" rather than "5m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// policy maps the profile's Policy, which profile.Load merged from the
// defaults, the sso_credproc_* keys and the flags and checked, onto the
// cache's, and says whether to sign in with the device code.
func policy(p *profile.Profile) (tokencache.Policy, bool) {
	return tokencache.Policy{
		LoginTimeout:     p.Policy.LoginTimeout,
		RefreshWindow:    p.Policy.RefreshWindow,
		MinCredentialTTL: p.Policy.MinCredentialTTL,
		ClockSkew:        p.Policy.ClockSkew,
	}, p.Policy.UseDeviceCode
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
