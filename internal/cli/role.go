package cli

import (
	"context"
	"flag"
	"io"
	"os"
	"time"

	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

// Role is the role a command line selects, with the means to get its
// credentials, for the commands that live outside this package and need
// role credentials (exec, serve).
type Role struct {
	// Profile is the resolved SSO profile (the one a credential_process
	// profile points at, when the user named such a profile).
	Profile *profile.Profile
	// Named is the profile the user named (--profile or AWS_PROFILE), ""
	// when flags alone select the role.
	Named string
	// Region is the region for the role's clients: the region key of the
	// profile the user named, else of the SSO profile; "" when neither
	// has one.
	Region string
	// Fresh is how long credentials must still be valid to be reused:
	// the minimum credential TTL plus the clock skew, as the keychain
	// cache judges them.
	Fresh time.Duration

	u     *ui
	o     *options
	cache *tokencache.Cache
}

// LoadRole parses args as a role command's command line (the credential
// call's flags plus those that flags registers, which may be nil) and
// resolves the profile, as the credential call does. With rest, the
// arguments after the flags (after "--", or from the first one that is
// not a flag) are returned in rest; without it they are an error. ok is
// false when the command is done: help was shown (code 0) or an error was
// reported (code 2 or 1).
func LoadRole(e Env, name, usage string, args []string, flags func(*flag.FlagSet), withRest bool) (r *Role, rest []string, code int, ok bool) {
	u := &ui{err: e.Stderr, tty: e.TTY}
	o := &options{cmd: name}
	groups := flagsSession | flagsRole | flagsSignIn | flagsDebug
	newFS := func(o *options) *flag.FlagSet {
		fs := newFlagSet(name, o, groups)
		if flags != nil {
			flags(fs)
		}
		return fs
	}
	if withRest {
		// The flag package stops at "--" (which it consumes) or at the
		// first argument that is not a flag: what follows is the rest.
		probe := newFS(&options{})
		if probe.Parse(args) == nil {
			n := len(args) - probe.NArg()
			args, rest = args[:n], args[n:]
		}
	}
	p, code, ok := loadRoleArgs(e, u, o, newFS(o), args, name, usage)
	if !ok {
		return nil, nil, code, false
	}
	c := newCache(e, u, o, p)
	r = &Role{Profile: p, Named: o.profile, Region: regionOf(p, o.profile, u), Fresh: c.Policy.MinCredentialTTL + c.Policy.ClockSkew, u: u, o: o, cache: c}
	return r, rest, 0, true
}

// regionOf is the region key of the profile named (which may point at p)
// or, when that has none, of p.
func regionOf(p *profile.Profile, named string, u *ui) string {
	if named != "" && named != p.Name && p.File != "" {
		if data, err := os.ReadFile(p.File); err == nil {
			if s, err := profile.Settings(p.File, data, named); err == nil && s["region"] != "" {
				return s["region"]
			}
		} else {
			u.debugf("region of profile %q not read: %v", named, err)
		}
	}
	return p.Settings["region"]
}

// Credentials returns the role's credentials: from the keychain while
// fresh, else from IAM Identity Center, refreshing the token or signing in
// as needed, within the sign-in deadline.
func (r *Role) Credentials(ctx context.Context) (*tokencache.Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cache.Policy.LoginTimeout+2*time.Minute)
	defer cancel()
	return r.cache.Credentials(ctx, targetOf(r.Profile))
}

// Fail reports err, which ended a call of Credentials made with ctx, with
// the hint that fixes it, and returns the exit status: 130 when a signal
// ended the call, else 1.
func (r *Role) Fail(ctx context.Context, err error) int {
	return r.u.failCall(ctx, err, r.o, r.Profile)
}

// Hint is the hint line for err, an error of Credentials ("" if none).
func (r *Role) Hint(err error) string { return runHint(err, r.o, r.Profile) }

// Debugf logs a decision on stderr with --debug (never a secret).
func (r *Role) Debugf(format string, args ...any) { r.u.debugf(format, args...) }

// Say writes a line for the user on stderr.
func (r *Role) Say(msg string) { r.u.say(msg) }

// RoleCommand is a command that needs the role credentials of a profile
// (export, console). RunRoleCommand gives it the common flags, the
// profile, the credentials and the ways to report.
type RoleCommand struct {
	Name  string // the command's name, as typed after sso-credproc
	Usage string // the usage text that --help prints before the flags
	// Flags, when set, adds the command's own flags. A flag.Value whose
	// Set rejects a value makes a usage error (exit status 2) before
	// anything is signed in.
	Flags func(fs *flag.FlagSet)
	// Run does the command's work with the credentials and returns the
	// exit status.
	Run func(ctx context.Context, r *RoleCall) int
}

// RoleCall is what RunRoleCommand hands to RoleCommand.Run: the role
// credentials, and the ways to report.
type RoleCall struct {
	Profile     *profile.Profile
	Credentials *tokencache.Credentials
	// Stdout is the command's stdout: only what the user asked for.
	Stdout io.Writer
	// Browser opens a page as sign-in pages are opened (--browser,
	// sso_credproc_browser, $BROWSER, else the platform's opener); nil
	// with --no-browser, over SSH or when there is no display to open one
	// on (and no browser command).
	Browser interface{ Open(url string) error }

	u *ui
	o *options
}

// Fail prints "sso-credproc: error: ERR" and, when hint is not empty,
// "sso-credproc: hint: HINT" on stderr, each on one line. Neither may
// hold a secret.
func (r *RoleCall) Fail(err error, hint string) { r.u.fail(err, hint) }

// Debugf logs a line on stderr with --debug (or SSO_CREDPROC_DEBUG); never
// pass it a secret.
func (r *RoleCall) Debugf(format string, args ...any) { r.u.debugf(format, args...) }

// CommandLine repeats the command the user ran (its name and the flags
// that select the profile and role), shell-quoted, for hints.
func (r *RoleCall) CommandLine() string { return "sso-credproc " + commandArgs(r.o) }

// RunRoleCommand runs c on args: it parses the flags of the credential
// call (profile, role, sign-in, --debug) and c's own, resolves the profile
// (LoadRole), gets the role credentials from the keychain or from IAM
// Identity Center (signing in when needed, within the login timeout) and
// then calls c.Run. Errors before Run are reported with their hints; it
// returns the exit status.
func RunRoleCommand(ctx context.Context, e Env, args []string, c RoleCommand) int {
	role, _, code, ok := LoadRole(e, c.Name, c.Usage, args, c.Flags, false)
	if !ok {
		return code
	}
	stop := watchCaller(e, role.u, role.cache)
	cr, err := role.Credentials(ctx)
	stop()
	if err != nil {
		return role.Fail(ctx, err)
	}
	r := &RoleCall{Profile: role.Profile, Credentials: cr, Stdout: e.Stdout, u: role.u, o: role.o}
	if role.cache.Browser != nil {
		r.Browser = role.cache.Browser
	}
	return c.Run(ctx, r)
}
