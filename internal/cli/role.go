package cli

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

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
	Run func(ctx context.Context, r *Role) int
}

// Role is what RunRoleCommand hands to RoleCommand.Run.
type Role struct {
	Profile     *profile.Profile
	Credentials *tokencache.Credentials
	// Stdout is the command's stdout: only what the user asked for.
	Stdout io.Writer
	// Browser opens a page as sign-in pages are opened (--browser,
	// sso_credproc_browser, $BROWSER, else the platform's opener); nil
	// with --no-browser or when there is no display to open one on.
	Browser interface{ Open(url string) error }

	u *ui
	o *options
}

// Fail prints "sso-credproc: error: ERR" and, when hint is not empty,
// "sso-credproc: hint: HINT" on stderr, each on one line. Neither may
// hold a secret.
func (r *Role) Fail(err error, hint string) { r.u.fail(err, hint) }

// Debugf logs a line on stderr with --debug (or SSO_CREDPROC_DEBUG); never
// pass it a secret.
func (r *Role) Debugf(format string, args ...any) { r.u.debugf(format, args...) }

// CommandLine repeats the command the user ran (its name and the flags
// that select the profile and role), shell-quoted, for hints.
func (r *Role) CommandLine() string { return "sso-credproc " + commandArgs(r.o) }

// RunRoleCommand runs c on args: it parses the flags of the credential
// call (profile, role, sign-in, --debug) and c's own, resolves the profile
// as loadRoleArgs does, gets the role credentials from the keychain or
// from IAM Identity Center (signing in when needed, within the login
// timeout) and then calls c.Run. Errors before Run are reported with their
// hints; it returns the exit status.
func RunRoleCommand(ctx context.Context, e Env, args []string, c RoleCommand) int {
	u := &ui{err: e.Stderr, tty: e.TTY}
	o := &options{cmd: c.Name}
	fs := newFlagSet(c.Name, o, flagsSession|flagsRole|flagsSignIn|flagsDebug)
	if c.Flags != nil {
		c.Flags(fs)
	}
	p, code, ok := loadRoleArgs(e, u, o, fs, args, c.Name, c.Usage)
	if !ok {
		return code
	}
	cache := newCache(e, u, o, p)
	ctx, cancel := context.WithTimeout(ctx, cache.Policy.LoginTimeout+2*time.Minute)
	defer cancel()
	stop := watchCaller(e, u, cache)
	cr, err := cache.Credentials(ctx, targetOf(p))
	stop()
	if err != nil {
		return u.failCall(ctx, err, o, p)
	}
	r := &Role{Profile: p, Credentials: cr, Stdout: e.Stdout, u: u, o: o}
	if cache.Browser != nil {
		r.Browser = cache.Browser
	}
	return c.Run(ctx, r)
}
