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
	"fmt"
	"io"
	"strings"
	"time"

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
	// Store overrides the OS keychain and the file store (tests).
	Store keychain.Store
	// FileStore opens the file store (package filestore's FromEnv) for the
	// environment getenv describes; notice shows its first-use warning.
	// It is nil in sso-credproc, which hands every call that uses the file
	// store over to sso-credproc-renew: age and its ciphers stay out of
	// the keychain's warm path.
	FileStore func(getenv func(string) string, notice func(string)) keychain.Store
	// Now overrides the clock (tests).
	Now func() time.Time
	// WarmOnly is sso-credproc's mode: it links no AWS SDK, so that its
	// warm path starts fast; it serves fresh credentials from the keychain
	// and hands everything else (a miss, the commands that need the
	// network) to Handoff.
	WarmOnly bool
	// NewSSO builds the IAM Identity Center client (not in WarmOnly).
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
	// Commands are the commands the binary links in beside package cli's
	// own, by name (sso-credproc-renew: "configure", "console").
	Commands map[string]func(ctx context.Context, e Env, args []string) int
}

// command is one subcommand of sso-credproc.
type command struct {
	name    string
	summary string
	// warm commands run in sso-credproc itself; the others need the AWS
	// SDK or the locks and run in sso-credproc-renew.
	warm bool
	run  func(ctx context.Context, e Env, args []string) int
}

// commands lists the subcommands; the credential call itself has none.
func commands() []command {
	return []command{
		{name: "login", summary: "sign in (or refresh) now, so that later calls never prompt", run: loginCommand},
		{name: "logout", summary: "end the session and remove its tokens and credentials from the keychain", run: logoutCommand},
		{name: "list", summary: "list the accounts and roles you can reach", run: listCommand},
		{name: "export", summary: "print the role credentials as aws configure export-credentials does (process, env, powershell, ...)", run: exportCommand},
		{name: "console", summary: "open the AWS Management Console signed in as the role (or --print its sign-in URL)", run: linked("console")},
		{name: "configure", summary: "write a credential_process profile pair into the config file", run: linked("configure")},
		{name: "exec", summary: "run a command with the role's credentials in its environment (or a local endpoint)", run: linked("exec")},
		{name: "serve", summary: "serve the role's credentials on a local endpoint for the SDKs (container format)", run: linked("serve")},
		{name: "status", summary: "show the config, the keychain and what is cached; check the config", run: statusCommand},
		{name: "version", summary: "print the version", warm: true, run: versionCommand},
		{name: "help", summary: "show help for a command", warm: true, run: helpCommand},
	}
}

// linked runs a command that the binary registers in Env.Commands (it is
// kept out of package cli, and so out of sso-credproc's warm path).
func linked(name string) func(ctx context.Context, e Env, args []string) int {
	return func(ctx context.Context, e Env, args []string) int {
		if run := e.Commands[name]; run != nil {
			return run(ctx, e, args)
		}
		(&ui{err: e.Stderr}).fail(fmt.Errorf("this build of %s has no %s command", RenewName, name), installHint)
		return 1
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return &c
		}
	}
	return nil
}

// Run runs the command line in e and returns the exit status: a
// subcommand when the first argument names one, else the credential call.
func Run(ctx context.Context, e Env) int {
	if len(e.Args) > 0 && !strings.HasPrefix(e.Args[0], "-") {
		c := findCommand(e.Args[0])
		if c == nil {
			u := &ui{err: e.Stderr}
			u.fail(fmt.Errorf("unknown command %q", e.Args[0]), "commands: "+commandNames()+"; the credential call is: sso-credproc --profile NAME")
			return 2
		}
		if e.WarmOnly && !c.warm {
			return e.Handoff()
		}
		return c.run(ctx, e, e.Args[1:])
	}
	return credentialCommand(ctx, e, e.Args)
}

func commandNames() string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

// commandList is the command table for the usage text.
func commandList() string {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	return b.String()
}
