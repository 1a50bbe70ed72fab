package cli

import (
	"context"
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
	if e.NewSSO == nil && e.Handoff == nil {
		e.Handoff = func() int { stop(); return Handoff(os.Args[1:], os.Stderr) }
	}
	if e.NewSSO != nil {
		e.ParentGone, e.Detach = watchParent(ctx, parentPoll), detachStdio
	}
	return Run(ctx, e)
}
