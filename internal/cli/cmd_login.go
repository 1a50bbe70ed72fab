package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/tokencache"
	"github.com/sso-credproc/sso-credproc/tokencache/awscli"
)

const loginUsage = `usage: sso-credproc login --profile NAME [flags]
       sso-credproc login --sso-session NAME [flags]
       sso-credproc login --start-url URL --region REGION [flags]

Signs in to IAM Identity Center now (or refreshes the token with its
refresh token), so that later credential calls never prompt: before a
Terraform run, or for an IDE that runs sso-credproc with --no-login. A
profile whose credential_process runs sso-credproc --profile X stands
for X. Says on stderr which start URL is signed in and until when.

--from-aws-cli takes the token that "aws sso login" cached in
~/.aws/sso/cache instead. --export-aws-cli-cache also writes the token
there (the access token only, mode 0600) for tools that read only that
file, such as the Session Manager plugin; logout removes it again.

flags:
`

// loginCommand signs in (or refreshes) for the session of a profile.
func loginCommand(ctx context.Context, e Env, args []string) int {
	u := &ui{err: e.Stderr, tty: e.TTY}
	o := &options{cmd: "login"}
	fs := newFlagSet("login", o, flagsSession|flagsSignIn|flagsDebug)
	fs.BoolVar(&o.force, "force", false, "sign in again even with a valid token")
	fs.BoolVar(&o.fromAWSCLI, "from-aws-cli", false, "take the token the AWS CLI cached (aws sso login) into the keychain instead of signing in")
	fs.Var(textFlag{dst: &o.ov.ExportAWSCLICache, isBool: true}, "export-aws-cli-cache",
		"also write the token to the AWS CLI's cache (~/.aws/sso/cache) for tools that read only that file (config key sso_credproc_export_aws_cli_cache)")
	p, code, ok := loadSessionArgs(e, u, o, fs, args, "login", loginUsage)
	if !ok {
		return code
	}
	if o.fromAWSCLI && o.force {
		u.fail(errors.New("--from-aws-cli and --force were both given"), "use one: --from-aws-cli takes the AWS CLI's token, --force signs in again")
		return 2
	}
	c := newCache(e, u, o, p)
	ctx, cancel := context.WithTimeout(ctx, c.Policy.LoginTimeout+2*time.Minute)
	defer cancel()
	defer watchCaller(e, u, c)()
	if o.fromAWSCLI {
		return importAWSCLI(ctx, u, o, p, c)
	}
	info, err := c.Login(ctx, sessionOf(p), o.force)
	if err != nil {
		return u.failCall(ctx, err, o, p)
	}
	switch {
	case info.SignedIn:
		// The sign-in has said so already.
	case info.Refreshed:
		u.say(info.Line("refreshed the sign-in to", sessionOf(p)))
	default:
		u.say(info.Line("already signed in to", sessionOf(p)))
	}
	return 0
}

// sessionNote is " (sso-session NAME)" for an sso-session profile.
func sessionNote(p *profile.Profile) string {
	if p.SessionName == "" {
		return ""
	}
	return " (sso-session " + p.SessionName + ")"
}

// loadSessionArgs parses args with fs and resolves the session part of
// the profile they select. ok is false when the command is done: help was
// shown (code 0) or an error was reported (code 2 or 1).
func loadSessionArgs(e Env, u *ui, o *options, fs *flag.FlagSet, args []string, name, usage string) (p *profile.Profile, code int, ok bool) {
	if code, ok := parseCommand(e, u, o, fs, args, name, usage); !ok {
		return nil, code, false
	}
	return loadSession(e, u, o, name)
}

// parseCommand parses args with fs into o. ok is false when the command is
// done: help was shown (code 0) or a bad flag reported (code 2).
func parseCommand(e Env, u *ui, o *options, fs *flag.FlagSet, args []string, name, usage string) (code int, ok bool) {
	if err := parseArgs(fs, o, args, e.Stdout, usage, e.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		u.fail(err, flagHint(err, name))
		return 2, false
	}
	u.debug = o.debug
	return 0, true
}

// selectProfile makes sure o names what a command works on: a profile or
// flags, else AWS_PROFILE, as aws sso login takes it (the credential call
// never reads it: the SDKs set it for the profile that runs
// credential_process). Without any it reports "no profile given" with hint
// and returns false.
func selectProfile(e Env, u *ui, o *options, hint string) bool {
	if o.profile == "" && !o.ov.Selects() {
		o.profile = e.Getenv("AWS_PROFILE")
	}
	if o.profile == "" && !o.ov.Selects() {
		u.fail(errors.New("no profile given"), hint)
		return false
	}
	return true
}

// loadSession resolves the session part of the profile o selects.
func loadSession(e Env, u *ui, o *options, name string) (p *profile.Profile, code int, ok bool) {
	if !selectProfile(e, u, o, fmt.Sprintf("name the profile or session: sso-credproc %s --profile NAME (or --sso-session NAME, or --start-url URL --region REGION)", name)) {
		return nil, 2, false
	}
	p, err := profile.LoadSession(profile.ConfigPath(e.Getenv), o.profile, o.ov, e.Getenv)
	if err != nil {
		u.fail(err, profileHint(err))
		return nil, 1, false
	}
	return p, 0, true
}

// importAWSCLI takes the AWS CLI's cached token for p's session into the
// keychain (login --from-aws-cli).
func importAWSCLI(ctx context.Context, u *ui, o *options, p *profile.Profile, c *tokencache.Cache) int {
	if c.AWSCLICache == "" {
		u.fail(errors.New("no home directory to find the AWS CLI's cache in"), "set HOME")
		return 1
	}
	t, err := awscli.Read(c.AWSCLICache)
	if errors.Is(err, awscli.ErrMalformed) {
		// The AWS CLI rewrites the file in place: it may be half written.
		time.Sleep(200 * time.Millisecond)
		t, err = awscli.Read(c.AWSCLICache)
	}
	if err != nil {
		cli := "--profile " + profile.ShellQuote(p.Name)
		if p.SessionName != "" {
			cli = "--sso-session " + profile.ShellQuote(p.SessionName)
		}
		hint := "sign in with the AWS CLI first (aws sso login " + cli + "), or without it: sso-credproc login " + sessionArgs(o, p)
		u.fail(err, hint)
		return 1
	}
	info, err := c.ImportAWSCLI(ctx, sessionOf(p), t)
	if err != nil {
		u.fail(err, "sign in again: sso-credproc login "+sessionArgs(o, p))
		return 1
	}
	refresh := ""
	if info.Refresh {
		refresh = "; refreshed without a browser after that"
	}
	u.say(fmt.Sprintf("took the AWS CLI's token for %s%s, valid until %s%s", p.StartURL, sessionNote(p), info.ExpiresAt.Local().Format("2006-01-02 15:04 MST"), refresh))
	return 0
}

// loadRoleArgs parses args with fs and resolves the whole profile they
// select, account and role included, as the credential call does: for
// commands that need role credentials (export, exec, console, serve). ok
// is false when the command is done (help shown, code 0; error, code 2 or 1).
func loadRoleArgs(e Env, u *ui, o *options, fs *flag.FlagSet, args []string, name, usage string) (p *profile.Profile, code int, ok bool) {
	if code, ok := parseCommand(e, u, o, fs, args, name, usage); !ok {
		return nil, code, false
	}
	if !selectProfile(e, u, o, fmt.Sprintf("name the profile: sso-credproc %s --profile NAME", name)) {
		return nil, 2, false
	}
	p, err := profile.LoadSession(profile.ConfigPath(e.Getenv), o.profile, o.ov, e.Getenv)
	if err == nil && (p.AccountID == "" || p.RoleName == "") {
		// The profile's session without its role: say what Load says.
		p, err = profile.Load(profile.ConfigPath(e.Getenv), p.Name, o.ov, e.Getenv)
	}
	if err != nil {
		u.fail(err, profileHint(err))
		return nil, 1, false
	}
	return p, 0, true
}

// targetOf is the role of p.
func targetOf(p *profile.Profile) tokencache.Target {
	return tokencache.Target{Session: sessionOf(p), AccountID: p.AccountID, RoleName: p.RoleName}
}
