package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sso-credproc/sso-credproc/profile"
	"github.com/sso-credproc/sso-credproc/sso"
	"github.com/sso-credproc/sso-credproc/tokencache"
)

const listUsage = `usage: sso-credproc list --profile NAME | --sso-session NAME | --start-url URL --region REGION [--json]

Lists every account and role you can reach through the session
(sso:ListAccounts and sso:ListAccountRoles, all pages), with the profiles
of the config file that already point at each, as a table on stdout;
--json prints a JSON array of objects with accountId, accountName,
roleName and emailAddress. Signs in first when needed.

flags:
`

// assignmentLister is the part of the SSO client that lists assignments.
type assignmentLister interface {
	ListAssignments(ctx context.Context, accessToken string) ([]sso.Assignment, error)
}

// listCommand prints the accounts and roles of a session.
func listCommand(ctx context.Context, e Env, args []string) int {
	u := &ui{err: e.Stderr, tty: e.TTY}
	o := &options{cmd: "list"}
	fs := newFlagSet("list", o, flagsSession|flagsSignIn|flagsDebug)
	fs.BoolVar(&o.json, "json", false, "print a JSON array instead of a table")
	p, code, ok := loadSessionArgs(e, u, o, fs, args, "list", listUsage)
	if !ok {
		return code
	}
	c := newCache(e, u, o, p)
	ctx, cancel := context.WithTimeout(ctx, c.Policy.LoginTimeout+2*time.Minute)
	defer cancel()
	defer watchCaller(e, u, c)()
	as, err := assignments(ctx, c, sessionOf(p))
	if err != nil {
		return u.failCall(ctx, err, o, p)
	}
	byRole, err := profile.ProfilesByRole(profile.ConfigPath(e.Getenv), e.Getenv)
	if err != nil {
		u.debugf("profiles of the config not shown: %v", err)
		byRole = nil
	}
	if err := writeAssignments(e.Stdout, as, byRole, o.json); err != nil {
		u.fail(fmt.Errorf("write the list: %w", err), "")
		return 1
	}
	return 0
}

// assignments gets a token for s (signing in or refreshing as needed) and
// lists what it reaches; a token the portal refuses is replaced once.
func assignments(ctx context.Context, c *tokencache.Cache, s tokencache.Session) ([]sso.Assignment, error) {
	info, err := c.Token(ctx, s, "")
	if err != nil {
		return nil, err
	}
	l, ok := c.Client().(assignmentLister)
	if !ok {
		return nil, errors.New("this build cannot list accounts")
	}
	as, err := l.ListAssignments(ctx, info.AccessToken())
	if sso.IsUnauthorized(err) {
		if info, err = c.Token(ctx, s, info.AccessToken()); err != nil {
			return nil, err
		}
		as, err = l.ListAssignments(ctx, info.AccessToken())
	}
	return as, err
}

// ListAssignments lists the accounts and roles reachable through an
// sso-session, signing in if need be: for the configure command's menu.
// name, startURL, region and scopes describe the session as the config
// file has it, or a new one (name not in the file yet).
func ListAssignments(ctx context.Context, e Env, name, startURL, region string, scopes []string) ([]sso.Assignment, error) {
	if e.NewSSO == nil {
		return nil, errors.New("listing accounts needs sso-credproc-renew")
	}
	ov := profile.Overrides{SSOSession: name}
	p, err := profile.LoadSession(profile.ConfigPath(e.Getenv), "", ov, e.Getenv)
	if err != nil {
		// A session that is not in the file yet.
		ov = profile.Overrides{StartURL: startURL, Region: region}
		if p, err = profile.LoadSession(profile.ConfigPath(e.Getenv), "", ov, e.Getenv); err != nil {
			return nil, err
		}
		p.SessionName, p.Scopes = name, scopes
		if len(p.Scopes) == 0 {
			p.Scopes = []string{"sso:account:access"}
		}
	}
	u := &ui{err: e.Stderr, tty: e.TTY}
	c := newCache(e, u, &options{}, p)
	ctx, cancel := context.WithTimeout(ctx, c.Policy.LoginTimeout+2*time.Minute)
	defer cancel()
	return assignments(ctx, c, sessionOf(p))
}
