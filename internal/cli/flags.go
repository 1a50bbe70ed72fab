package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/profile"
)

// options is a command line. The SSO settings and the policy flags
// (--use-device-code, --login-timeout, ...) are in ov, as typed, for
// profile.Load to check and merge with the config file.
type options struct {
	cmd       string // the command's name for hints ("" for the credential call)
	profile   string
	ov        profile.Overrides
	noBrowser bool
	debug     bool // --debug or SSO_CREDPROC_DEBUG
	version   bool // the credential call's --version
	force     bool // login, configure
	all       bool // logout
	json      bool // list, status
	// login --from-aws-cli: take the AWS CLI's cached token.
	fromAWSCLI bool
}

// Flag groups a command can take.
const (
	// --profile, --sso-session, --start-url, --region
	flagsSession = 1 << iota
	// --account-id, --role-name
	flagsRole
	// --use-device-code, --no-browser, --browser, --no-login and the
	// durations
	flagsSignIn
	// --debug
	flagsDebug
)

// newFlagSet returns a flag set for command name with the groups of flags
// and their destinations in o. The flag package's own messages are
// replaced by one error line and a hint; only --help prints the usage.
func newFlagSet(name string, o *options, groups int) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if groups&flagsSession != 0 {
		fs.StringVar(&o.profile, "profile", "", "profile in the AWS config file that holds the SSO settings")
		fs.StringVar(&o.ov.SSOSession, "sso-session", "", "sso-session to use (instead of, or overriding, the profile's)")
		fs.StringVar(&o.ov.StartURL, "start-url", "", "IAM Identity Center start URL (legacy style, no sso-session)")
		fs.StringVar(&o.ov.Region, "region", "", "IAM Identity Center (SSO) region, e.g. eu-west-1")
		storeFlag(fs, o)
	}
	if groups&flagsRole != 0 {
		fs.StringVar(&o.ov.AccountID, "account-id", "", "AWS account id (12 digits)")
		fs.StringVar(&o.ov.RoleName, "role-name", "", "permission set (role) name")
	}
	if groups&flagsSignIn != 0 {
		def := profile.DefaultPolicy
		fs.Var(textFlag{dst: &o.ov.UseDeviceCode, isBool: true}, "use-device-code",
			"sign in with the device code instead of the browser redirect (PKCE) (config key sso_credproc_use_device_code)")
		fs.BoolVar(&o.noBrowser, "no-browser", false, "never open a browser; only show the sign-in URL (and code)")
		fs.Var(textFlag{dst: &o.ov.Browser}, "browser", "`command` that opens sign-in pages, instead of $BROWSER (%s stands for the URL; config key sso_credproc_browser)")
		fs.Var(textFlag{dst: &o.ov.Login, isBool: true, as: "never"}, "no-login",
			"fail instead of starting a sign-in; a refresh is still made (config key sso_credproc_login = never; SSO_CREDPROC_NO_LOGIN=1)")
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
			fs.Var(textFlag{dst: d.dst}, d.name, fmt.Sprintf("%s (`duration`, default %s; config key %s)", d.what, profile.ShortDuration(d.def), d.key))
		}
	}
	if groups&flagsDebug != 0 {
		fs.BoolVar(&o.debug, "debug", false, "log decisions to stderr (secrets are never logged)")
	}
	return fs
}

// storeFlag adds --store, which chooses where tokens and credentials are
// kept.
func storeFlag(fs *flag.FlagSet, o *options) {
	fs.Var(textFlag{dst: &o.ov.Store}, "store", "where tokens and credentials are kept: keychain (the OS keychain, the default) or file (files encrypted with age, for machines without a keychain; see the README) (config key sso_credproc_store; SSO_CREDPROC_STORE)")
}

// parseArgs parses args with fs. The help asked for with -h or --help goes
// to stdout (flag.ErrHelp is returned): usage, then the flags. Arguments
// left over are an error. SSO_CREDPROC_DEBUG and SSO_CREDPROC_NO_LOGIN are
// read into o; the values of the SSO and policy flags are checked by
// profile (Overrides.Check), the one place that interprets settings, and
// an error is then a *profile.Error naming the flag.
func parseArgs(fs *flag.FlagSet, o *options, args []string, stdout io.Writer, usage string, getenv func(string) string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	envDebug, err := envBool("SSO_CREDPROC_DEBUG", getenv, "set SSO_CREDPROC_DEBUG=1 to log decisions to stderr, or unset it")
	if err != nil {
		return err
	}
	o.debug = o.debug || envDebug
	if fs.Lookup("no-login") != nil && o.ov.Login == nil && getenv("SSO_CREDPROC_NO_LOGIN") != "" {
		noLogin, err := envBool("SSO_CREDPROC_NO_LOGIN", getenv, "set SSO_CREDPROC_NO_LOGIN=1 to fail instead of starting a sign-in, or unset it")
		if err != nil {
			return err
		}
		v := "auto"
		if noLogin {
			v = "never"
		}
		o.ov.Login = &v
	}
	return o.ov.Check()
}

// textFlag records a flag's value as typed, for profile to check; *dst
// stays nil when the flag is not given. With isBool, the flag alone means
// "true" (or as, when set), and --flag=false is allowed, as for a boolean
// flag.
type textFlag struct {
	dst    **string
	isBool bool
	as     string // with isBool: the value for true; false gives "auto"
}

func (f textFlag) String() string {
	if f.dst == nil || *f.dst == nil {
		return ""
	}
	return **f.dst
}

func (f textFlag) Set(s string) error {
	if f.as != "" {
		switch strings.ToLower(s) {
		case "true":
			s = f.as
		case "false":
			s = "auto"
		default:
			return fmt.Errorf("%q is not true or false", s)
		}
	}
	*f.dst = &s
	return nil
}

func (f textFlag) IsBoolFlag() bool { return f.isBool }

// envBool reads a switch from the environment: 1 or true (any case) is on;
// unset, empty, 0 or false is off. Anything else is an error rather than a
// guess.
func envBool(name string, getenv func(string) string, hint string) (bool, error) {
	v := getenv(name)
	switch strings.ToLower(v) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, &profile.Error{Key: name, Msg: fmt.Sprintf("%q is not 1, true, 0 or false", v), Hint: hint}
}

// flagHint is the hint for a command-line error: the *profile.Error's own,
// else a pointer to --help.
func flagHint(err error, cmd string) string {
	var pe *profile.Error
	if errors.As(err, &pe) && pe.Hint != "" {
		return pe.Hint
	}
	if cmd != "" {
		return "see: sso-credproc " + cmd + " --help"
	}
	return "see: sso-credproc --help"
}
