package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

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
	return Run(ctx, e)
}
