package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// parentPoll is how often sso-credproc-renew checks that its caller is
// still there: a caller that gives up sees its pipes close within this.
const parentPoll = 200 * time.Millisecond

// Main runs the command on the process's own arguments, environment and
// streams, with SIGINT/SIGTERM ending the wait, and returns the exit status.
// Both binaries' main functions are this with their own wiring in e.
func Main(e Env) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e.Args, e.Getenv, e.Stdout, e.Stderr = os.Args[1:], os.Getenv, os.Stdout, os.Stderr
	e.TTY = func() io.Writer { return OpenTTY(os.Stderr) }
	if e.WarmOnly && e.Handoff == nil {
		e.Handoff = func() int {
			os.Setenv(callerVersionEnv, buildID())
			return Handoff(os.Args[1:], os.Stderr, stop)
		}
	}
	if !e.WarmOnly {
		e.ParentGone, e.Detach = watchParent(ctx, parentPoll), detachStdio
		if v := os.Getenv(callerVersionEnv); v != "" {
			os.Unsetenv(callerVersionEnv) // not for the browser and other children
			if v != buildID() {
				(&ui{err: os.Stderr}).say(fmt.Sprintf("warning: %s is %s but sso-credproc is %s; %s", RenewName, buildID(), v, installHint))
			}
		}
	}
	return Run(ctx, e)
}

// callerVersionEnv carries sso-credproc's buildID to the
// sso-credproc-renew it hands over to, which warns on a mismatch.
const callerVersionEnv = "SSO_CREDPROC_CALLER_VERSION"

// buildID is the version and commit, as the version command shows them.
func buildID() string {
	if c := commit(); c != "" {
		return version() + " (commit " + c + ")"
	}
	return version()
}
