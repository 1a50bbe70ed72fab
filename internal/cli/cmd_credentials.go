package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

const usage = `usage: sso-credproc --profile NAME [flags]
       sso-credproc COMMAND [flags]

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

commands (sso-credproc COMMAND --help for each):
%s
flags of the credential call:
`

// credentialCommand is the credential_process call: sso-credproc
// --profile NAME [flags]. stdout gets exactly one credential JSON object,
// or nothing.
func credentialCommand(ctx context.Context, e Env, args []string) int {
	u := &ui{err: e.Stderr, tty: e.TTY}
	o := &options{}
	fs := newFlagSet("sso-credproc", o, flagsSession|flagsRole|flagsSignIn|flagsDebug)
	fs.BoolVar(&o.version, "version", false, "print the version (as the version command)")
	if err := parseArgs(fs, o, args, e.Stdout, fmt.Sprintf(usage, commandList()), e.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		u.fail(err, flagHint(err, ""))
		return 2
	}
	if o.version {
		return versionCommand(ctx, e, nil)
	}
	u.debug = o.debug
	if o.profile == "" && !o.ov.Selects() {
		u.fail(errors.New("no profile given"), "name the profile that holds the SSO settings: sso-credproc --profile NAME")
		return 2
	}
	p, err := profile.Load(profile.ConfigPath(e.Getenv), o.profile, o.ov, e.Getenv)
	if err != nil {
		u.fail(err, profileHint(err))
		return 1
	}
	if e.WarmOnly && p.Policy.FileStore {
		u.debugf("the file store is in use: handing over to %s", RenewName)
		return e.Handoff()
	}
	cache := newCache(e, u, o, p)

	// Whatever happens, the process ends: the sign-in wait, lock waits and
	// network calls all live within this deadline.
	ctx, cancel := context.WithTimeout(ctx, cache.Policy.LoginTimeout+2*time.Minute)
	defer cancel()
	t := tokencache.Target{Session: sessionOf(p), AccountID: p.AccountID, RoleName: p.RoleName}
	defer watchCaller(e, u, cache)()
	var cr *tokencache.Credentials
	if e.WarmOnly {
		// The warm path: fresh credentials in the keychain, or hand over.
		cr, err = cache.Cached(ctx, t)
		if err == nil && cr == nil {
			u.debugf("no fresh role credentials cached; handing over to sso-credproc-renew")
			return e.Handoff()
		}
	} else {
		cr, err = cache.Credentials(ctx, t)
	}
	if err != nil {
		return u.failCall(ctx, err, o, p)
	}
	out, err := processJSON(cr)
	if err != nil {
		u.fail(err, "")
		return 1
	}
	if _, err := e.Stdout.Write(out); err != nil {
		u.fail(fmt.Errorf("write credentials to stdout: %w", err), "")
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
