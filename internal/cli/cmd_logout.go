package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sso-credproc/sso-credproc/profile"
)

const logoutUsage = `usage: sso-credproc logout --profile NAME | --sso-session NAME | --start-url URL --region REGION | --all

Ends the session at IAM Identity Center (sso:Logout with the access
token; a failure of that call is reported but the clean-up goes on), then
removes the session's token, client registration and every cached role
credential from the keychain, and the role credentials' copies from the
kernel keyring (Linux). The next credential call signs in again.
--all does this for every session of the config file. Says what it
removed, never the values.

flags:
`

// logoutCommand signs out of one session, or of all of the config's.
func logoutCommand(ctx context.Context, e Env, args []string) int {
	u := &ui{err: e.Stderr, tty: e.TTY}
	o := &options{cmd: "logout"}
	fs := newFlagSet("logout", o, flagsSession|flagsDebug)
	fs.BoolVar(&o.all, "all", false, "every sso-session and legacy start URL of the config file")
	var targets []*profile.Profile
	if code, ok := parseCommand(e, u, o, fs, args, "logout", logoutUsage); !ok {
		return code
	}
	if o.all {
		if o.profile != "" || o.ov.Selects() {
			u.fail(errors.New("--all and a profile or session were both given"), "use one: sso-credproc logout --all, or sso-credproc logout --profile NAME")
			return 2
		}
		inv, err := profile.ReadInventory(profile.ConfigPath(e.Getenv), e.Getenv)
		if err != nil {
			u.fail(err, profileHint(err))
			return 1
		}
		for _, s := range inv.Sessions {
			p, err := profile.LoadSession(profile.ConfigPath(e.Getenv), "", s.Overrides(), e.Getenv)
			if err != nil {
				u.say(fmt.Sprintf("skipping %s: %v", s.Label(), err))
				continue
			}
			targets = append(targets, p)
		}
		if len(targets) == 0 {
			u.say("no sessions in " + inv.File)
			return 0
		}
	} else {
		p, code, ok := loadSession(e, u, o, "logout")
		if !ok {
			return code
		}
		targets = append(targets, p)
	}
	status := 0
	for _, p := range targets {
		if !logoutOne(ctx, e, u, o, p) {
			status = 1
		}
	}
	return status
}

// logoutOne logs out of p's session and reports what it did; false on an
// error that stopped the clean-up.
func logoutOne(ctx context.Context, e Env, u *ui, o *options, p *profile.Profile) bool {
	c := newCache(e, u, o, p)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	label := p.StartURL + sessionNote(p)
	res, err := c.Logout(ctx, sessionOf(p))
	if res != nil && res.ServiceErr != nil {
		u.say(fmt.Sprintf("%s: sso:Logout failed (%v); removing what is stored anyway", label, res.ServiceErr))
	}
	if err != nil {
		u.fail(err, runHint(err, o, p))
		return false
	}
	switch {
	case len(res.Removed) == 0:
		u.say(label + ": nothing stored, nothing to remove")
	default:
		signedOut := ""
		if res.CalledService && res.ServiceErr == nil {
			signedOut = "signed out; "
		}
		u.say(fmt.Sprintf("%s: %sremoved %s", label, signedOut, strings.Join(res.Removed, ", ")))
	}
	return true
}
